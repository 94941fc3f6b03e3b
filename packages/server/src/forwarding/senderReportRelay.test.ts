import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSenderReport, parseReportBlocks, readSenderInfo, type SenderInfo } from '@patchbay/rtp';
import type { EgressSlot } from '../media/MediaEngine.js';
import { Consumer } from './Consumer.js';
import { Producer } from './Producer.js';

function rtp(ssrc: number, seq: number, ts: number): Buffer {
  const b = Buffer.alloc(12 + 20);
  b[0] = 0x80;
  b[1] = 111;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}

function fakeSlot(ssrc: number): { slot: EgressSlot; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const slot: EgressSlot = {
    mid: '0',
    ssrc,
    red: false,
    onRtcp: null,
    send: (b) => (sent.push(Buffer.from(b)), true),
  };
  return { slot, sent };
}

const info = (): SenderInfo => ({ ssrc: 0, ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0 });

describe('sender report relay (publisher clock to subscribers)', () => {
  it('relays the publisher SR at once: its NTP time, the RTP timestamp in the subscriber space', () => {
    const producer = new Producer();
    const a = fakeSlot(1111);
    const b = fakeSlot(2222);
    const ca = new Consumer(a.slot);
    const cb = new Consumer(b.slot);
    ca.attach(producer);
    cb.attach(producer);
    producer.onPacket(rtp(0xabc, 100, 48_000));
    producer.onPacket(rtp(0xabc, 101, 48_960));
    // Each subscriber's offset between its timestamps and the publisher's.
    const offA = (a.sent[1].readUInt32BE(4) - 48_960) >>> 0;
    const offB = (b.sent[1].readUInt32BE(4) - 48_960) >>> 0;
    const sr = buildSenderReport({
      ssrc: 0xabc,
      unixMs: 1_800_000_000_125,
      rtpTimestamp: 49_500,
      packetCount: 2,
      octetCount: 40,
      cname: 'pub',
    });
    producer.onPacket(sr);
    assert.equal(producer.stats.senderReportsIn, 1);
    for (const [slot, off, ssrc] of [
      [a, offA, 1111],
      [b, offB, 2222],
    ] as const) {
      assert.equal(slot.sent.length, 3, 'two RTP packets, then the relayed SR');
      const got = info();
      assert.ok(readSenderInfo(slot.sent[2], got));
      assert.equal(got.ssrc, ssrc);
      assert.equal(got.ntpSeconds, sr.readUInt32BE(8), 'publisher NTP seconds unchanged');
      assert.equal(got.ntpFraction, sr.readUInt32BE(12), 'publisher NTP fraction unchanged');
      assert.equal(got.rtpTimestamp, (49_500 + off) >>> 0, 'RTP timestamp in the subscriber space');
      assert.equal(slot.sent[2].readUInt32BE(20), 2, 'our packet count');
    }
    assert.equal(ca.senderReportsSent, 1);
  });

  it('relays nothing before the stream forwarded that publisher, nor an SR of another SSRC', () => {
    const producer = new Producer();
    const a = fakeSlot(1111);
    const ca = new Consumer(a.slot);
    ca.attach(producer);
    const sr = (ssrc: number) =>
      buildSenderReport({ ssrc, unixMs: 1e12, rtpTimestamp: 5, packetCount: 0, octetCount: 0, cname: 'p' });
    producer.onPacket(sr(0xabc));
    assert.equal(a.sent.length, 0);
    producer.onPacket(rtp(0xabc, 1, 960));
    producer.onPacket(sr(0xdef));
    assert.equal(a.sent.length, 1, 'only the RTP packet');
    producer.onPacket(sr(0xabc));
    assert.equal(a.sent.length, 2);
  });
});
