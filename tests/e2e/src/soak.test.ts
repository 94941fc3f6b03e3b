/**
 * The soak in CI: the 30-minute `npm run soak` shape (10 channels × 10 participants, every one
 * publishing and subscribed to the rest of its channel, 2 replaced every 3 s) for 2 minutes against
 * a real `patchbay serve` process and real DTLS-SRTP load peers, with the same checks: forwarding
 * loss ≤ 0.1 %, RSS growth ≤ 5 % over the steady window, fds / handles / listeners back to idle and
 * not growing while churning, every room and internal gauge back to 0.
 */
import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { judge, runSoak } from '../../../bench/dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MINUTES = 2;
// runSoak starts the server with the production node flags (a fixed young generation,
// docs/deployment.md), so its 35 s window measures growth, not one of V8's resizes.

describe('soak (2 minutes)', { timeout: (MINUTES * 60 + 90) * 1000 }, () => {
  it('10 × 10 with churn: no loss, no leak, everything back to idle', async () => {
    const r = await runSoak(root, { minutes: MINUTES, sampleEveryMs: 3000, log: () => undefined });
    const v = judge(r);
    for (const c of v.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    // It measured something: the churn ran, and the booked packets are most of what 100 publishers
    // × 9 subscribers send in the time after the fill (settle windows and teardown aside).
    assert.ok(r.joins >= 100 + 20, `joins ${r.joins}`);
    const streamSeconds = 100 * 9 * (r.durationS - r.filledAtS);
    assert.ok(r.loss.expected >= 0.5 * streamSeconds * 50, `expected ${r.loss.expected} packets`);
    assert.ok(r.loss.received <= r.loss.expected, 'never more received than sent');
    for (const c of v.checks) assert.ok(c.ok, `${c.name}: ${c.detail}`);
  });
});
