import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReportBlocks } from '@patchbay/rtp';
import type { EgressSlot } from '../media/MediaEngine.js';
import { Consumer } from './Consumer.js';
import { Producer } from './Producer.js';

function rtp(seq: number, ssrc = 0xabcdef01): Buffer {
  const b = Buffer.alloc(40);
  b[0] = 0x80;
  b[1] = 111;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** A subscriber's RR about `ssrc` with `fraction` (0..255). */
function subscriberRr(ssrc: number, fraction: number): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x81;
  b[1] = 201;
  b[3] = 7;
  b.writeUInt32BE(1, 4);
  b.writeUInt32BE(ssrc, 8);
  b[12] = fraction;
  return b;
}

function consumerOn(producer: Producer, ssrc: number): { consumer: Consumer; slot: EgressSlot } {
  const slot: EgressSlot = { mid: '0', ssrc, red: false, onRtcp: null, send: () => true };
  const consumer = new Consumer(slot);
  consumer.attach(producer);
  return { consumer, slot };
}

describe('Producer.receiverReport: what the publisher hears', () => {
  it('reports the uplink loss of the last interval, about the publisher SSRC', () => {
    const producer = new Producer();
    assert.equal(producer.receiverReport(0), null, 'nothing received yet');
    for (let i = 0; i < 100; i++) if (i % 5 !== 0) producer.onPacket(rtp(i));
    const [block] = parseReportBlocks(producer.receiverReport(1000) as Buffer);
    assert.equal(block.ssrc, 0xabcdef01);
    // 100 expected counting from the first received (seq 1): 99 expected, 19 lost.
    assert.ok(Math.abs(block.fractionLost - 19 / 99) < 1 / 256, `fraction ${block.fractionLost}`);
    assert.equal(block.cumulativeLost, 19);
    assert.equal(producer.uplinkPacketsLost, 19);
    for (let i = 100; i < 150; i++) producer.onPacket(rtp(i));
    assert.equal(parseReportBlocks(producer.receiverReport(2000) as Buffer)[0].fractionLost, 0);
  });

  it("takes the worst subscriber's fresh report, unless told to report the uplink only", () => {
    const producer = new Producer();
    const a = consumerOn(producer, 1111);
    const b = consumerOn(producer, 2222);
    for (let i = 0; i < 50; i++) producer.onPacket(rtp(i));
    a.slot.onRtcp?.(subscriberRr(1111, 13)); // ~5%
    b.slot.onRtcp?.(subscriberRr(2222, 51)); // ~20%
    const now = performance.now();
    assert.equal(producer.receiverReport(now, false)?.[12], 0, 'uplink only: no loss');
    for (let i = 50; i < 100; i++) producer.onPacket(rtp(i));
    const [block] = parseReportBlocks(producer.receiverReport(now) as Buffer);
    assert.equal(block.fractionLost, 51 / 256);
    assert.equal(producer.reportedLoss, 51 / 256);
    assert.equal(block.cumulativeLost, 0, 'the cumulative count stays the uplink’s own');
    // Reports go stale: 13 s later they no longer count.
    for (let i = 100; i < 150; i++) producer.onPacket(rtp(i));
    assert.equal(producer.receiverReport(now + 13000)?.[12], 0);
    // A detached consumer no longer counts: only a's (fresh again at the real clock) does.
    b.consumer.detach();
    b.slot.onRtcp?.(subscriberRr(2222, 200));
    for (let i = 150; i < 200; i++) producer.onPacket(rtp(i));
    assert.equal(producer.receiverReport(performance.now())?.[12], 13);
  });

  it("puts the publisher's last SR time in LSR, and the delay since in DLSR", () => {
    const producer = new Producer();
    producer.onPacket(rtp(1));
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr[3] = 6;
    sr.writeUInt32BE(0xabcdef01, 4);
    sr.writeUInt32BE(0x11223344, 8);
    sr.writeUInt32BE(0x55667788, 12);
    producer.onPacket(sr);
    const [block] = parseReportBlocks(producer.receiverReport(performance.now() + 250) as Buffer);
    assert.equal(block.lastSr, 0x33445566);
    assert.ok(Math.abs(block.delaySinceLastSr - 65536 / 4) < 700, `DLSR ${block.delaySinceLastSr}`);
  });
});
