import { isRtcp, readSequence, readSsrc, readTimestamp, rtpPayloadOffset } from '@patchbay/rtp';
import type { Consumer } from './Consumer.js';

/** Counters of one published stream, read by stats and tests. */
export interface ProducerStats {
  packetsIn: number;
  bytesIn: number;
  rtcpIn: number;
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
    malformedIn: 0,
    packetsForwarded: 0,
  };
  #closed = false;

  /** Bound once, passed to the engine as the packet callback. */
  readonly onPacket = (buf: Buffer): void => {
    const length = buf.length;
    if (isRtcp(buf, length)) {
      // Sender reports from the publisher; receiver reports back to it come from the engine.
      this.stats.rtcpIn++;
      return;
    }
    const offset = rtpPayloadOffset(buf, length);
    if (offset < 0 || this.#closed) {
      this.stats.malformedIn++;
      return;
    }
    this.stats.packetsIn++;
    this.stats.bytesIn += length;
    const consumers = this.#consumers;
    if (consumers.length === 0) return;
    const ssrc = readSsrc(buf);
    const seq = readSequence(buf);
    const ts = readTimestamp(buf);
    const now = performance.now();
    const payloadBytes = length - offset;
    for (let i = 0; i < consumers.length; i++) {
      if (consumers[i].forward(buf, ssrc, seq, ts, payloadBytes, now)) this.stats.packetsForwarded++;
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
