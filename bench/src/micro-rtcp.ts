/**
 * Micro-benchmark behind BENCHMARKS.md optimisation 4: RTCP work per stream, the allocating way
 * (parseReportBlocks / buildSenderReport) against the in-place way the Consumer now uses
 * (findReportBlock / writeSenderReport).  node bench/dist/micro-rtcp.js
 */
import {
  buildSenderReport,
  encodeCname,
  findReportBlock,
  parseReportBlocks,
  type ReportBlock,
  senderReportLength,
  writeSenderReport,
} from '@patchbay/rtp';

const STREAMS = 10;
// A compound RR as one subscriber connection's libwebrtc sends it: one block per stream.
const rr = Buffer.alloc(8 + 24 * STREAMS);
rr[0] = 0x80 | STREAMS;
rr[1] = 201;
rr.writeUInt16BE(rr.length / 4 - 1, 2);
for (let i = 0; i < STREAMS; i++) {
  rr.writeUInt32BE(1000 + i, 8 + 24 * i);
  rr.writeUInt32BE(i + 1, 8 + 24 * i + 12); // jitter
}
const cname = encodeCname('patchbay');
const srOut = Buffer.alloc(senderReportLength(cname.length));
const report: ReportBlock = {
  ssrc: 0,
  fractionLost: 0,
  cumulativeLost: 0,
  highestSeq: 0,
  jitter: 0,
  lastSr: 0,
  delaySinceLastSr: 0,
};
let sink = 0;

function bench(name: string, fn: (i: number) => void): number {
  for (let i = 0; i < 200_000; i++) fn(i);
  const n = 2_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns`);
  return ns;
}

const init = { ssrc: 1005, unixMs: Date.now(), rtpTimestamp: 1, packetCount: 0, octetCount: 3 };
bench('RR, before: parseReportBlocks, keep ours', (i) => {
  for (const b of parseReportBlocks(rr)) if (b.ssrc === 1000 + (i % STREAMS)) sink += b.jitter;
});
bench('RR, after: findReportBlock into a reused object', (i) => {
  if (findReportBlock(rr, 1000 + (i % STREAMS), report)) sink += report.jitter;
});
bench('SR, before: buildSenderReport (new buffer)', (i) => {
  init.packetCount = i;
  sink += buildSenderReport({ ...init, cname: 'patchbay' })[23];
});
bench('SR, after: writeSenderReport (kept buffer)', (i) => {
  init.packetCount = i;
  writeSenderReport(srOut, init, cname);
  sink += srOut[23];
});
if (sink === 42) console.log('');
