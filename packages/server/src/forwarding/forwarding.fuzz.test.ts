import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EgressSlot } from '../media/MediaEngine.js';
import { Consumer } from './Consumer.js';
import { Producer } from './Producer.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * What arrives after SRTP decryption is whatever the publisher's RTP stack sent: the SFU's own
 * RTP/RTCP readers, rewriter and SR/RR parsing must take any bytes without throwing.
 */
describe('forwarding fuzz', () => {
  it('200,000 malformed RTP/RTCP buffers through Producer (RRs, RED, SR relay) -> Consumer and the RTCP reader: no throw', () => {
    const r = prng(7);
    const sent: Buffer[] = [];
    const slot: EgressSlot = {
      mid: '0',
      ssrc: 42,
      red: false,
      onRtcp: null,
      send: (b) => (sent.push(b), sent.length < 4),
    };
    const producer = new Producer();
    // RED from the publisher: one subscriber takes it, the other gets it stripped.
    producer.redPayloadType = 63;
    const consumer = new Consumer(slot);
    consumer.attach(producer);
    new Consumer({ ...slot, ssrc: 43, red: true }).attach(producer);
    for (let i = 0; i < 200_000; i++) {
      const buf = Buffer.allocUnsafe(Math.floor(r() * (r() < 0.9 ? 64 : 1500)));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(r() * 256);
      if (buf.length > 1 && r() < 0.6) buf[0] = 0x80 | (buf[0] & 0x3f);
      if (buf.length > 1 && r() < 0.3)
        buf[1] = r() < 0.5 ? (r() < 0.5 ? 111 : 63) : 200 + Math.floor(r() * 8);
      producer.onPacket(buf);
      slot.onRtcp?.(buf);
      if (sent.length > 1000) sent.length = 0;
    }
    const s = producer.stats;
    assert.equal(s.packetsIn + s.rtcpIn + s.malformedIn, 200_000);
    assert.ok(s.packetsIn > 10_000 && s.malformedIn > 10_000 && s.rtcpIn > 1000, JSON.stringify(s));
  });
});
