#!/usr/bin/env node
// Records what a channel hears (everyone, mixed) into a 48 kHz 16-bit mono WAV file.
// Usage: PATCHBAY_SERVER=ws://127.0.0.1:7080 node examples/node-record.mjs out.wav [channel] [seconds]
import { writeFileSync } from 'node:fs';
import { createClient } from '@patchbay/node';

const [out = 'out.wav', channel = 'demo', seconds = '5'] = process.argv.slice(2);

const client = createClient();
client.on('user-published', (user) => {
  client
    .subscribe(user, 'audio')
    .catch((error) => console.error(`cannot subscribe to ${user.uid}: ${error.message}`));
});
await client.join('demo', channel, null, 'recorder');
console.log(`recording channel ${channel} for ${seconds} s`);

// The mix arrives as 10 ms frames on a steady clock; copy them (the buffer is reused).
const frames = [];
const stop = client.onMixedAudioFrame((frame) => {
  if (frame.channels === 1) frames.push(Int16Array.from(frame.samples));
  else
    frames.push(
      Int16Array.from({ length: frame.samplesPerChannel }, (_, i) => frame.samples[i * frame.channels]),
    );
});
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
stop();
await client.leave();

const samples = Buffer.concat(frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
const header = Buffer.alloc(44);
header.write('RIFF', 0);
header.writeUInt32LE(36 + samples.length, 4);
header.write('WAVEfmt ', 8);
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20); // PCM
header.writeUInt16LE(1, 22); // mono
header.writeUInt32LE(48000, 24);
header.writeUInt32LE(96000, 28);
header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34);
header.write('data', 36);
header.writeUInt32LE(samples.length, 40);
writeFileSync(out, Buffer.concat([header, samples]));
console.log(`wrote ${out}: ${(samples.length / 96000).toFixed(2)} s`);
process.exit(0);
