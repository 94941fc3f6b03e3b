import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PatchbayError } from '../errors.js';
import { Pacer } from './Pacer.js';

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // blocking the event loop on purpose
  }
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('Pacer', () => {
  it('emits elapsed / frameMs frames (±3) over about 1 s of real time', async () => {
    let frames = 0;
    // A generous catch-up bound, so a stall of the (shared, loaded) test machine is caught up
    // rather than resynced: the count must then match the elapsed time exactly (no drift).
    const pacer = new Pacer(
      () => {
        frames++;
      },
      { maxCatchUpFrames: 100 },
    );
    const t0 = performance.now();
    pacer.start();
    await sleep(1000);
    pacer.stop();
    const elapsed = performance.now() - t0;
    const expected = Math.floor(elapsed / 10) + 1;
    assert.ok(Math.abs(frames - expected) <= 3, `${frames} frames in ${elapsed.toFixed(1)} ms`);
    assert.equal(pacer.framesEmitted, frames);
    assert.equal(pacer.resyncs, 0);
  });

  it('catches up after the event loop is blocked for 100 ms', async () => {
    const pacer = new Pacer(() => {}, { maxCatchUpFrames: 60 });
    const t0 = performance.now();
    pacer.start();
    await sleep(100);
    busyWait(100);
    const before = pacer.framesEmitted;
    await sleep(50);
    pacer.stop();
    const elapsed = performance.now() - t0;
    assert.ok(
      pacer.framesEmitted - before >= 10,
      `only ${pacer.framesEmitted - before} frames after the block`,
    );
    const expected = Math.floor(elapsed / 10) + 1;
    assert.ok(
      Math.abs(pacer.framesEmitted - expected) <= 3,
      `${pacer.framesEmitted} frames in ${elapsed} ms`,
    );
    assert.equal(pacer.resyncs, 0);
  });

  it('resyncs instead of bursting when further behind than maxCatchUpFrames', async () => {
    const pacer = new Pacer(() => {});
    const t0 = performance.now();
    pacer.start();
    await sleep(50);
    const before = pacer.framesEmitted;
    busyWait(200);
    await sleep(0);
    const burst = pacer.framesEmitted - before;
    assert.ok(burst <= 5 + 1, `burst of ${burst} frames`);
    await sleep(100);
    pacer.stop();
    const elapsed = performance.now() - t0;
    // One resync for the 200 ms block (a loaded machine may add another stall of its own).
    assert.ok(pacer.resyncs >= 1, `resyncs ${pacer.resyncs}`);
    const lag = Math.floor(elapsed / 10) + 1 - pacer.framesEmitted;
    assert.ok(lag >= 10, `lag ${lag} frames: the skipped time was not burst out`);
  });

  it('stop() stops emitting and leaves no timer behind; start() resumes', async () => {
    const before = timeouts();
    const pacer = new Pacer(() => {}, { frameMs: 5 });
    pacer.start();
    pacer.start();
    assert.equal(pacer.running, true);
    await sleep(50);
    pacer.stop();
    assert.equal(pacer.running, false);
    assert.equal(timeouts(), before);
    const n = pacer.framesEmitted;
    assert.ok(n > 0);
    await sleep(50);
    assert.equal(pacer.framesEmitted, n);
    pacer.start();
    await sleep(30);
    pacer.stop();
    assert.ok(pacer.framesEmitted > n);
  });

  it('can be stopped from inside onFrame', async () => {
    const pacer = new Pacer(
      () => {
        if (pacer.framesEmitted === 3) pacer.stop();
      },
      { frameMs: 1 },
    );
    pacer.start();
    await sleep(30);
    assert.equal(pacer.framesEmitted, 3);
    assert.equal(pacer.running, false);
  });

  it('follows deadlines start + n * frameMs on an injected clock, however late the timers fire', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = 1000;
      const stamps: number[] = [];
      const pacer = new Pacer(() => stamps.push(now), { now: () => now, maxCatchUpFrames: 3 });
      pacer.start();
      const advance = (ms: number) => {
        now += ms;
        mock.timers.tick(ms);
      };
      advance(0);
      assert.deepEqual(stamps, [1000]);
      for (let i = 0; i < 10; i++) advance(10);
      assert.equal(pacer.framesEmitted, 11);
      // Each wake sleeps until 1 ms before the next deadline (9 ms here); the clock jumps further.
      now += 30; // the timer fires 21 ms late: frames 11, 12, 13 are due on this wake
      mock.timers.tick(9);
      assert.equal(pacer.framesEmitted, 14);
      assert.equal(pacer.resyncs, 0);
      now += 100; // 10 frames due: emits 3, then resyncs
      mock.timers.tick(9);
      assert.equal(pacer.framesEmitted, 17);
      assert.equal(pacer.resyncs, 1);
      const at = now;
      for (let i = 0; i < 5; i++) advance(10);
      assert.equal(pacer.framesEmitted, 22);
      assert.deepEqual(stamps.slice(-5), [at + 10, at + 20, at + 30, at + 40, at + 50]);
      pacer.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it('rejects bad options', () => {
    assert.throws(() => new Pacer(() => {}, { frameMs: 0 }), PatchbayError);
    assert.throws(() => new Pacer(() => {}, { maxCatchUpFrames: 0 }), PatchbayError);
    assert.throws(() => new Pacer(() => {}, { maxCatchUpFrames: 2.5 }), PatchbayError);
  });
});
