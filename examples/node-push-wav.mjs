#!/usr/bin/env node
// Publishes a 16-bit PCM WAV file into a channel in real time, through the Node SDK's external
// audio source. Usage: PATCHBAY_SERVER=ws://127.0.0.1:7080 node examples/node-push-wav.mjs tone.wav [channel]
import { readFileSync } from 'node:fs';
import { createClient } from '@patchbay/node';

const [file, channel = 'demo'] = process.argv.slice(2);
if (!file) throw new Error('usage: node-push-wav.mjs <file.wav> [channel]');

// A minimal RIFF reader: the "fmt " chunk gives the format, the "data" chunk the samples.
const wav = readFileSync(file);
let format;
let pcm;
for (let at = 12; at + 8 <= wav.length;) {
  const id = wav.toString('ascii', at, at + 4);
  const size = wav.readUInt32LE(at + 4);
  if (id === 'fmt ') {
    format = {
      channels: wav.readUInt16LE(at + 10),
      rate: wav.readUInt32LE(at + 12),
      bits: wav.readUInt16LE(at + 22),
    };
  }
  if (id === 'data') pcm = wav.subarray(at + 8, at + 8 + size);
  at += 8 + size + (size % 2);
}
if (!format || !pcm || format.bits !== 16) throw new Error(`${file}: not a 16-bit PCM WAV file`);

const client = createClient(); // server from PATCHBAY_SERVER, else ws://127.0.0.1:7080
client.setExternalAudioSource(true, format.rate, format.channels); // before join: join publishes it
await client.join('demo', channel, null, 'wav-pusher');
console.log(`publishing ${file}: ${format.rate} Hz, ${format.channels} channel(s)`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(300); // listeners subscribe when they see us publish: give them a moment

// Push 100 ms at a time; awaiting each push is the back-pressure that paces us to real time.
const chunk = (format.rate / 10) * format.channels * 2;
for (let at = 0; at < pcm.length; at += chunk) {
  await client.pushExternalAudioFrame(pcm.subarray(at, Math.min(pcm.length, at + chunk)));
}
await client.externalAudioTrack.waitForPlayout(); // everything pushed went to the encoder
await sleep(300); // and its last packets left
console.log('done');
await client.leave();
process.exit(0);
