import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';
import { AudioQueue } from './AudioQueue.js';

/** Lets promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled. */
function track(p: Promise<void>): { done: boolean } {
  const state = { done: false };
  p.then(() => {
    state.done = true;
  });
  return state;
}

function ramp(from: number, n: number): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = from + i;
  return a;
}

describe('AudioQueue', () => {
  it('keeps order across many wrap-arounds of a small ring', async () => {
    const q = new AudioQueue({ sampleRate: 1000, channels: 1, capacityMs: 10 });
    const got: number[] = [];
    const out = new Int16Array(4);
    let next = 0;
    for (let round = 0; round < 50; round++) {
      const n = 1 + (round % 7);
      await q.push(ramp(next, n));
      next += n;
      while (q.queuedDurationMs >= 4) {
        assert.equal(q.read(out), 4);
        got.push(...out);
      }
    }
    const last = q.read(out);
    got.push(...out.subarray(0, last));
    assert.deepEqual(got, [...ramp(0, next)]);
  });

  it('keeps a copy of pushed samples', async () => {
    const q = new AudioQueue({ sampleRate: 1000, channels: 2, capacityMs: 2 });
    const src = new Int16Array([1, 2, 3, 4, 5, 6]);
    const p = q.push(src);
    src.fill(0);
    const out = new Int16Array(6);
    assert.equal(q.read(out), 3);
    assert.deepEqual([...out], [1, 2, 3, 4, 5, 6]);
    await p;
  });

  it('applies back-pressure: a 1 s push into a 200 ms queue resolves after 80 reads of 10 ms', async () => {
    const q = new AudioQueue({ sampleRate: 48000, channels: 2, capacityMs: 200 });
    const pushed = track(q.push(new Int16Array(48000 * 2).fill(7)));
    const later = track(q.push(new Int16Array(480 * 2).fill(8)));
    assert.equal(q.queuedDurationMs, 1010);
    const out = new Int16Array(480 * 2);
    for (let i = 0; i < 79; i++) {
      assert.equal(q.read(out), 480);
      await settle();
      assert.equal(pushed.done, false, `resolved early, after ${i + 1} reads`);
    }
    q.read(out);
    await settle();
    assert.equal(pushed.done, true);
    assert.equal(later.done, false);
    q.read(out);
    await settle();
    assert.equal(later.done, true);
    assert.equal(q.queuedDurationMs, 200);
  });

  it('clear() drops queued and pending audio at once and resolves every waiter', async () => {
    const q = new AudioQueue({ sampleRate: 16000, channels: 1, capacityMs: 100 });
    const first = track(q.push(new Int16Array(800)));
    const big = track(q.push(new Int16Array(16000)));
    const playout = track(q.waitForPlayout());
    await settle();
    assert.equal(first.done, true);
    assert.equal(big.done, false);
    assert.equal(playout.done, false);
    assert.equal(q.clear(), 1050);
    await settle();
    assert.equal(big.done, true);
    assert.equal(playout.done, true);
    assert.equal(q.queuedDurationMs, 0);
    const out = new Int16Array(160).fill(9);
    assert.equal(q.read(out), 0);
    assert.ok(out.every((v) => v === 0));
    assert.equal(q.stats.clearedFrames, 16800);
    assert.equal(q.stats.underruns, 0, 'a clear is not an underrun');
    assert.equal(q.clear(), 0);
  });

  it('waitForPlayout() resolves once everything pushed before it has been read', async () => {
    const q = new AudioQueue({ sampleRate: 48000, channels: 1, capacityMs: 200 });
    await q.waitForPlayout();
    await q.push(new Int16Array(480 * 3));
    const w = track(q.waitForPlayout());
    await q.push(new Int16Array(480 * 5));
    const out = new Int16Array(480);
    for (let i = 0; i < 2; i++) {
      q.read(out);
      await settle();
      assert.equal(w.done, false);
    }
    q.read(out);
    await settle();
    assert.equal(w.done, true, 'later pushes do not delay it');
    const w2 = track(q.waitForPlayout());
    const w3 = track(q.waitForPlayout());
    for (let i = 0; i < 4; i++) q.read(out);
    await settle();
    assert.equal(w2.done, false);
    q.read(out);
    await settle();
    assert.equal(w2.done && w3.done, true);
  });

  it('counts silence frames, and one underrun per transition from playing to starved', async () => {
    const q = new AudioQueue({ sampleRate: 1000, channels: 1, capacityMs: 100 });
    const out = new Int16Array(10);
    assert.equal(q.read(out), 0);
    assert.equal(q.stats.underruns, 0, 'never played yet');
    await q.push(new Int16Array(15).fill(1));
    assert.equal(q.read(out), 10);
    assert.equal(q.read(out), 5);
    assert.deepEqual([...out], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    assert.equal(q.read(out), 0);
    assert.equal(q.read(out), 0);
    assert.deepEqual(q.stats, {
      pushedFrames: 15,
      playedFrames: 15,
      silenceFrames: 35,
      underruns: 1,
      clearedFrames: 0,
    });
    await q.push(new Int16Array(20));
    q.read(out);
    q.read(out);
    assert.equal(q.stats.underruns, 1);
    q.read(out);
    assert.equal(q.stats.underruns, 2);
    await q.push(new Int16Array(3));
    q.read(out);
    assert.equal(q.stats.underruns, 3, 'a short read right after starting counts');
  });

  it('accounts queued and pending duration in ms', async () => {
    const q = new AudioQueue({ sampleRate: 8000, channels: 2, capacityMs: 20 });
    assert.equal(q.queuedDurationMs, 0);
    await q.push(new Int16Array(80 * 2));
    assert.equal(q.queuedDurationMs, 10);
    const p = q.push(new Int16Array(240 * 2));
    assert.equal(q.queuedDurationMs, 40);
    q.read(new Int16Array(40 * 2));
    assert.equal(q.queuedDurationMs, 35);
    q.read(new Int16Array(400 * 2));
    assert.equal(q.queuedDurationMs, 0);
    await p;
    assert.equal(q.stats.pushedFrames, 320);
    assert.equal(q.stats.playedFrames, 320);
  });

  it('rejects partial frames and bad options', async () => {
    const q = new AudioQueue({ sampleRate: 48000, channels: 2, capacityMs: 200 });
    await assert.rejects(q.push(new Int16Array(3)), (e: unknown) => {
      return e instanceof PatchbayError && e.code === ErrorCode.INVALID_PCM_LENGTH;
    });
    assert.throws(() => q.read(new Int16Array(3)), PatchbayError);
    assert.throws(() => new AudioQueue({ sampleRate: 0, channels: 1, capacityMs: 200 }), PatchbayError);
    assert.throws(() => new AudioQueue({ sampleRate: 48000, channels: 1.5, capacityMs: 200 }), PatchbayError);
    assert.throws(() => new AudioQueue({ sampleRate: 48000, channels: 1, capacityMs: 0 }), PatchbayError);
    await q.push(new Int16Array(0));
    assert.equal(q.stats.pushedFrames, 0);
  });
});
