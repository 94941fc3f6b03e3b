import { seqDelta, writeUint32 } from './rtpPacket.js';

/**
 * Rewrites forwarded RTP for one subscriber: its own SSRC and payload type, and sequence numbers
 * and timestamps that stay continuous when the source changes (a new publisher SSRC, or a slot
 * reused for another user). Writes into a caller-owned buffer: no allocation per packet.
 */
export class RtpRewriter {
  readonly ssrc: number;
  payloadType: number;
  readonly clockRate: number;
  #sourceSsrc = -1;
  #seqOffset = 0;
  #tsOffset = 0;
  // Initialised here, not only in the constructor: a field declared without a value starts as
  // `undefined`, V8 then gives it the tagged representation, and every store of a timestamp that
  // is not a small integer (>= 2^31 on 64-bit Node) allocates a new HeapNumber: one per forwarded
  // packet. Starting as a number, it becomes a double field that is updated in place.
  #lastOutSeq = 0;
  #lastOutTs = 0;
  #lastOutAtMs = -1;
  #started = false;
  /** Packets and payload octets written, for sender reports. */
  packets = 0;
  octets = 0;

  constructor(ssrc: number, payloadType: number, clockRate = 48000, initialSeq = 0, initialTs = 0) {
    this.ssrc = ssrc >>> 0;
    this.payloadType = payloadType;
    this.clockRate = clockRate;
    this.#lastOutSeq = initialSeq & 0xffff;
    this.#lastOutTs = initialTs >>> 0;
  }

  /** The last timestamp written and when (ms, caller's clock), for sender reports. */
  get lastTimestamp(): number {
    return this.#lastOutTs;
  }
  get lastSentAtMs(): number {
    return this.#lastOutAtMs;
  }

  /**
   * Rewrites the header of `buf` in place for this subscriber: SSRC, payload type (marker bit
   * kept), sequence number and timestamp. The caller parses the input fields once per packet and
   * passes them in, so one buffer can be rewritten and sent for each subscriber in turn (the
   * engine copies on send). No allocation.
   */
  rewrite(
    buf: Uint8Array,
    inSsrc: number,
    inSeq: number,
    inTs: number,
    payloadBytes: number,
    nowMs: number,
  ): void {
    if (inSsrc !== this.#sourceSsrc) {
      // New source: continue our numbering after what we last sent, leaving a timestamp gap
      // equal to the wall-clock gap so the receiver's jitter buffer sees real time.
      const gapMs = this.#started ? Math.max(20, nowMs - this.#lastOutAtMs) : 0;
      const nextTs = (this.#lastOutTs + Math.round((gapMs * this.clockRate) / 1000)) >>> 0;
      const nextSeq = this.#started ? (this.#lastOutSeq + 1) & 0xffff : this.#lastOutSeq;
      this.#seqOffset = (nextSeq - inSeq) & 0xffff;
      this.#tsOffset = (nextTs - inTs) >>> 0;
      this.#sourceSsrc = inSsrc;
    }
    const outSeq = (inSeq + this.#seqOffset) & 0xffff;
    const outTs = (inTs + this.#tsOffset) >>> 0;
    buf[1] = (buf[1] & 0x80) | (this.payloadType & 0x7f);
    buf[2] = outSeq >>> 8;
    buf[3] = outSeq & 0xff;
    writeUint32(buf, 4, outTs);
    writeUint32(buf, 8, this.ssrc);
    if (!this.#started || seqDelta(this.#lastOutSeq, outSeq) > 0) {
      this.#lastOutSeq = outSeq;
      this.#lastOutTs = outTs;
      this.#lastOutAtMs = nowMs;
    }
    this.#started = true;
    this.packets++;
    this.octets += payloadBytes;
  }

  /**
   * The timestamp `inTs` of source `inSsrc` in this subscriber's timestamp space (as rewrite()
   * would write it), or -1 when `inSsrc` is not the source being forwarded now. Used to relay a
   * publisher's sender report (its wall-clock ↔ RTP mapping) to the subscriber.
   */
  translateTimestamp(inSsrc: number, inTs: number): number {
    if (!this.#started || inSsrc !== this.#sourceSsrc) return -1;
    return (inTs + this.#tsOffset) >>> 0;
  }

  /** Forget the current source so the next packet starts a continuous new segment. */
  resetSource(): void {
    this.#sourceSsrc = -1;
  }
}
