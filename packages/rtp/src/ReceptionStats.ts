import { writeUint32 } from './rtpPacket.js';

const SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/** Bytes of a receiver report with one report block (no SDES): RTCP header + sender SSRC + 24. */
export const RECEIVER_REPORT_LENGTH = 32;

/**
 * What a receiver knows about one incoming RTP stream, kept as RFC 3550 appendix A.1/A.3/A.8 do:
 * extended highest sequence number, packets received and expected, the loss fraction of each
 * report interval, interarrival jitter, and the last sender report (for the sender's RTT).
 * `update()` runs once per packet on the forwarding hot path: arithmetic only, no allocation.
 */
export class ReceptionStats {
  #started = false;
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = SEQ_MOD + 1;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit = 0;
  /** Interarrival jitter in RTP timestamp units, scaled by 16 (A.8's integer form). */
  #jitter16 = 0;
  readonly #clockRate: number;
  /** Middle 32 bits of the NTP time of the last SR, and when it arrived (ms, performance clock). */
  #lastSr = 0;
  #lastSrAtMs = -1;

  constructor(clockRate = 48000) {
    this.#clockRate = clockRate;
  }

  get received(): number {
    return this.#received;
  }
  get extendedHighestSeq(): number {
    return this.#cycles + this.#maxSeq;
  }
  get expected(): number {
    return this.#started ? this.extendedHighestSeq - this.#baseSeq + 1 : 0;
  }
  /** Packets expected but not received (may be negative with duplicates, as RFC 3550 allows). */
  get cumulativeLost(): number {
    return this.expected - this.#received;
  }
  /** Interarrival jitter, RTP timestamp units. */
  get jitter(): number {
    return this.#jitter16 >> 4;
  }

  /** One RTP packet: its sequence number, RTP timestamp and arrival time (ms). */
  update(seq: number, timestamp: number, arrivalMs: number): void {
    if (!this.#started) {
      this.#started = true;
      this.#init(seq);
    } else {
      const delta = (seq - this.#maxSeq) & 0xffff;
      if (delta < MAX_DROPOUT) {
        if (seq < this.#maxSeq) this.#cycles += SEQ_MOD;
        this.#maxSeq = seq;
      } else if (delta <= SEQ_MOD - MAX_MISORDER) {
        // A very large jump: restart when two packets in a row confirm it (the sender restarted).
        if (seq !== this.#badSeq) {
          this.#badSeq = (seq + 1) & 0xffff;
          return;
        }
        this.#init(seq);
      }
      // else: duplicate or reordered within MAX_MISORDER, counted below.
    }
    this.#received++;
    const arrival = Math.round((arrivalMs * this.#clockRate) / 1000);
    const transit = (arrival - timestamp) | 0;
    if (this.#received > 1) {
      const d = Math.abs((transit - this.#transit) | 0);
      this.#jitter16 += d - ((this.#jitter16 + 8) >> 4);
    }
    this.#transit = transit;
  }

  #init(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#expectedPrior = 0;
    this.#receivedPrior = 0;
  }

  /**
   * The fraction lost since the previous call (0..1, in 1/256 steps as sent in RTCP), and starts
   * the next interval. 0 when nothing was expected.
   */
  takeFractionLost(): number {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#receivedPrior = this.#received;
    const lost = expectedInterval - receivedInterval;
    if (expectedInterval <= 0 || lost <= 0) return 0;
    return Math.floor((lost * 256) / expectedInterval) / 256;
  }

  /** A sender report from the stream's sender: keeps the middle of its NTP time for LSR. */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number): void {
    this.#lastSr = (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
    this.#lastSrAtMs = arrivalMs;
  }

  /**
   * Writes a receiver report (RFC 3550 6.4.2) with one block about `mediaSsrc` into `out`
   * (RECEIVER_REPORT_LENGTH bytes, kept by the caller). `fractionLost` (0..1) is the caller's:
   * usually takeFractionLost(), possibly combined with loss further downstream.
   */
  writeReceiverReport(
    out: Uint8Array,
    senderSsrc: number,
    mediaSsrc: number,
    fractionLost: number,
    nowMs: number,
  ): void {
    if (out.length !== RECEIVER_REPORT_LENGTH) {
      throw new RangeError(`RR buffer must be ${RECEIVER_REPORT_LENGTH} bytes, got ${out.length}`);
    }
    out[0] = 0x81;
    out[1] = 201;
    out[2] = 0;
    out[3] = RECEIVER_REPORT_LENGTH / 4 - 1;
    writeUint32(out, 4, senderSsrc >>> 0);
    writeUint32(out, 8, mediaSsrc >>> 0);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, this.cumulativeLost));
    writeUint32(
      out,
      12,
      (Math.min(255, Math.max(0, Math.round(fractionLost * 256))) << 24) | (lost & 0xffffff),
    );
    writeUint32(out, 16, this.extendedHighestSeq >>> 0);
    writeUint32(out, 20, this.jitter >>> 0);
    const hasSr = this.#lastSrAtMs >= 0;
    writeUint32(out, 24, hasSr ? this.#lastSr : 0);
    // Delay since that SR in 1/65536 s.
    writeUint32(out, 28, hasSr ? Math.round(((nowMs - this.#lastSrAtMs) * 65536) / 1000) >>> 0 : 0);
  }
}
