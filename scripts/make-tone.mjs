#!/usr/bin/env node
// Writes a 16-bit PCM WAV sine tone (amplitude 0.5), no external tools needed.
//
//   node scripts/make-tone.mjs out.wav [--freq 1000] [--rate 48000] [--channels 1] [--seconds 3]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import wavefile from 'wavefile';

const usage =
  'usage: node scripts/make-tone.mjs <out.wav> [--freq HZ=1000] [--rate HZ=48000] [--channels 1|2=1] [--seconds S=3]';

function fail(message) {
  console.error(`make-tone: ${message}\n${usage}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      freq: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '48000' },
      channels: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  fail(err.message);
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
if (parsed.positionals.length !== 1) fail('expected exactly one output file');

const out = parsed.positionals[0];
const freq = Number(parsed.values.freq);
const rate = Number(parsed.values.rate);
const channels = Number(parsed.values.channels);
const seconds = Number(parsed.values.seconds);
if (!(freq > 0) || !Number.isFinite(freq))
  fail(`--freq must be a positive number, got ${parsed.values.freq}`);
if (!Number.isInteger(rate) || rate <= 0)
  fail(`--rate must be a positive integer, got ${parsed.values.rate}`);
if (channels !== 1 && channels !== 2) fail(`--channels must be 1 or 2, got ${parsed.values.channels}`);
if (!(seconds >= 0) || !Number.isFinite(seconds))
  fail(`--seconds must be >= 0, got ${parsed.values.seconds}`);
if (freq >= rate / 2) console.error(`make-tone: warning: ${freq} Hz is at or above Nyquist for ${rate} Hz`);

const frames = Math.round(seconds * rate);
const amplitude = 0.5 * 32767;
const data = new Uint8Array(frames * channels * 2);
const view = new DataView(data.buffer);
for (let i = 0; i < frames; i++) {
  const value = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  for (let c = 0; c < channels; c++) view.setInt16((i * channels + c) * 2, value, true);
}

// wavefile writes the header; the data chunk is packed above (wavefile packs sample by sample, slowly).
const wav = new wavefile.WaveFile();
wav.fromScratch(channels, rate, '16', []);
wav.data.samples = data;
writeFileSync(out, wav.toBuffer());
console.log(
  `${out}: ${seconds} s of ${freq} Hz, ${rate} Hz, ${channels === 2 ? 'stereo' : 'mono'}, 16-bit PCM`,
);
