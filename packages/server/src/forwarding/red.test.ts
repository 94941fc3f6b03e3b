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

describe('RED through the SFU', () => {
  it('forwards RED to a subscriber that accepted it and the primary block to one that did not', () => {
    const producer = new Producer();
    producer.redPayloadType = 63;
    const withRed: Buffer[] = [];
    const plain: Buffer[] = [];
    // The plain subscriber first: stripping must not disturb the RED one after it.
    new Consumer(slot(2, false, plain)).attach(producer);
    new Consumer(slot(1, true, withRed)).attach(producer);
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

  it('RED from a publisher whose Opus is not 111 reaches subscribers with 111 inside its blocks', () => {
    // e.g. opus/48000/2 as 109 and red as 63 "109/109": a subscriber's Opus is 111, and libwebrtc
    // drops RED blocks of a payload type it does not know.
    const producer = new Producer();
    producer.redPayloadType = 63;
    producer.opusPayloadType = 109;
    const withRed: Buffer[] = [];
    const plain: Buffer[] = [];
    new Consumer(slot(1, true, withRed)).attach(producer);
    new Consumer(slot(2, false, plain)).attach(producer);
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
