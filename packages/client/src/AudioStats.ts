import type { Uid } from '@patchbay/protocol';
import {
  type End2EndDelaySource,
  end2EndDelay,
  median,
  packetDurationMs,
  senderReportTransit,
  TRANSIT_SAMPLES,
} from './end2EndDelay.js';
import type { PeerConnectionLike } from './platform.js';

/** The Web SDK NG's LocalAudioTrackStats, from the publisher connection's WebRTC statistics. */
export interface LocalAudioTrackStats {
  codecType?: 'opus';
  /** Level of what is sent, 0..32767 (media-source audioLevel). */
  sendVolumeLevel: number;
  /** bps over the last second (RTP payload and headers). */
  sendBitrate: number;
  sendBytes: number;
  sendPackets: number;
  /** Packets the server reported lost (RTCP receiver reports). */
  sendPacketsLost: number;
  sendJitterMs: number;
  sendRttMs: number;
  /** Percent 0..100, from the server's last receiver report (fraction lost). */
  currentPacketLossRate: number;
}

/** The Web SDK NG's RemoteAudioTrackStats, from the subscriber connection's WebRTC statistics. */
export interface RemoteAudioTrackStats {
  codecType?: 'opus';
  /** ms, one way from the server to this client: half the ICE round-trip time. */
  transportDelay: number;
  /**
   * ms, capture (audio entering the publisher's WebRTC stack) to playout (decoded audio handed to
   * this client's audio device or sink). With `end2EndDelaySource` 'sender-report': the one-way
   * transit measured from the publisher's own clock (its RTCP sender reports, relayed by the SFU)
   * + the jitter-buffer delay of the last second + one packet duration of framing (20 ms by
   * default). With 'estimate' (no sender report yet, or clocks out of sync): 2 × transportDelay +
   * jitter-buffer delay + the same framing.
   * See docs/observability.md.
   */
  end2EndDelay: number;
  /** Patchbay extension: how end2EndDelay was obtained ('sender-report': measured transit; 'estimate'). */
  end2EndDelaySource: End2EndDelaySource;
  /** bps over the last second. */
  receiveBitrate: number;
  /** Level of what is received, 0..32767. */
  receiveLevel: number;
  receiveBytes: number;
  /** ms, mean jitter-buffer delay of the audio played out (jitterBufferDelay / jitterBufferEmittedCount). */
  receiveDelay: number;
  receivePackets: number;
  receivePacketsLost: number;
  receivePacketsDiscarded: number;
  /** Percent 0..100 since the subscription started. */
  packetLossRate: number;
  /** Percent 0..100 over the last second. */
  currentPacketLossRate: number;
  /** Seconds of audio received (played out) on this subscription. */
  totalDuration: number;
  /** Seconds of non-silent concealment: audio the decoder had to invent because packets were missing. */
  totalFreezeTime: number;
  /** Percent 0..100: totalFreezeTime / totalDuration. */
  freezeRate: number;
  /** Seconds since this client first received the stream. */
  publishDuration: number;
}

/** 0 unknown, 1 excellent, 2 good, 3 poor, 4 bad, 5 very bad, 6 down (as in the Web SDK NG). */
export interface NetworkQuality {
  uplinkNetworkQuality: number;
  downlinkNetworkQuality: number;
}

/** What the poller reads from its client. */
export interface AudioStatsSource {
  readonly publisherConnection: PeerConnectionLike | null;
  readonly subscriberConnection: PeerConnectionLike | null;
  /** The user whose audio the subscriber m-line `mid` carries now. */
  uidForMid(mid: string): Uid | undefined;
  /** Called every 2 s while polling. */
  onQuality(quality: NetworkQuality): void;
}

export function emptyLocalStats(): LocalAudioTrackStats {
  return {
    sendVolumeLevel: 0,
    sendBitrate: 0,
    sendBytes: 0,
    sendPackets: 0,
    sendPacketsLost: 0,
    sendJitterMs: 0,
    sendRttMs: 0,
    currentPacketLossRate: 0,
  };
}

type Entry = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A quality score from a loss percentage and a round-trip time. */
export function qualityFrom(lossPercent: number, rttMs: number): number {
  const byLoss =
    lossPercent < 1
      ? 1
      : lossPercent < 3
        ? 2
        : lossPercent < 8
          ? 3
          : lossPercent < 15
            ? 4
            : lossPercent < 30
              ? 5
              : 6;
  const byRtt = rttMs < 150 ? 1 : rttMs < 300 ? 2 : rttMs < 500 ? 3 : rttMs < 800 ? 4 : rttMs < 1500 ? 5 : 6;
  return Math.max(byLoss, byRtt);
}

interface InboundMemo {
  at: number;
  bytes: number;
  packets: number;
  lost: number;
  firstAt: number;
  /** Cumulative jitterBufferDelay (s) and jitterBufferEmittedCount. */
  jbDelay: number;
  jbEmitted: number;
  /** Transits (ms) of the last sender reports, newest last, and the last one's remoteTimestamp. */
  transits: number[];
  lastSrAt: number;
}

/**
 * Reads both peer connections' statistics (on a 1 s timer while joined) and keeps the latest
 * local and per-user remote audio stats, and the network quality.
 */
export class AudioStatsPoller {
  readonly #source: AudioStatsSource;
  #local: LocalAudioTrackStats | null = null;
  #remote: Record<string, RemoteAudioTrackStats> = {};
  #quality: NetworkQuality = { uplinkNetworkQuality: 0, downlinkNetworkQuality: 0 };
  #sent: { at: number; bytes: number } | null = null;
  readonly #inbound = new Map<string, InboundMemo>();

  constructor(source: AudioStatsSource) {
    this.#source = source;
  }

  get local(): LocalAudioTrackStats {
    return this.#local ?? emptyLocalStats();
  }
  get remote(): Record<string, RemoteAudioTrackStats> {
    return this.#remote;
  }
  get quality(): NetworkQuality {
    return this.#quality;
  }

  #timer: ReturnType<typeof setInterval> | null = null;

  /** Polls every second; reports the network quality every 2 s. */
  start(): void {
    this.stop();
    let ticks = 0;
    const timer = setInterval(() => {
      void this.poll().then(() => {
        if (this.#timer === timer && ++ticks % 2 === 0) this.#source.onQuality(this.#quality);
      });
    }, 1000);
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.reset();
  }

  #generation = 0;

  reset(): void {
    this.#generation++;
    this.#local = null;
    this.#remote = {};
    this.#quality = { uplinkNetworkQuality: 0, downlinkNetworkQuality: 0 };
    this.#sent = null;
    this.#inbound.clear();
  }

  async poll(now = Date.now()): Promise<void> {
    const generation = this.#generation;
    const [pub, sub] = await Promise.all([
      read(this.#source.publisherConnection),
      read(this.#source.subscriberConnection),
    ]);
    if (generation !== this.#generation) return; // stopped meanwhile
    let uplink = 0;
    let downlink = 0;
    this.#local = null;
    if (pub) {
      const out = find(pub, (e) => e.type === 'outbound-rtp' && e.kind === 'audio');
      if (out) {
        const remoteIn = pub.get(String(out.remoteId));
        const source = pub.get(String(out.mediaSourceId));
        const bytes = num(out.bytesSent) + num(out.headerBytesSent);
        const prev = this.#sent;
        const seconds = prev ? (now - prev.at) / 1000 : 0;
        const lossPercent = remoteIn ? num(remoteIn.fractionLost) * 100 : 0;
        const rttMs = remoteIn ? num(remoteIn.roundTripTime) * 1000 : pairRtt(pub);
        this.#local = {
          codecType: 'opus',
          sendVolumeLevel: Math.round(num(source?.audioLevel) * 32767),
          sendBitrate:
            prev && seconds > 0 ? Math.max(0, Math.round(((bytes - prev.bytes) * 8) / seconds)) : 0,
          sendBytes: num(out.bytesSent),
          sendPackets: num(out.packetsSent),
          sendPacketsLost: Math.max(0, num(remoteIn?.packetsLost)),
          sendJitterMs: Math.round(num(remoteIn?.jitter) * 1000),
          sendRttMs: Math.round(rttMs),
          currentPacketLossRate: Math.round(lossPercent * 10) / 10,
        };
        this.#sent = { at: now, bytes };
        uplink = qualityFrom(lossPercent, rttMs);
      }
    } else {
      this.#sent = null;
    }
    const remote: Record<string, RemoteAudioTrackStats> = {};
    if (sub) {
      const rttMs = pairRtt(sub);
      const seen = new Set<string>();
      let worstLoss = 0;
      for (const e of sub.values()) {
        if (e.type !== 'inbound-rtp' || e.kind !== 'audio' || typeof e.mid !== 'string') continue;
        const uid = this.#source.uidForMid(e.mid);
        if (uid === undefined) continue;
        const key = `${e.mid}:${String(e.ssrc)}:${String(uid)}`;
        seen.add(key);
        const bytes = num(e.bytesReceived) + num(e.headerBytesReceived);
        const packets = num(e.packetsReceived);
        const lost = Math.max(0, num(e.packetsLost));
        const memo = this.#inbound.get(key);
        const seconds = memo ? (now - memo.at) / 1000 : 0;
        const dPackets = memo ? packets - memo.packets : 0;
        const dLost = memo ? lost - memo.lost : 0;
        const current = dPackets + dLost > 0 ? (100 * Math.max(0, dLost)) / (dPackets + dLost) : 0;
        worstLoss = Math.max(worstLoss, current);
        const emitted = num(e.jitterBufferEmittedCount);
        const jbDelay = num(e.jitterBufferDelay);
        const receiveDelay = emitted > 0 ? (jbDelay / emitted) * 1000 : 0;
        // The jitter-buffer delay of what was played out since the last poll (else the mean so far).
        const dEmitted = memo ? emitted - memo.jbEmitted : 0;
        const recentDelay = dEmitted > 0 ? ((jbDelay - memo!.jbDelay) / dEmitted) * 1000 : receiveDelay;
        const totalDuration = num(e.totalSamplesDuration);
        const freeze = Math.max(0, num(e.concealedSamples) - num(e.silentConcealedSamples)) / 48000;
        const transportDelay = rttMs / 2;
        const remoteOutbound = sub.get(String(e.remoteId));
        const srTransit = senderReportTransit(remoteOutbound);
        const srAt = num(remoteOutbound?.remoteTimestamp);
        let transits = memo?.transits ?? [];
        if (srTransit === null) transits = [];
        else if (srAt !== memo?.lastSrAt) transits = [...transits.slice(-(TRANSIT_SAMPLES - 1)), srTransit];
        const transit = transits.length > 0 ? median(transits) : null;
        const framing = packetDurationMs(dPackets + Math.max(0, dLost), seconds);
        const e2e = end2EndDelay(transit, transportDelay, recentDelay, framing);
        remote[String(uid)] = {
          codecType: 'opus',
          transportDelay: Math.round(transportDelay),
          end2EndDelay: e2e.delay,
          end2EndDelaySource: e2e.source,
          receiveBitrate:
            memo && seconds > 0 ? Math.max(0, Math.round(((bytes - memo.bytes) * 8) / seconds)) : 0,
          receiveLevel: Math.round(num(e.audioLevel) * 32767),
          receiveBytes: num(e.bytesReceived),
          receiveDelay: Math.round(receiveDelay),
          receivePackets: packets,
          receivePacketsLost: lost,
          receivePacketsDiscarded: num(e.packetsDiscarded),
          packetLossRate: packets + lost > 0 ? Math.round((1000 * lost) / (packets + lost)) / 10 : 0,
          currentPacketLossRate: Math.round(current * 10) / 10,
          totalDuration: Math.round(totalDuration * 1000) / 1000,
          totalFreezeTime: Math.round(freeze * 1000) / 1000,
          freezeRate: totalDuration > 0 ? Math.round((1000 * freeze) / totalDuration) / 10 : 0,
          publishDuration: memo ? Math.round((now - memo.firstAt) / 1000) : 0,
        };
        this.#inbound.set(key, {
          at: now,
          bytes,
          packets,
          lost,
          firstAt: memo?.firstAt ?? now,
          jbDelay,
          jbEmitted: emitted,
          transits,
          lastSrAt: srAt,
        });
      }
      for (const key of this.#inbound.keys()) if (!seen.has(key)) this.#inbound.delete(key);
      if (seen.size > 0) downlink = qualityFrom(worstLoss, rttMs);
    }
    this.#remote = remote;
    this.#quality = { uplinkNetworkQuality: uplink, downlinkNetworkQuality: downlink };
  }
}

async function read(pc: PeerConnectionLike | null): Promise<Map<string, Entry> | null> {
  if (!pc) return null;
  try {
    const report = (await pc.getStats()) as { forEach(cb: (e: Entry) => void): void };
    const entries = new Map<string, Entry>();
    report.forEach((e) => entries.set(String(e.id), e));
    return entries;
  } catch {
    return null; // closed meanwhile
  }
}

function find(entries: Map<string, Entry>, test: (e: Entry) => boolean): Entry | undefined {
  for (const e of entries.values()) if (test(e)) return e;
  return undefined;
}

/** ms, the selected (nominated, carrying traffic) candidate pair's current round-trip time. */
function pairRtt(entries: Map<string, Entry>): number {
  let best: Entry | undefined;
  for (const e of entries.values()) {
    if (e.type !== 'candidate-pair' || e.nominated !== true) continue;
    if (!best || num(e.bytesReceived) + num(e.bytesSent) > num(best.bytesReceived) + num(best.bytesSent))
      best = e;
  }
  return num(best?.currentRoundTripTime) * 1000;
}
