import {
  isRtcp,
  RECEIVER_REPORT_LENGTH,
  ReceptionStats,
  readSenderInfo,
  readSequence,
  readSsrc,
  readTimestamp,
  rtpPayloadOffset,
  type SenderInfo,
  setRedBlockPayloadTypes,
  stripRed,
} from '@patchbay/rtp';
import { readAudioLevelByte, volumeFromDbov } from '../levels/audioLevel.js';
import { ForwardingTotals } from '../metrics/ForwardingTotals.js';
import type { Consumer } from './Consumer.js';

/** Opus's payload type on subscriber m-lines (what stripped RED packets carry). */
const OPUS_PT = 111;

/** Subscribers' receiver reports older than this no longer count (libwebrtc sends one every ~5 s). */
const REPORT_FRESH_MS = 12000;

function readSsrcAt(buf: Uint8Array, o: number): number {
  return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}

/** Counters of one published stream, read by stats and tests. */
export interface ProducerStats {
  packetsIn: number;
  bytesIn: number;
  rtcpIn: number;
  /** Sender reports from the publisher, each relayed to every consumer. */
  senderReportsIn: number;
  malformedIn: number;
  packetsForwarded: number;
}

/**
 * One publisher's audio as it enters the SFU. Each RTP packet is parsed once, then handed to
 * every consumer, which rewrites the header in place and sends it (the engine copies on send).
 * The hot path allocates nothing and emits no events.
 */
export class Producer {
  readonly #consumers: Consumer[] = [];
  readonly stats: ProducerStats = {
    packetsIn: 0,
    bytesIn: 0,
    rtcpIn: 0,
    senderReportsIn: 0,
    malformedIn: 0,
    packetsForwarded: 0,
  };
  #closed = false;
  /** Extension id of ssrc-audio-level negotiated with the publisher, or 0 (none). */
  readonly #levelExtId: number;
  /** Smoothed volume 0..100 from the audio-level extension (exponential, per packet). */
  #level = 0;
  /** Packets that carried a level since the last takeLevel(). */
  #levelPackets = 0;
  #voiceActivity = false;

  readonly #totals: ForwardingTotals;
  /** What the SFU receives from the publisher (RFC 3550 reception statistics), for its RRs. */
  readonly #reception = new ReceptionStats();
  /** The receiver report to the publisher, rewritten in place each time (the engine copies on send). */
  readonly #rr = Buffer.alloc(RECEIVER_REPORT_LENGTH);
  /** Payload type of RED from the publisher, or 0 (plain Opus only). */
  redPayloadType = 0;
  /**
   * The publisher's Opus payload type, which its RED blocks carry inside. Subscribers' Opus is
   * always 111: RED from a publisher with another number gets its block headers rewritten.
   */
  opusPayloadType = OPUS_PT;
  /** The plain packet a RED packet carries, for subscribers without RED, and views of it per length. */
  readonly #stripped = Buffer.allocUnsafe(1500);
  readonly #strippedViews: Buffer[] = [];
  readonly #rrSsrc = (Math.random() * 0xfffffffe + 1) >>> 0;
  #mediaSsrc = 0;
  /** The loss fraction (0..1) the last receiver report told the publisher. */
  reportedLoss = 0;
  /** The publisher's last sender report (one object, updated in place). */
  readonly #senderInfo: SenderInfo = { ssrc: 0, ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0 };

  constructor(audioLevelExtId: number | null = null, totals: ForwardingTotals = new ForwardingTotals()) {
    this.#levelExtId = audioLevelExtId ?? 0;
    this.#totals = totals;
  }

  /** The smoothed volume 0..100 (0 when no level arrived lately). */
  get level(): number {
    return Math.round(this.#level);
  }
  /** The voice-activity flag of the last packet that carried one. */
  get voiceActivity(): boolean {
    return this.#voiceActivity;
  }

  /**
   * Called by the level timer: the smoothed level, which decays to 0 when no packet carried a
   * level since the previous call (the publisher stopped sending).
   */
  takeLevel(): number {
    if (this.#levelPackets === 0) {
      this.#level = 0;
      this.#voiceActivity = false;
    }
    this.#levelPackets = 0;
    return Math.round(this.#level);
  }

  /** Bound once, passed to the engine as the packet callback. */
  readonly onPacket = (buf: Buffer): void => {
    const length = buf.length;
    const totals = this.#totals;
    if (isRtcp(buf, length)) {
      // The publisher's sender reports: their NTP time goes back in our RRs (the publisher's RTT),
      // and they map its RTP timestamps to its own wall clock: relay them, translated into each
      // subscriber's SSRC and timestamp space, so subscribers see the publisher's clock
      // (end-to-end delay).
      this.stats.rtcpIn++;
      if (buf[1] === 200 && length >= 28)
        this.#reception.onSenderReport(readSsrcAt(buf, 8), readSsrcAt(buf, 12), performance.now());
      if (!this.#closed && readSenderInfo(buf, this.#senderInfo, length)) {
        this.stats.senderReportsIn++;
        const consumers = this.#consumers;
        for (let i = 0; i < consumers.length; i++) consumers[i].relaySenderReport(this.#senderInfo);
      }
      return;
    }
    const offset = rtpPayloadOffset(buf, length);
    if (offset < 0 || this.#closed) {
      this.stats.malformedIn++;
      totals.malformedIn++;
      return;
    }
    this.stats.packetsIn++;
    this.stats.bytesIn += length;
    totals.packetsIn++;
    totals.bytesIn += length;
    if (this.#levelExtId !== 0) {
      const b = readAudioLevelByte(buf, length, this.#levelExtId);
      if (b >= 0) {
        // ~20 ms packets: a factor of 0.25 gives a time constant of about 80 ms.
        this.#level += (volumeFromDbov(b & 0x7f) - this.#level) * 0.25;
        this.#voiceActivity = (b & 0x80) !== 0;
        this.#levelPackets++;
      }
    }
    const ssrc = readSsrc(buf);
    const seq = readSequence(buf);
    const ts = readTimestamp(buf);
    const now = performance.now();
    this.#mediaSsrc = ssrc;
    this.#reception.update(seq, ts, now);
    const consumers = this.#consumers;
    if (consumers.length === 0) return;
    const payloadBytes = length - offset;
    let forwarded = 0;
    const red = this.redPayloadType !== 0 && (buf[1] & 0x7f) === this.redPayloadType;
    if (!red) {
      for (let i = 0; i < consumers.length; i++) {
        if (consumers[i].forward(buf, ssrc, seq, ts, payloadBytes, now, false)) forwarded++;
      }
    } else {
      // RED as is to subscribers that took it and report loss (RedSwitch); its primary block,
      // stripped once, to the others.
      if (this.opusPayloadType !== OPUS_PT) {
        const end = buf[0] & 0x20 ? length - buf[length - 1] : length;
        setRedBlockPayloadTypes(buf, offset, end, OPUS_PT);
      }
      let plain: Buffer | null = null;
      let stripped = false;
      for (let i = 0; i < consumers.length; i++) {
        const c = consumers[i];
        if (c.red.on && c.slot.red) {
          if (c.forward(buf, ssrc, seq, ts, payloadBytes, now, true)) forwarded++;
          continue;
        }
        if (!stripped) {
          plain = this.#strip(buf, length, offset);
          stripped = true;
        }
        if (plain !== null && c.forward(plain, ssrc, seq, ts, plain.length - offset, now, false)) forwarded++;
      }
    }
    this.stats.packetsForwarded += forwarded;
    totals.packetsOut += forwarded;
    totals.bytesOut += forwarded * length;
    totals.sendFailures += consumers.length - forwarded;
    // SFU-added delay, sampled: from `now` (taken right after the header and level parse, a few
    // byte reads into this callback) to the last consumer's send returning (the engine queued it).
    if (--totals.sampleCountdown === 0) {
      totals.sampleCountdown = totals.sampleEvery;
      totals.observeDelay((performance.now() - now) / 1000);
    }
    // The delay probe (option delayProbe, off by default): every packet, from the sender's stamp.
    const probe = totals.probe;
    if (probe !== null) probe.observe(buf, length, offset, now, performance.now());
  };

  /** The primary block of a RED packet as a plain Opus packet (a reused buffer), or null if malformed. */
  #strip(buf: Buffer, length: number, offset: number): Buffer | null {
    const n = stripRed(buf, length, offset, OPUS_PT, this.#stripped);
    if (n < 0) return null;
    // One view per length, made once: no allocation per packet.
    return (this.#strippedViews[n] ??= this.#stripped.subarray(0, n));
  }

  /**
   * The receiver report for the publisher, or null before its first packet. Its loss fraction is
   * the worst of what reached the SFU in the last interval and what each subscriber last reported
   * (fresh reports only). Subscribers see the publisher's sequence gaps (the rewriter keeps them),
   * so theirs is end-to-end loss. The publisher's Opus encoder sets its expected loss, and with it
   * in-band FEC, from this fraction, so FEC also covers the worst downstream leg.
   * `includeSubscribers` false reports the uplink only.
   */
  receiverReport(nowMs: number, includeSubscribers = true): Buffer | null {
    const uplink = this.#reception.takeFractionLost();
    if (this.#reception.received === 0) return null;
    let worst = uplink;
    for (let i = 0; includeSubscribers && i < this.#consumers.length; i++) {
      const c = this.#consumers[i];
      const r = c.lastReport;
      if (r !== null && nowMs - c.lastReportAtMs < REPORT_FRESH_MS && r.fractionLost > worst)
        worst = r.fractionLost;
    }
    this.reportedLoss = worst;
    this.#reception.writeReceiverReport(this.#rr, this.#rrSsrc, this.#mediaSsrc, worst, nowMs);
    return this.#rr;
  }

  /** Packets lost between the publisher and the SFU so far (RFC 3550 cumulative count). */
  get uplinkPacketsLost(): number {
    return this.#reception.cumulativeLost;
  }

  get consumerCount(): number {
    return this.#consumers.length;
  }

  addConsumer(consumer: Consumer): void {
    if (!this.#consumers.includes(consumer)) this.#consumers.push(consumer);
  }

  removeConsumer(consumer: Consumer): void {
    const i = this.#consumers.indexOf(consumer);
    if (i >= 0) this.#consumers.splice(i, 1);
  }

  /** Detaches every consumer (they free their slots) and stops forwarding. */
  close(): void {
    this.#closed = true;
    for (const consumer of [...this.#consumers]) consumer.detach();
    this.#consumers.length = 0;
  }
}
