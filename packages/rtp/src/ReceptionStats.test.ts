import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECEIVER_REPORT_LENGTH, ReceptionStats } from './ReceptionStats.js';
import { parseReportBlocks } from './rtcp.js';
import { isRtcp } from './rtpPacket.js';

describe('ReceptionStats', () => {
  it('counts loss per interval and in total across a sequence wrap', () => {
    const s = new ReceptionStats();
    let seq = 65500;
    let t = 0;
    // 100 packets, every 10th lost.
    for (let i = 0; i < 100; i++, seq = (seq + 1) & 0xffff, t += 20)
      if (i % 10 !== 5) s.update(seq, i * 960, t);
    assert.equal(s.received, 90);
    assert.equal(s.expected, 100);
    assert.equal(s.cumulativeLost, 10);
    assert.equal(s.extendedHighestSeq, 0x10000 + ((65500 + 99) & 0xffff));
    assert.equal(s.takeFractionLost(), Math.floor((10 * 256) / 100) / 256);
    // Next interval: nothing lost.
    for (let i = 100; i < 150; i++, seq = (seq + 1) & 0xffff, t += 20) s.update(seq, i * 960, t);
    assert.equal(s.takeFractionLost(), 0);
    assert.equal(s.takeFractionLost(), 0, 'nothing expected: 0');
  });

  it('treats reordering and duplicates as no loss, and a sender restart as a new stream', () => {
    const s = new ReceptionStats();
    for (const seq of [1, 2, 4, 3, 5, 5, 6]) s.update(seq, seq * 960, seq * 20);
    assert.equal(s.expected, 6);
    assert.ok(s.cumulativeLost <= 0);
    assert.equal(s.takeFractionLost(), 0);
    s.update(30000, 0, 200);
    s.update(30001, 960, 220);
    assert.equal(s.expected, 1, 'restarted on two sequential packets after a big jump (RFC 3550 A.1)');
    assert.equal(s.cumulativeLost, 0);
  });

  it('measures interarrival jitter (RFC 3550 A.8)', () => {
    const steady = new ReceptionStats();
    const jittery = new ReceptionStats();
    for (let i = 0; i < 500; i++) {
      steady.update(i, i * 960, i * 20);
      jittery.update(i, i * 960, i * 20 + (i % 2 ? 10 : 0));
    }
    assert.ok(steady.jitter <= 1, `steady ${steady.jitter}`);
    // Alternating 10 ms (480 units) transit changes converge to 480.
    assert.ok(Math.abs(jittery.jitter - 480) < 30, `jittery ${jittery.jitter}`);
  });

  it('writes a receiver report that parses back, with LSR/DLSR from the last SR', () => {
    const s = new ReceptionStats();
    for (let i = 0; i < 10; i++) if (i !== 3) s.update(i, i * 960, i * 20);
    s.onSenderReport(0x12345678, 0x9abcdef0, 1000);
    const rr = new Uint8Array(RECEIVER_REPORT_LENGTH);
    s.writeReceiverReport(rr, 7, 99, 0.25, 1500);
    assert.ok(isRtcp(rr));
    const [block] = parseReportBlocks(rr);
    assert.equal(block.ssrc, 99);
    assert.equal(block.fractionLost, 0.25);
    assert.equal(block.cumulativeLost, 1);
    assert.equal(block.highestSeq, 9);
    assert.equal(block.lastSr, 0x56789abc);
    assert.equal(block.delaySinceLastSr, 32768, 'half a second in 1/65536 s');
    assert.throws(() => s.writeReceiverReport(new Uint8Array(8), 1, 2, 0, 0), RangeError);
  });
});
