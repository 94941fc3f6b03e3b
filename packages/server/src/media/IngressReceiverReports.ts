import {
  isRtcp,
  RECEIVER_REPORT_LENGTH,
  type ReportBlock,
  readSenderInfo,
  readSequence,
  readSsrc,
  type SenderInfo,
  seqDelta,
  writeReceiverReport,
} from '@patchbay/rtp';

/**
 * Answers a publisher's sender reports with receiver reports, in place of libdatachannel's
 * RtcpReceivingSession (which does the same but swallows the SRs, and the SFU must relay them).
 * Like it, it reports no loss and no jitter; unlike it, the extended highest sequence number
 * counts wrap-arounds. The RR goes out as soon as the SR is seen, so its DLSR is 0 and the
 * publisher's libwebrtc gets a real round-trip time. No allocation per packet.
 */
export class IngressReceiverReports {
  readonly #publisherSsrc: number;
  readonly #reporterSsrc: number;
  readonly #send: (buf: Buffer) => void;
  readonly #rr = Buffer.alloc(RECEIVER_REPORT_LENGTH);
  readonly #sr: SenderInfo = { ssrc: 0, ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0 };
  readonly #block: ReportBlock = {
    ssrc: 0,
    fractionLost: 0,
    cumulativeLost: 0,
    highestSeq: 0,
    jitter: 0,
    lastSr: 0,
    delaySinceLastSr: 0,
  };
  #started = false;
  #highest = 0;
  #cycles = 0;

  constructor(publisherSsrc: number, reporterSsrc: number, send: (buf: Buffer) => void) {
    this.#publisherSsrc = publisherSsrc >>> 0;
    this.#reporterSsrc = reporterSsrc >>> 0;
    this.#send = send;
    this.#block.ssrc = this.#publisherSsrc;
  }

  /** Sees every datagram of the publisher's track (before the Producer). */
  observe(buf: Buffer): void {
    const length = buf.length;
    if (isRtcp(buf, length)) {
      if (!readSenderInfo(buf, this.#sr, length) || this.#sr.ssrc !== this.#publisherSsrc) return;
      const block = this.#block;
      block.highestSeq = ((this.#cycles << 16) | this.#highest) >>> 0;
      block.lastSr = ((this.#sr.ntpSeconds << 16) | (this.#sr.ntpFraction >>> 16)) >>> 0;
      block.delaySinceLastSr = 0;
      writeReceiverReport(this.#rr, this.#reporterSsrc, block);
      this.#send(this.#rr);
      return;
    }
    if (length < 12 || buf[0] >> 6 !== 2 || readSsrc(buf) !== this.#publisherSsrc) return;
    const seq = readSequence(buf);
    if (!this.#started) {
      this.#started = true;
      this.#highest = seq;
    } else if (seqDelta(this.#highest, seq) > 0) {
      if (seq < this.#highest) this.#cycles = (this.#cycles + 1) & 0xffff;
      this.#highest = seq;
    }
  }
}
