import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildSenderReport,
  encodeCname,
  findReportBlock,
  parseReportBlocks,
  type ReportBlock,
  senderReportLength,
  writeSenderReport,
} from './rtcp.js';
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

  it('writeSenderReport into a reused buffer matches buildSenderReport', () => {
    const cname = encodeCname('patchbay');
    const out = Buffer.alloc(senderReportLength(cname.length));
    for (const init of [
      { ssrc: 42, unixMs: 1_700_000_000_250, rtpTimestamp: 9600, packetCount: 10, octetCount: 800 },
      {
        ssrc: 0xffffffff,
        unixMs: 1_800_000_000_999,
        rtpTimestamp: 1,
        packetCount: 2 ** 32 - 1,
        octetCount: 7,
      },
    ]) {
      out.fill(0xee);
      writeSenderReport(out, init, cname);
      assert.deepEqual(out, buildSenderReport({ ...init, cname: 'patchbay' }));
    }
    assert.throws(
      () =>
        writeSenderReport(
          Buffer.alloc(8),
          { ssrc: 1, unixMs: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 },
          cname,
        ),
      RangeError,
    );
  });

  it('findReportBlock picks the block about one SSRC, like parseReportBlocks', () => {
    const rr = Buffer.alloc(8 + 24 * 2);
    rr[0] = 0x82;
    rr[1] = 201;
    rr.writeUInt16BE(rr.length / 4 - 1, 2);
    rr.writeUInt32BE(1, 4);
    rr.writeUInt32BE(99, 8);
    rr[12] = 64;
    rr.writeUInt32BE(77, 32);
    rr.writeUIntBE(0xfffffe, 37, 3);
    rr.writeUInt32BE(123, 44);
    const compound = Buffer.concat([rr, Buffer.from([0x81, 202, 0, 0])]);
    const out: ReportBlock = {
      ssrc: 0,
      fractionLost: 0,
      cumulativeLost: 0,
      highestSeq: 0,
      jitter: 0,
      lastSr: 0,
      delaySinceLastSr: 0,
    };
    assert.equal(findReportBlock(compound, 77, out), true);
    assert.deepEqual(out, parseReportBlocks(compound)[1]);
    assert.equal(out.cumulativeLost, -2);
    assert.equal(findReportBlock(compound, 99, out), true);
    assert.deepEqual(out, parseReportBlocks(compound)[0]);
    assert.equal(findReportBlock(compound, 5, out), false);
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
        const out: ReportBlock = {
          ssrc: 0,
          fractionLost: 0,
          cumulativeLost: 0,
          highestSeq: 0,
          jitter: 0,
          lastSr: 0,
          delaySinceLastSr: 0,
        };
        const blocks = parseReportBlocks(b);
        if (blocks.length) assert.equal(findReportBlock(b, blocks[0].ssrc, out), true);
      }),
      { numRuns: 20000 },
    );
  });
});
