import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RED_HOLD_MS, RED_OFF_LOSS, RED_ON_LOSS, RedSwitch } from './RedSwitch.js';

test('RED starts off, goes on at the loss threshold, not below it', () => {
  const s = new RedSwitch();
  assert.equal(s.on, false);
  assert.equal(s.onReport(0, 0), false);
  assert.equal(s.onReport(RED_ON_LOSS - 1 / 256, 1000), false);
  assert.equal(s.on, false);
  assert.equal(s.onReport(0.1, 2000), true);
  assert.equal(s.on, true);
});

test('RED stays on through light loss and goes off only after RED_HOLD_MS of clean reports', () => {
  const s = new RedSwitch();
  s.onReport(0.1, 0);
  // Light loss (below the on threshold, above the off one) keeps it on.
  s.onReport(RED_OFF_LOSS, 10000);
  assert.equal(s.onReport(0, 10000 + RED_HOLD_MS - 1), false);
  assert.equal(s.on, true);
  assert.equal(s.onReport(0, 10000 + RED_HOLD_MS), true);
  assert.equal(s.on, false);
  s.onReport(0.05, 40000);
  assert.equal(s.on, true);
  s.reset();
  assert.equal(s.on, false);
  assert.equal(s.onReport(0, 40001), false);
});
