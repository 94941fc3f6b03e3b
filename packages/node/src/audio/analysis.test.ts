import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateFrequency, findActiveRegion, generateTone, rms } from './analysis.js';

function within(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= Math.abs(expected) * relative,
    `${what}: ${actual} not within ${relative * 100}% of ${expected}`,
  );
}

describe('generateTone', () => {
  it('produces round(seconds * rate) frames, the same value on every channel, at the amplitude', () => {
    const t = generateTone(1000, 48000, 2, 0.5, 0.25);
    assert.equal(t.length, 48000);
    for (let i = 0; i < t.length; i += 2) assert.equal(t[i], t[i + 1]);
    assert.equal(t[0], 0);
    const peak = Math.max(...t);
    within(peak, 0.25 * 32767, 0.001, 'peak');
  });
});

describe('estimateFrequency', () => {
  it('is accurate to 0.2% for clean tones of 0.5 s', () => {
    for (const rate of [8000, 16000, 44100, 48000]) {
      for (const f of [100, 440, 1000, 3000]) {
        if (f * 2 >= rate) continue;
        within(estimateFrequency(generateTone(f, rate, 1, 0.5), rate), f, 0.002, `${f} Hz at ${rate}`);
      }
    }
  });

  it('uses the first channel of interleaved audio', () => {
    const stereo = new Int16Array(48000 * 2);
    const left = generateTone(440, 48000, 1, 1);
    const right = generateTone(1500, 48000, 1, 1);
    for (let i = 0; i < 48000; i++) {
      stereo[2 * i] = left[i];
      stereo[2 * i + 1] = right[i];
    }
    within(estimateFrequency(stereo, 48000, 2), 440, 0.002, 'left');
  });

  it('ignores leading and trailing silence, DC offset and low-level noise', () => {
    const tone = generateTone(1000, 48000, 1, 0.5, 0.5);
    const padded = new Int16Array(tone.length + 48000);
    let seed = 1;
    for (let i = 0; i < padded.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      padded[i] = 500 + ((seed % 401) - 200);
    }
    for (let i = 0; i < tone.length; i++) padded[24000 + i] += tone[i];
    within(estimateFrequency(padded, 48000), 1000, 0.002, 'noisy padded tone');
  });

  it('returns 0 for silence, DC and empty input', () => {
    assert.equal(estimateFrequency(new Int16Array(4800), 48000), 0);
    assert.equal(estimateFrequency(new Int16Array(4800).fill(1000), 48000), 0);
    assert.equal(estimateFrequency(new Int16Array(0), 48000), 0);
  });
});

describe('rms', () => {
  it('is 0 for silence, 1 for full-scale square, about 0.707 of the amplitude for a sine', () => {
    assert.equal(rms(new Int16Array(0)), 0);
    assert.equal(rms(new Int16Array(100)), 0);
    assert.equal(rms(new Int16Array(100).fill(-32768)), 1);
    within(rms(generateTone(1000, 48000, 1, 1, 0.5)), 0.5 / Math.SQRT2, 0.001, 'sine rms');
  });
});

describe('findActiveRegion', () => {
  it('finds the first and last loud window, to one window', () => {
    const rate = 16000;
    const buf = new Int16Array(rate * 2 * 2);
    const tone = generateTone(500, rate, 2, 0.6, 0.3);
    buf.set(tone, Math.round(0.5 * rate) * 2);
    const r = findActiveRegion(buf, rate, 2);
    assert.ok(r);
    assert.ok(Math.abs(r.startMs - 500) <= 10, `start ${r.startMs}`);
    assert.ok(Math.abs(r.endMs - 1100) <= 10, `end ${r.endMs}`);
  });

  it('returns null when nothing exceeds the threshold', () => {
    assert.equal(findActiveRegion(new Int16Array(48000), 48000), null);
    assert.equal(findActiveRegion(generateTone(1000, 48000, 1, 1, 0.01), 48000), null);
    assert.ok(findActiveRegion(generateTone(1000, 48000, 1, 1, 0.01), 48000, 1, 0.005));
  });
});
