import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpRewriter } from './RtpRewriter.js';
import { readPayloadType, readSequence, readSsrc, readTimestamp, rtpPayloadOffset } from './rtpPacket.js';

function packet(
  ssrc: number,
  seq: number,
  ts: number,
  pt = 111,
  marker = false,
  payload = [1, 2, 3],
): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  Buffer.from(payload).copy(b, 12);
  return b;
}

function rewrite(rw: RtpRewriter, p: Buffer, now: number): Buffer {
  const out = Buffer.from(p);
  rw.rewrite(out, readSsrc(p), readSequence(p), readTimestamp(p), p.length - rtpPayloadOffset(p), now);
  return out;
}

describe('RtpRewriter', () => {
  it('rewrites ssrc and payload type, keeping the marker bit and payload', () => {
    const rw = new RtpRewriter(0xdeadbeef, 109, 48000, 1000, 5000);
    const src = packet(0x1234, 7, 960, 111, true, [9, 8, 7]);
    const out = rewrite(rw, src, 0);
    assert.equal(readSsrc(out), 0xdeadbeef);
    assert.equal(readPayloadType(out), 109);
    assert.equal(out[1] & 0x80, 0x80);
    assert.equal(readSequence(out), 1000);
    assert.equal(readTimestamp(out), 5000);
    assert.deepEqual([...out.subarray(12)], [9, 8, 7]);
  });

  it('keeps sequence and timestamp deltas of one source, across 16/32-bit wrap', () => {
    const rw = new RtpRewriter(1, 111, 48000, 65530, 0xffffff00);
    for (let i = 0; i < 20; i++) {
      const out = rewrite(rw, packet(5, 100 + i, 960 * i), i * 20);
      assert.equal(readSequence(out), (65530 + i) & 0xffff);
      assert.equal(readTimestamp(out), (0xffffff00 + 960 * i) >>> 0);
    }
  });

  it('stays continuous when the source changes, with a timestamp gap matching wall time', () => {
    const rw = new RtpRewriter(1, 111, 48000, 0, 0);
    let out = rewrite(rw, packet(5, 40000, 123456), 0);
    out = rewrite(rw, packet(5, 40001, 123456 + 960), 20);
    assert.equal(readSequence(out), 1);
    // New publisher SSRC 500 ms later with unrelated numbering.
    out = rewrite(rw, packet(77, 9, 42), 520);
    assert.equal(readSequence(out), 2);
    assert.equal(readTimestamp(out), 960 + 500 * 48);
    out = rewrite(rw, packet(77, 10, 42 + 960), 540);
    assert.equal(readSequence(out), 3);
    assert.equal(readTimestamp(out), 960 + 500 * 48 + 960);
  });

  it('passes reordered packets through with consistent numbering', () => {
    const rw = new RtpRewriter(1, 111, 48000, 10, 0);
    rewrite(rw, packet(5, 100, 0), 0);
    const late = rewrite(rw, packet(5, 102, 1920), 40);
    const early = rewrite(rw, packet(5, 101, 960), 41);
    assert.equal(readSequence(late), 12);
    assert.equal(readSequence(early), 11);
    assert.equal(rw.lastTimestamp, 1920);
    assert.equal(rw.packets, 3);
  });
});
