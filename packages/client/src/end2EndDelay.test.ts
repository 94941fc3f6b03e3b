import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { end2EndDelay, FRAMING_MS, median, packetDurationMs, senderReportTransit } from './end2EndDelay.js';

describe('end2EndDelay', () => {
  it('reads the packet duration from the packet rate, else 20 ms', () => {
    assert.equal(packetDurationMs(100, 1), 10);
    assert.equal(packetDurationMs(50, 1), 20);
    assert.equal(packetDurationMs(49, 1.02), 20);
    assert.equal(packetDurationMs(25, 1), 40);
    assert.equal(packetDurationMs(70, 1), FRAMING_MS); // 14.3 ms: no standard ptime
    assert.equal(packetDurationMs(3, 1), FRAMING_MS); // too few to tell
    assert.equal(packetDurationMs(50, 0), FRAMING_MS);
  });

  it('takes the transit of the relayed sender report when the clocks agree', () => {
    const ro = (timestamp: number, remoteTimestamp: number) => ({
      type: 'remote-outbound-rtp',
      timestamp,
      remoteTimestamp,
    });
    assert.equal(senderReportTransit(ro(1_000_105, 1_000_000)), 105);
    assert.equal(senderReportTransit(ro(1_000_000, 1_000_004)), 0); // ms rounding of two clocks
    assert.equal(senderReportTransit(ro(1_000_000, 1_000_050)), null); // clock skew
    assert.equal(senderReportTransit(ro(1_010_000, 1_000_000)), null); // 10 s: skew, not a network
    assert.equal(senderReportTransit({ type: 'inbound-rtp', timestamp: 2, remoteTimestamp: 1 }), null);
    assert.equal(senderReportTransit(undefined), null);
    assert.deepEqual(end2EndDelay(105, 1, 40, 10), { delay: 155, source: 'sender-report' });
    assert.deepEqual(end2EndDelay(null, 5, 40), { delay: 70, source: 'estimate' });
    assert.equal(median([101, 319, 102]), 102); // one late report does not stand for the path
    assert.equal(median([1, 319]), 160);
    assert.equal(median([7]), 7);
  });
});
