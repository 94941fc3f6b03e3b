import type { PeerConnectionLike } from '@patchbay/client';

/** The Web SDK NG's AgoraRTCStats, from the browser's RTCPeerConnection statistics. */
export interface RTCStats {
  /** Seconds since join(). */
  Duration: number;
  /** bps, over the last second. */
  RecvBitrate: number;
  RecvBytes: number;
  SendBitrate: number;
  SendBytes: number;
  /** Users in the channel, this one included. */
  UserCount: number;
  /** ms, from the ICE candidate pair (publisher connection first). */
  RTT: number;
  /** Kbps, as estimated by the browser (0 when unknown). */
  OutgoingAvailableBandwidth: number;
}

export function emptyStats(): RTCStats {
  return {
    Duration: 0,
    RecvBitrate: 0,
    RecvBytes: 0,
    SendBitrate: 0,
    SendBytes: 0,
    UserCount: 0,
    RTT: 0,
    OutgoingAvailableBandwidth: 0,
  };
}

/** The two connections of a client, read when polled. */
export interface StatsSource {
  readonly publisherConnection: PeerConnectionLike | null;
  readonly subscriberConnection: PeerConnectionLike | null;
}

/**
 * Polls both peer connections once a second while joined and keeps the latest transport-level
 * figures (bytes, bitrates over the last second, RTT, available outgoing bandwidth).
 */
export class ConnectionStats {
  readonly #source: StatsSource;
  #timer: ReturnType<typeof setInterval> | null = null;
  #previous: { at: number; sent: number; received: number } | null = null;
  /** When polling started (join), ms since the epoch; 0 when stopped. */
  startedAt = 0;
  latest: RTCStats = emptyStats();

  constructor(source: StatsSource) {
    this.#source = source;
  }

  start(): void {
    this.stop();
    this.startedAt = Date.now();
    this.latest = emptyStats();
    this.#previous = null;
    this.#timer = setInterval(() => void this.#poll(), 1000);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.startedAt = 0;
  }

  async #poll(): Promise<void> {
    let sent = 0;
    let received = 0;
    let rtt = -1;
    let bandwidth = 0;
    const publisher = this.#source.publisherConnection;
    for (const pc of [publisher, this.#source.subscriberConnection]) {
      if (!pc) continue;
      let report: RTCStatsReport;
      try {
        report = (await pc.getStats()) as RTCStatsReport;
      } catch {
        continue;
      }
      const entries = new Map<string, Record<string, unknown>>();
      report.forEach((entry: Record<string, unknown>) => entries.set(String(entry.id), entry));
      for (const entry of entries.values()) {
        if (entry.type !== 'transport') continue;
        sent += Number(entry.bytesSent ?? 0);
        received += Number(entry.bytesReceived ?? 0);
        const pair = entries.get(String(entry.selectedCandidatePairId));
        if (!pair) continue;
        if (rtt < 0 && typeof pair.currentRoundTripTime === 'number') rtt = pair.currentRoundTripTime * 1000;
        if (typeof pair.availableOutgoingBitrate === 'number' && pc === publisher) {
          bandwidth = pair.availableOutgoingBitrate / 1000;
        }
      }
    }
    const now = Date.now();
    const previous = this.#previous;
    const seconds = previous ? (now - previous.at) / 1000 : 0;
    const rate = (delta: number) =>
      previous && seconds > 0 ? Math.max(0, Math.round((delta * 8) / seconds)) : 0;
    this.latest = {
      ...this.latest,
      SendBytes: sent,
      RecvBytes: received,
      SendBitrate: rate(sent - (previous?.sent ?? 0)),
      RecvBitrate: rate(received - (previous?.received ?? 0)),
      RTT: rtt < 0 ? 0 : Math.round(rtt),
      OutgoingAvailableBandwidth: Math.round(bandwidth),
    };
    this.#previous = { at: now, sent, received };
  }
}
