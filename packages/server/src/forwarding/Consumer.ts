import {
  encodeCname,
  findReportBlock,
  type ReportBlock,
  RtpRewriter,
  senderReportLength,
  writeSenderReport,
} from '@patchbay/rtp';
import type { EgressSlot } from '../media/MediaEngine.js';
import type { Producer } from './Producer.js';

const OPUS_PT = 111;
const RED_PT = 63;
const CLOCK_RATE = 48000;
const CNAME = encodeCname('patchbay');

/**
 * One m-line of a subscriber connection. It carries at most one producer at a time and can be
 * reused for another: its RtpRewriter keeps SSRC, sequence numbers and timestamps continuous,
 * so the subscriber sees one steady stream and no renegotiation is needed.
 */
export class Consumer {
  readonly slot: EgressSlot;
  readonly #rewriter: RtpRewriter;
  #producer: Producer | null = null;
  /** The last receiver report the subscriber sent for this stream (one object, updated in place). */
  lastReport: ReportBlock | null = null;
  /** When it arrived (performance clock, ms). */
  lastReportAtMs = 0;
  readonly #report: ReportBlock = {
    ssrc: 0,
    fractionLost: 0,
    cumulativeLost: 0,
    highestSeq: 0,
    jitter: 0,
    lastSr: 0,
    delaySinceLastSr: 0,
  };
  /** This stream's sender report, rewritten in place each time (the engine copies on send). */
  readonly #sr = Buffer.alloc(senderReportLength(CNAME.length));
  packetsSent = 0;
  sendFailures = 0;

  constructor(slot: EgressSlot) {
    this.slot = slot;
    const seq = Math.floor(Math.random() * 0x10000);
    const ts = Math.floor(Math.random() * 0x100000000);
    this.#rewriter = new RtpRewriter(slot.ssrc, OPUS_PT, CLOCK_RATE, seq, ts);
    // A subscriber's compound RR names every stream of its connection, and libdatachannel hands it
    // to each of them: find our block in place instead of parsing all of them into new objects.
    slot.onRtcp = (buf) => {
      if (findReportBlock(buf, slot.ssrc, this.#report)) {
        this.lastReport = this.#report;
        this.lastReportAtMs = performance.now();
      }
    };
  }

  get producer(): Producer | null {
    return this.#producer;
  }

  attach(producer: Producer): void {
    if (this.#producer === producer) return;
    this.detach();
    this.#producer = producer;
    this.#rewriter.resetSource();
    producer.addConsumer(this);
  }

  detach(): void {
    const producer = this.#producer;
    this.#producer = null;
    producer?.removeConsumer(this);
  }

  /** Hot path: rewrite `buf` in place for this subscriber and send it. `red`: it is a RED packet. */
  forward(
    buf: Buffer,
    ssrc: number,
    seq: number,
    ts: number,
    payloadBytes: number,
    nowMs: number,
    red = false,
  ): boolean {
    this.#rewriter.rewrite(buf, ssrc, seq, ts, payloadBytes, nowMs);
    if (red) buf[1] = (buf[1] & 0x80) | RED_PT;
    if (this.slot.send(buf)) {
      this.packetsSent++;
      return true;
    }
    this.sendFailures++;
    return false;
  }

  /** Sends an RTCP sender report for this stream, if it has carried anything. */
  sendReport(nowMs: number, unixMs: number): void {
    const rw = this.#rewriter;
    if (this.#producer === null || rw.packets === 0) return;
    const elapsed = Math.max(0, nowMs - rw.lastSentAtMs);
    writeSenderReport(
      this.#sr,
      {
        ssrc: rw.ssrc,
        unixMs,
        rtpTimestamp: (rw.lastTimestamp + Math.round((elapsed * CLOCK_RATE) / 1000)) >>> 0,
        packetCount: rw.packets,
        octetCount: rw.octets,
      },
      CNAME,
    );
    this.slot.send(this.#sr);
  }
}
