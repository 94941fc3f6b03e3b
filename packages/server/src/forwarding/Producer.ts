import {
  isRtcp,
  readSenderInfo,
  readSequence,
  readSsrc,
  readTimestamp,
  rtpPayloadOffset,
  type SenderInfo,
} from '@patchbay/rtp';
import { readAudioLevelByte, volumeFromDbov } from '../levels/audioLevel.js';
import { ForwardingTotals } from '../metrics/ForwardingTotals.js';
import type { Consumer } from './Consumer.js';

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
      // Receiver reports back to the publisher come from the engine. Its sender reports map its
      // RTP timestamps to its own wall clock: relay them, translated into each subscriber's
      // SSRC and timestamp space, so subscribers see the publisher's clock (end-to-end delay).
      this.stats.rtcpIn++;
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
    const consumers = this.#consumers;
    if (consumers.length === 0) return;
    const ssrc = readSsrc(buf);
    const seq = readSequence(buf);
    const ts = readTimestamp(buf);
    const now = performance.now();
    const payloadBytes = length - offset;
    let forwarded = 0;
    for (let i = 0; i < consumers.length; i++) {
      if (consumers[i].forward(buf, ssrc, seq, ts, payloadBytes, now)) forwarded++;
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
  };

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
