import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { redPrimaryOffset, setRedBlockPayloadTypes, stripRed } from './red.js';

/** An RTP packet (12-byte header, PT `pt`) whose RED payload carries `blocks` (primary last). */
function redPacket(blocks: Buffer[], pt = 63, primaryPt = 111): Buffer {
  const header = Buffer.from([0x80, 0x80 | pt, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
  const heads: Buffer[] = [];
  for (const b of blocks.slice(0, -1))
    heads.push(Buffer.from([0x80 | primaryPt, 0x03, 0xc0 | (b.length >> 8), b.length & 0xff]));
  heads.push(Buffer.from([primaryPt]));
  return Buffer.concat([header, ...heads, ...blocks]);
}

describe('RED (RFC 2198)', () => {
  it('finds the primary block and strips to a plain packet with the primary PT, marker kept', () => {
    const older = Buffer.alloc(30, 1);
    const primary = Buffer.alloc(50, 2);
    const red = redPacket([older, primary]);
    assert.equal(redPrimaryOffset(red, 12, red.length), red.length - 50);
    const out = Buffer.alloc(1500);
    const n = stripRed(red, red.length, 12, 111, out);
    assert.equal(n, 12 + 50);
    assert.equal(out[1], 0x80 | 111);
    assert.deepEqual(out.subarray(12, n), primary);
    assert.deepEqual(out.subarray(2, 12), red.subarray(2, 12));
    // Only a primary (no redundancy).
    const only = redPacket([primary]);
    assert.equal(stripRed(only, only.length, 12, 111, out), 62);
  });

  it('drops padding and rejects overruns without throwing', () => {
    const red = redPacket([Buffer.alloc(10, 1), Buffer.alloc(20, 2)]);
    const padded = Buffer.concat([red, Buffer.from([0, 0, 3])]);
    padded[0] |= 0x20;
    const out = Buffer.alloc(1500);
    assert.equal(stripRed(padded, padded.length, 12, 111, out), 32);
    assert.equal(out[0] & 0x20, 0);
    const bad = Buffer.from(red);
    bad[15] = 0xff; // first block claims more bytes than there are
    assert.equal(redPrimaryOffset(bad, 12, bad.length), -1);
    assert.equal(stripRed(bad, bad.length, 12, 111, out), -1);
    assert.equal(stripRed(red, red.length, 12, 111, Buffer.alloc(20)), -1, 'output too small');
  });

  it('rewrites the payload type of every block header, nothing else; leaves a malformed packet alone', () => {
    const red = redPacket([Buffer.alloc(30, 1), Buffer.alloc(20, 3), Buffer.alloc(50, 2)], 63, 109);
    const before = Buffer.from(red);
    assert.ok(setRedBlockPayloadTypes(red, 12, red.length, 111));
    assert.equal(red[12], 0x80 | 111);
    assert.equal(red[16], 0x80 | 111);
    assert.equal(red[20], 111);
    for (const i of [12, 16, 20]) before[i] = red[i];
    assert.deepEqual(red, before, 'offsets, lengths and data unchanged');
    assert.equal(stripRed(red, red.length, 12, 111, Buffer.alloc(1500)), 12 + 50);
    const bad = redPacket([Buffer.alloc(10, 1), Buffer.alloc(20, 2)], 63, 109);
    bad[15] = 0xff;
    const badBefore = Buffer.from(bad);
    assert.equal(setRedBlockPayloadTypes(bad, 12, bad.length, 111), false);
    assert.deepEqual(bad, badBefore);
  });

  it('never throws and never writes past its output on random payloads', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 13, maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes);
        buf[0] = 0x80 | (buf[0] & 0x20);
        const out = Buffer.alloc(400);
        const n = stripRed(buf, buf.length, 12, 111, out);
        assert.ok(n === -1 || (n >= 12 && n <= buf.length));
      }),
      { numRuns: 3000 },
    );
  });
});
