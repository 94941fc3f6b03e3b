import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EgressSlot } from '../media/MediaEngine.js';
import { Consumer } from './Consumer.js';
import { Producer } from './Producer.js';

/** A RED packet (PT 63) carrying a 30-byte redundant block and a 50-byte primary. */
function redPacket(seq: number): Buffer {
  const header = Buffer.from([0x80, 63, seq >> 8, seq & 0xff, 0, 0, 0x03, 0xc0, 0xab, 0xcd, 0xef, 0x01]);
  const blocks = Buffer.from([0x80 | 111, 0x03, 0xc0, 30, 111]);
  return Buffer.concat([header, blocks, Buffer.alloc(30, 1), Buffer.alloc(50, 2)]);
}

function slot(ssrc: number, red: boolean, sent: Buffer[]): EgressSlot {
  return { mid: String(ssrc), ssrc, red, onRtcp: null, send: (b) => (sent.push(Buffer.from(b)), true) };
}

/** A receiver report from a subscriber for stream `ssrc` with loss fraction `lost256`/256. */
function receiverReport(ssrc: number, lost256: number): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x81;
  b[1] = 201;
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(0x1234, 4);
  b.writeUInt32BE(ssrc, 8);
  b.writeUInt32BE((lost256 << 24) | 3, 12);
  return b;
}

/** A consumer of `producer` on `s`; `lossy`: its subscriber has reported 10 % loss (RED on). */
function consumer(producer: Producer, s: EgressSlot, lossy = s.red): Consumer {
  const c = new Consumer(s);
  c.attach(producer);
  if (lossy) s.onRtcp?.(receiverReport(s.ssrc, 26));
  return c;
}

describe('RED through the SFU', () => {
  it('forwards RED to a subscriber that accepted it and the primary block to one that did not', () => {
    const producer = new Producer();
    producer.redPayloadType = 63;
    const withRed: Buffer[] = [];
    const plain: Buffer[] = [];
    // The plain subscriber first: stripping must not disturb the RED one after it.
    consumer(producer, slot(2, false, plain));
    consumer(producer, slot(1, true, withRed));
    for (let seq = 10; seq < 13; seq++) producer.onPacket(redPacket(seq));
    assert.equal(withRed.length, 3);
    assert.equal(plain.length, 3);
    assert.equal(withRed[0][1] & 0x7f, 63);
    assert.equal(withRed[0].length, 12 + 5 + 80);
    assert.equal(withRed[0].readUInt32BE(8), 1);
    assert.equal(plain[0][1] & 0x7f, 111);
    assert.equal(plain[0].length, 12 + 50);
    assert.deepEqual(plain[0].subarray(12), Buffer.alloc(50, 2));
    assert.equal(plain[0].readUInt32BE(8), 2);
    // Sequence numbers stay continuous per subscriber.
    assert.equal(plain[1].readUInt16BE(2), (plain[0].readUInt16BE(2) + 1) & 0xffff);
    assert.equal(producer.stats.packetsForwarded, 6);
  });

  it('a subscriber that accepted RED gets plain Opus until it reports loss, then RED', () => {
    const producer = new Producer();
    producer.redPayloadType = 63;
    const sent: Buffer[] = [];
    const s = slot(1, true, sent);
    consumer(producer, s, false);
    producer.onPacket(redPacket(1));
    s.onRtcp?.(receiverReport(1, 1)); // 0.4 %: below the threshold
    producer.onPacket(redPacket(2));
    s.onRtcp?.(receiverReport(1, 26)); // 10 %
    producer.onPacket(redPacket(3));
    assert.deepEqual(
      sent.map((b) => [b[1] & 0x7f, b.length]),
      [
        [111, 12 + 50],
        [111, 12 + 50],
        [63, 12 + 5 + 80],
      ],
    );
    // Sequence numbers continue across the switch.
    assert.equal(sent[2].readUInt16BE(2), (sent[0].readUInt16BE(2) + 2) & 0xffff);
  });

  it('RED from a publisher whose Opus is not 111 reaches subscribers with 111 inside its blocks', () => {
    // e.g. opus/48000/2 as 109 and red as 63 "109/109": a subscriber's Opus is 111, and libwebrtc
    // drops RED blocks of a payload type it does not know.
    const producer = new Producer();
    producer.redPayloadType = 63;
    producer.opusPayloadType = 109;
    const withRed: Buffer[] = [];
    const plain: Buffer[] = [];
    consumer(producer, slot(1, true, withRed));
    consumer(producer, slot(2, false, plain));
    const red = redPacket(7);
    red[12] = 0x80 | 109;
    red[16] = 109;
    producer.onPacket(red);
    assert.equal(withRed[0][1] & 0x7f, 63);
    assert.equal(withRed[0][12], 0x80 | 111, 'redundant block header');
    assert.equal(withRed[0][16], 111, 'primary block header');
    assert.deepEqual(withRed[0].subarray(13, 16), Buffer.from([0x03, 0xc0, 30]), 'offset and length kept');
    assert.deepEqual(withRed[0].subarray(17), Buffer.concat([Buffer.alloc(30, 1), Buffer.alloc(50, 2)]));
    assert.equal(plain[0][1] & 0x7f, 111);
    assert.deepEqual(plain[0].subarray(12), Buffer.alloc(50, 2));
  });

  it('plain Opus from a publisher without RED goes to both as Opus', () => {
    const producer = new Producer();
    const a: Buffer[] = [];
    const b: Buffer[] = [];
    new Consumer(slot(1, true, a)).attach(producer);
    new Consumer(slot(2, false, b)).attach(producer);
    const opus = redPacket(5);
    opus[1] = 111;
    producer.onPacket(opus);
    assert.equal(a[0][1] & 0x7f, 111);
    assert.equal(b[0][1] & 0x7f, 111);
    assert.equal(a[0].length, opus.length);
  });
});
