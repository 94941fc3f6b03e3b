import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildSenderReport, parseReportBlocks } from './rtcp.js';
import { isRtcp, isRtp, rtpPayloadOffset } from './rtpPacket.js';

describe('RTCP', () => {
  it('builds a compound SR + SDES with correct lengths and NTP time', () => {
    const sr = buildSenderReport({
      ssrc: 42,
      unixMs: 1_700_000_000_250,
      rtpTimestamp: 9600,
      packetCount: 10,
      octetCount: 800,
      cname: 'patchbay',
    });
    assert.ok(isRtcp(sr));
    assert.equal(sr[1], 200);
    assert.equal((sr.readUInt16BE(2) + 1) * 4, 28);
    assert.equal(sr.readUInt32BE(8), 1_700_000_000 + 2208988800);
    assert.equal(sr.readUInt32BE(12), 0x40000000);
    assert.equal(sr.readUInt32BE(16), 9600);
    assert.equal(sr[29], 202);
    assert.equal((sr.readUInt16BE(30) + 1) * 4 + 28, sr.length);
    assert.equal(sr.length % 4, 0);
    assert.deepEqual(parseReportBlocks(sr), []);
  });

  it('parses receiver report blocks of an RR in a compound packet', () => {
    const rr = Buffer.alloc(32);
    rr[0] = 0x81;
    rr[1] = 201;
    rr.writeUInt16BE(7, 2);
    rr.writeUInt32BE(1, 4);
    rr.writeUInt32BE(99, 8);
    rr[12] = 64; // 25 %
    rr.writeUIntBE(0xfffffe, 13, 3); // -2
    rr.writeUInt32BE(70000, 16);
    rr.writeUInt32BE(123, 20);
    const blocks = parseReportBlocks(Buffer.concat([rr, Buffer.from([0x81, 202, 0, 0])]));
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0].ssrc, 99);
    assert.equal(blocks[0].fractionLost, 0.25);
    assert.equal(blocks[0].cumulativeLost, -2);
    assert.equal(blocks[0].highestSeq, 70000);
    assert.equal(blocks[0].jitter, 123);
  });

  it('fuzz smoke: the parsers never throw and never read out of bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        isRtcp(b);
        isRtp(b);
        const off = rtpPayloadOffset(b);
        assert.ok(off === -1 || (off >= 12 && off <= b.length));
        for (const block of parseReportBlocks(b)) assert.ok(Number.isFinite(block.jitter));
      }),
      { numRuns: 20000 },
    );
  });
});
