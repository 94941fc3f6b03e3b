import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';
import { estimateFrequency, generateTone } from './analysis.js';
import { Resampler } from './Resampler.js';

const created: Resampler[] = [];
async function make(channels: 1 | 2, inputRate: number, outputRate = 48000): Promise<Resampler> {
  const r = await Resampler.create(channels, inputRate, outputRate);
  created.push(r);
  return r;
}
after(() => {
  for (const r of created) r.destroy();
});

/** Deterministic chunk sizes in 1..max frames. */
function* randomSizes(seed: number, max: number): Generator<number> {
  let s = seed;
  for (;;) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    yield 1 + (s % max);
  }
}

/** Runs `input` through `r` in chunks of the given frame counts, concatenating copies of the output. */
function run(r: Resampler, input: Int16Array, sizes: Iterator<number>): Int16Array {
  const ch = r.channels;
  const parts: Int16Array[] = [];
  let total = 0;
  for (let off = 0; off < input.length;) {
    const n = Math.min(sizes.next().value as number, (input.length - off) / ch) * ch;
    const out = r.process(input.subarray(off, off + n));
    parts.push(out.slice());
    total += out.length;
    off += n;
  }
  const all = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Largest step between consecutive samples of channel `c`, skipping the first `skip` frames. */
function maxStep(s: Int16Array, channels: number, c: number, skip: number): number {
  let m = 0;
  for (let i = (skip + 1) * channels + c; i < s.length; i += channels) {
    m = Math.max(m, Math.abs(s[i] - s[i - channels]));
  }
  return m;
}

function checkTone(
  out: Int16Array,
  channels: 1 | 2,
  inputFrames: number,
  inputRate: number,
  what: string,
): void {
  const expectedFrames = (inputFrames * 48000) / inputRate;
  const frames = out.length / channels;
  assert.ok(
    Math.abs(frames - expectedFrames) <= expectedFrames * 0.005,
    `${what}: ${frames} frames vs ${expectedFrames}`,
  );
  for (let c = 0; c < channels; c++) {
    const f = estimateFrequency(channels === 2 && c === 1 ? out.subarray(1) : out, 48000, channels);
    assert.ok(Math.abs(f - 1000) <= 5, `${what} ch${c}: ${f} Hz`);
    // A 1 kHz sine of amplitude 0.5 moves at most 0.5 * 32767 * 2π * 1000 / 48000 ≈ 2145 per sample;
    // a seam between chunks would show as a larger step.
    const step = maxStep(out, channels, c, 480);
    assert.ok(step < 2145 * 1.05, `${what} ch${c}: discontinuity, step ${step}`);
  }
}

describe('Resampler', () => {
  for (const inputRate of [8000, 16000, 32000, 44100]) {
    for (const channels of [1, 2] as const) {
      it(`carries a 1 kHz tone from ${inputRate} Hz ${channels === 1 ? 'mono' : 'stereo'} to 48 kHz in 10 ms and random chunks`, async () => {
        const seconds = 2;
        const tone = generateTone(1000, inputRate, channels, seconds);
        const frames = tone.length / channels;
        const tenMs = inputRate / 100;
        const steady = run(await make(channels, inputRate), tone, {
          next: () => ({ value: tenMs, done: false }),
        });
        checkTone(steady, channels, frames, inputRate, '10 ms chunks');
        const random = run(await make(channels, inputRate), tone, randomSizes(inputRate + channels, 2000));
        checkTone(random, channels, frames, inputRate, 'random chunks');
        const tiny = run(await make(channels, inputRate), tone, randomSizes(7, 5));
        checkTone(tiny, channels, frames, inputRate, '1-5 frame chunks');
      });
    }
  }

  it('returns fewer frames at first (look-ahead), then ratio * input per call', async () => {
    const r = await make(2, 44100);
    const first = r.process(new Int16Array(441 * 2)).length / 2;
    assert.ok(first > 400 && first < 480, `first call gave ${first} frames`);
    for (let i = 0; i < 5; i++) assert.equal(r.process(new Int16Array(441 * 2)).length, 480 * 2);
  });

  it('resamples one large block in one call (chunked internally)', async () => {
    const r = await make(1, 8000);
    const tone = generateTone(1000, 8000, 1, 3);
    checkTone(r.process(tone).slice(), 1, tone.length, 8000, 'one block');
  });

  it('passes through without a converter when the rates are equal', async () => {
    const r = await make(2, 48000, 48000);
    const input = new Int16Array([1, 2, 3, 4]);
    assert.equal(r.process(input), input);
    assert.equal(r.inputRate, 48000);
    assert.equal(r.outputRate, 48000);
    assert.equal(r.channels, 2);
  });

  it('reuses its output buffer for equal chunk sizes', async () => {
    const r = await make(1, 16000);
    const a = r.process(new Int16Array(160));
    const b = r.process(new Int16Array(160));
    assert.equal(a.buffer, b.buffer);
  });

  it('clamps overshoot instead of wrapping', async () => {
    const r = await make(1, 8000);
    const step = new Int16Array(8000);
    step.fill(32767, 4000);
    const out = r.process(step);
    let min = 0;
    let max = 0;
    for (const v of out) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.equal(max, 32767);
    assert.ok(min > -8000, `min ${min}: overshoot wrapped`);
  });

  it('reset() forgets the stream: the first call after it is short again', async () => {
    const r = await make(1, 44100);
    const first = r.process(new Int16Array(441)).length;
    r.process(new Int16Array(441));
    r.reset();
    assert.equal(r.process(new Int16Array(441)).length, first);
  });

  it('accepts empty input, rejects partial frames, and refuses to work after destroy()', async () => {
    const r = await Resampler.create(2, 16000);
    assert.equal(r.process(new Int16Array(0)).length, 0);
    assert.throws(
      () => r.process(new Int16Array(3)),
      (e: unknown) => e instanceof PatchbayError && e.code === ErrorCode.INVALID_PCM_LENGTH,
    );
    r.destroy();
    r.destroy();
    r.reset();
    assert.throws(
      () => r.process(new Int16Array(2)),
      (e: unknown) => e instanceof PatchbayError && e.code === ErrorCode.INVALID_OPERATION,
    );
  });

  it('rejects unsupported channel counts and rates', async () => {
    const isFormat = (e: unknown) =>
      e instanceof PatchbayError && e.code === ErrorCode.UNSUPPORTED_AUDIO_FORMAT;
    await assert.rejects(Resampler.create(3 as 1, 16000), isFormat);
    await assert.rejects(Resampler.create(1, 0), isFormat);
    await assert.rejects(Resampler.create(1, 16000.5), isFormat);
    await assert.rejects(Resampler.create(1, 16000, 400000), isFormat);
  });
});
