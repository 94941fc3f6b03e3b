import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rms } from './analysis.js';
import { NoiseSuppressor } from './NoiseSuppressor.js';

/** Deterministic red ("brown") noise: xorshift32 white noise through a one-pole low-pass. */
function noise(frames: number, channels: number, amp: number, seed = 1): Int16Array {
  const out = new Int16Array(frames * channels);
  let x = seed;
  let b = 0;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b = 0.98 * b + (((x >>> 0) / 0xffffffff) * 2 - 1) * 0.2;
    out[i] = Math.round(b * amp * 32767);
  }
  return out;
}

describe('NoiseSuppressor (RNNoise, WebAssembly)', () => {
  for (const channels of [1, 2] as const) {
    it(`removes most of steady red noise (${channels === 1 ? 'mono' : 'stereo'}), in place, 10 ms at a time`, async () => {
      const ns = await NoiseSuppressor.create(channels);
      // RNNoise is deterministic; this noise is reduced by 30-50 dB once it has adapted.
      const input = noise(48000 * 6, channels, 0.3, 7);
      const output = Int16Array.from(input);
      for (let i = 0; i < output.length; i += 480 * channels)
        ns.process(output.subarray(i, i + 480 * channels), channels);
      ns.destroy();
      // Measure the last 2 s, after RNNoise has learnt the noise floor.
      const from = 4 * 48000 * channels;
      const before = rms(input.subarray(from));
      const after = rms(output.subarray(from));
      const db = 20 * Math.log10(before / after);
      console.log(`# RNNoise red-noise reduction (${channels} ch): ${db.toFixed(1)} dB`);
      assert.ok(db > 20, `reduced by ${db.toFixed(1)} dB`);
    });
  }

  it('ignores frames of the wrong size or channel count instead of corrupting them', async () => {
    const ns = await NoiseSuppressor.create(1);
    const odd = noise(100, 1, 0.1);
    const copy = Int16Array.from(odd);
    ns.process(odd, 1);
    ns.process(copy, 2);
    assert.deepEqual(odd, copy);
    ns.destroy();
    ns.process(noise(480, 1, 0.1), 1); // after destroy: a no-op, no throw
  });
});
