import {
  encodeCname,
  findReportBlock,
  type ReportBlock,
  RtpRewriter,
  type SenderInfo,
  senderReportLength,
  writeSenderReportNtp,
} from '@patchbay/rtp';
import type { EgressSlot } from '../media/MediaEngine.js';
import type { Producer } from './Producer.js';
import { RedSwitch } from './RedSwitch.js';

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
  /** Whether this subscriber gets RED now (where its answer accepted RED): on while it reports loss. */
  readonly red = new RedSwitch();
  packetsSent = 0;
  sendFailures = 0;
  senderReportsSent = 0;

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
        if (slot.red) this.red.onReport(this.#report.fractionLost, this.lastReportAtMs);
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
    this.red.reset();
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

  /**
   * Relays the publisher's sender report to the subscriber, at once: the publisher's NTP time
   * unchanged, its RTP timestamp translated into this stream's timestamp space, our own packet
   * and octet counts. The SFU sends no sender reports of its own clock: a subscriber's view of
   * the sender's clock (remote-outbound-rtp) is the publisher's, and the SR's one-way transit
   * (arrival - NTP time) spans publisher -> SFU -> subscriber. Skipped until this stream has
   * forwarded a packet of that publisher (no timestamp mapping yet).
   */
  relaySenderReport(info: SenderInfo): void {
    const rw = this.#rewriter;
    const ts = rw.translateTimestamp(info.ssrc, info.rtpTimestamp);
    if (ts < 0) return;
    writeSenderReportNtp(
      this.#sr,
      rw.ssrc,
      info.ntpSeconds,
      info.ntpFraction,
      ts,
      rw.packets,
      rw.octets,
      CNAME,
    );
    if (this.slot.send(this.#sr)) this.senderReportsSent++;
  }
}
