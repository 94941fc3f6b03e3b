import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_RECONNECT_POLICY,
  reconnectDelay,
  reconnectTarget,
  resolveReconnectPolicy,
  retryOnSchedule,
} from './reconnect.js';

test('the schedule follows its delays, repeats the last, and jitters within the spread', () => {
  const p = DEFAULT_RECONNECT_POLICY;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 9].map((a) => reconnectDelay(p, a, () => 0.5)),
    [0, 1000, 3000, 5000, 7000, 7000, 7000],
  );
  assert.equal(
    reconnectDelay(p, 1, () => 0),
    800,
  );
  assert.equal(
    reconnectDelay(p, 1, () => 1),
    1200,
  );
  for (let i = 0; i < 1000; i++) {
    const d = reconnectDelay(p, 2, Math.random);
    assert.ok(d >= 2400 && d <= 3600, String(d));
  }
});

test('targets: the last server first, then the entry list in turn', () => {
  const entries = ['ws://a', 'ws://b'];
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((a) => reconnectTarget('ws://owner', entries, a)),
    ['ws://owner', 'ws://a', 'ws://b', 'ws://a', 'ws://b'],
  );
  assert.equal(reconnectTarget('ws://x', [], 3), 'ws://x');
  // The server just lost is not tried again from the entry list.
  assert.deepEqual(
    [0, 1, 2, 3].map((a) => reconnectTarget('ws://a', ['ws://a', 'ws://b', 'ws://c'], a)),
    ['ws://a', 'ws://b', 'ws://c', 'ws://b'],
  );
});

test('bad policies are refused with a clear message', () => {
  assert.throws(() => resolveReconnectPolicy({ delaysMs: [] }), /delaysMs/);
  assert.throws(() => resolveReconnectPolicy({ jitter: 1 }), /jitter/);
  assert.throws(() => resolveReconnectPolicy({ giveUpAfterMs: -1 }), /giveUpAfterMs/);
  assert.equal(resolveReconnectPolicy({ giveUpAfterMs: 0 }).giveUpAfterMs, 0);
});

test('retryOnSchedule: waits on the schedule, stops on success, on a fatal error, on cancel, and when time is up', async () => {
  const policy = { delaysMs: [0, 1000, 3000], jitter: 0, giveUpAfterMs: 10_000 };
  let clock = 0;
  let calls = 0;
  const waits: number[] = [];
  /** One run on a fake clock: `fail(i)` names the error attempt i throws ('' succeeds). */
  const run = (fail: (i: number) => string, cancelAt = Infinity) => {
    clock = 0;
    calls = 0;
    waits.length = 0;
    return retryOnSchedule(
      policy,
      async (i) => {
        calls++;
        const message = fail(i);
        if (message) throw new Error(message);
        return 'ok';
      },
      {
        cancelled: () => clock >= cancelAt,
        fatal: (e) => (e as Error).message === 'FATAL',
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
        now: () => clock,
      },
    );
  };
  // succeeds at the third attempt
  let out = await run((i) => (i < 2 ? 'transient' : ''));
  assert.deepEqual(out, { kind: 'done', value: 'ok', attempts: 3 });
  assert.deepEqual(waits, [1000, 3000]);
  // out of time: attempts at 0, 1, 4, 7 and 10 s (10 ≤ giveUpAfterMs); the next would start at 13 s
  out = await run(() => 'transient');
  assert.equal(out.kind, 'failed');
  assert.equal(out.kind === 'failed' && out.fatal, false);
  assert.equal(calls, 5);
  assert.deepEqual(waits, [1000, 3000, 3000, 3000]);
  // fatal error: stops at once
  out = await run(() => 'FATAL');
  assert.equal(calls, 1);
  assert.ok(out.kind === 'failed' && out.fatal && (out.lastError as Error).message === 'FATAL');
  // cancelled during a wait: no further attempt
  out = await run(() => 'transient', 500);
  assert.deepEqual(out, { kind: 'cancelled' });
  assert.equal(calls, 1);
});
