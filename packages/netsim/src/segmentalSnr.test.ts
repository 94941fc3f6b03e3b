import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from './mulberry32.js';
import { segmentalSnr } from './segmentalSnr.js';
import { speechLikeSignal } from './speechLikeSignal.js';

/** The reference delayed by `delay` samples, with white noise at `noise` of full scale. */
function delayed(ref: Int16Array, delay: number, noise = 0, seed = 3): Int16Array {
  const rand = mulberry32(seed);
  const out = new Int16Array(ref.length + delay + 4800);
  for (let i = 0; i < ref.length; i++) out[delay + i] = ref[i];
  if (noise > 0) for (let i = 0; i < out.length; i++) out[i] += Math.round((rand() * 2 - 1) * noise * 32767);
  return out;
}

describe('speech-like signal and segmental SNR', () => {
  const ref = speechLikeSignal(4, 9);

  it('is deterministic, speech-like in level and has pauses', () => {
    assert.deepEqual(speechLikeSignal(1, 9), ref.subarray(0, 48000));
    assert.notDeepEqual(speechLikeSignal(1, 10), ref.subarray(0, 48000));
    let silent = 0;
    let peak = 0;
    for (let f = 0; f + 480 <= ref.length; f += 480) {
      let e = 0;
      for (let i = f; i < f + 480; i++) e = Math.max(e, Math.abs(ref[i]));
      if (e === 0) silent++;
      peak = Math.max(peak, e);
    }
    assert.ok(silent > 20 && silent < 200, `${silent} silent 10 ms frames of 400`);
    assert.ok(peak > 8000 && peak <= 32767, `peak ${peak}`);
  });

  it('finds the delay and scores an exact copy at the ceiling', () => {
    const r = segmentalSnr(ref, delayed(ref, 12345));
    assert.equal(r.lagSamples, 12336, 'coarse lag on a 1 ms grid'); // refined per block below
    assert.ok(r.segSnrDb > 34.9, `segSNR ${r.segSnrDb}`);
    assert.ok(r.alignedShare > 0.9);
  });

  it('falls as noise rises, and drops when frames are missing', () => {
    const clean = segmentalSnr(ref, delayed(ref, 5000)).segSnrDb;
    const a = segmentalSnr(ref, delayed(ref, 5000, 0.01)).segSnrDb;
    const b = segmentalSnr(ref, delayed(ref, 5000, 0.05)).segSnrDb;
    assert.ok(clean > a && a > b, `${clean} > ${a} > ${b}`);
    // Zero out 20 ms of every 100 ms (as if 20% of packets were lost and concealed with silence).
    const holes = delayed(ref, 5000);
    for (let i = 5000; i < holes.length; i += 4800) holes.fill(0, i, i + 960);
    const h = segmentalSnr(ref, holes);
    assert.ok(h.segSnrDb < clean - 5, `holes ${h.segSnrDb} vs ${clean}`);
  });

  it('follows a lag that drifts (time stretched by the jitter buffer)', () => {
    // 10 ms of extra delay inserted in the middle.
    const rec = delayed(ref, 3000);
    const stretched = new Int16Array(rec.length + 480);
    stretched.set(rec.subarray(0, 3000 + 96000), 0);
    stretched.set(rec.subarray(3000 + 96000), 3000 + 96000 + 480);
    const r = segmentalSnr(ref, stretched);
    assert.ok(r.segSnrDb > 30, `segSNR ${r.segSnrDb}`);
  });
});
