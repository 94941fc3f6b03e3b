import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AudioQueue } from './AudioQueue.js';

type Op =
  { kind: 'push'; frames: number } | { kind: 'read'; frames: number } | { kind: 'clear' } | { kind: 'wait' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }).map((frames): Op => ({ kind: 'push', frames })) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 30 }).map((frames): Op => ({ kind: 'read', frames })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'clear' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'wait' }) },
);

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Model: the queue is one FIFO of samples (ring + pending). The ring always holds the first
 * `capacity` samples of it, so a push has resolved exactly when its last sample is within the
 * first `capacity` samples still queued (or was consumed), and a waitForPlayout() exactly when
 * everything pushed before it was consumed.
 */
describe('AudioQueue (property)', () => {
  it('reads back exactly what was pushed, in order, minus what was cleared; promises settle on time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 25 }),
        fc.array(opArb, { maxLength: 60 }),
        async (channels, capacityFrames, ops) => {
          const q = new AudioQueue({ sampleRate: 1000, channels, capacityMs: capacityFrames });
          const capacity = capacityFrames * channels;
          const model: number[] = [];
          const expectedRead: number[] = [];
          const actualRead: number[] = [];
          const pushes: { end: number; state: { done: boolean } }[] = [];
          const waits: { target: number; state: { done: boolean } }[] = [];
          let counter = 0;
          let pushedTotal = 0;
          let consumed = 0;
          const track = (p: Promise<void>) => {
            const state = { done: false };
            p.then(() => {
              state.done = true;
            });
            return state;
          };
          for (const op of ops) {
            if (op.kind === 'push') {
              const data = new Int16Array(op.frames * channels);
              for (let i = 0; i < data.length; i++) data[i] = (counter++ % 30000) + 1;
              model.push(...data);
              pushedTotal += data.length;
              // An empty push has nothing to wait for: it resolves at once.
              pushes.push({ end: data.length === 0 ? 0 : pushedTotal, state: track(q.push(data)) });
            } else if (op.kind === 'read') {
              const out = new Int16Array(op.frames * channels).fill(-1);
              const real = q.read(out) * channels;
              const want = Math.min(out.length, model.length);
              assert.equal(real, want);
              actualRead.push(...out.subarray(0, real));
              expectedRead.push(...model.splice(0, want));
              assert.ok(
                out.subarray(real).every((v) => v === 0),
                'zero-filled tail',
              );
              consumed += want;
            } else if (op.kind === 'clear') {
              const ms = q.clear();
              assert.equal(ms, model.length / channels);
              consumed += model.length;
              model.length = 0;
            } else {
              waits.push({ target: pushedTotal, state: track(q.waitForPlayout()) });
            }
            assert.equal(q.queuedDurationMs, model.length / channels);
            await settle();
            for (const p of pushes) assert.equal(p.state.done, p.end - consumed <= capacity, 'push settled');
            for (const w of waits) assert.equal(w.state.done, w.target <= consumed, 'waitForPlayout settled');
          }
          assert.deepEqual(actualRead, expectedRead);
          const remaining = model.length;
          const drain = new Int16Array(remaining + channels);
          assert.equal(q.read(drain) * channels, remaining, 'nothing lost');
          assert.deepEqual([...drain.subarray(0, remaining)], model);
          const s = q.stats;
          assert.equal(s.pushedFrames * channels, pushedTotal);
          assert.equal(s.pushedFrames, s.playedFrames + s.clearedFrames);
          await settle();
          assert.ok(pushes.every((p) => p.state.done));
          assert.ok(waits.every((w) => w.state.done));
        },
      ),
      { numRuns: 300 },
    );
  });
});
