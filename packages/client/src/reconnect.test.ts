import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_RECONNECT_POLICY,
  reconnectDelay,
  reconnectTarget,
  resolveReconnectPolicy,
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
