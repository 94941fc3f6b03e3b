/**
 * One call under impairment: a Node SDK publisher pushes a deterministic speech-like signal
 * through the server to a Node SDK subscriber; the caller impairs the media path (usually with
 * an ImpairmentProxy the server announces). Measures what the listener got: concealed samples
 * (WebRTC inbound-rtp stats, deltas over the measured signal), segmental SNR of the received
 * audio against the sent signal after alignment, whether both connections stayed connected, and
 * the publisher's view (loss reported back to it in RTCP, bytes per packet).
 *
 * Shared by the e2e loss tests and the bench `loss` scenario.
 */
import { createClient, type NodeClient } from '@patchbay/node';
import { segmentalSnr, speechLikeSignal } from '@patchbay/netsim';
import { sleep, withTimeout } from './util.js';

export interface LossCallOptions {
  /** Signaling URL of the server. */
  serverUrl: string;
  channel: string;
  /** Seconds of signal pushed after the impairment is on, before measuring (the sender adapts). */
  warmupSeconds?: number;
  /** Seconds of measured signal. */
  seconds?: number;
  seed?: number;
  /** Called once audio flows, before the warm-up: turn the impairment on here. */
  onFlowing?: () => void | Promise<void>;
}

export interface LossCallResult {
  /** concealedSamples / totalSamplesReceived at the listener over the measured signal. */
  concealedRatio: number;
  concealedSamples: number;
  /** (concealedSamples - silentConcealedSamples) / totalSamplesReceived: concealment that was audible. */
  audibleConcealedRatio: number;
  totalSamples: number;
  /** Packets the listener's stats counted as received and lost over the measured signal. */
  packetsReceived: number;
  packetsLost: number;
  /** Lost packets the listener's NetEq rebuilt from Opus in-band FEC (fecPacketsReceived - fecPacketsDiscarded). */
  fecRecovered: number;
  /** Mean jitter buffer delay at the listener over the measured signal, ms. */
  jitterBufferMs: number;
  /** Segmental SNR of the received audio vs the sent signal (dB), and the share of aligned blocks. */
  segSnrDb: number;
  alignedShare: number;
  /** Every connection state seen on both media connections (a call that stays up sees only "connected"). */
  states: string[];
  stayedConnected: boolean;
  /** The loss the publisher last heard about in RTCP (remote-inbound-rtp fractionLost, 0..1), or null. */
  publisherReportedLoss: number | null;
  /** Mean RTP payload + header bytes per packet the publisher sent over the measured signal. */
  publisherBytesPerPacket: number;
  /** The publisher's outbound codec as its stats name it (audio/opus also while it sends RED). */
  publisherCodec: string;
}

type StatsEntry = Record<string, unknown> & { type: string; id: string };

async function stats(pc: { getStats(): Promise<unknown> } | null): Promise<StatsEntry[]> {
  if (!pc) return [];
  const report = (await pc.getStats()) as { forEach(cb: (e: StatsEntry) => void): void };
  const out: StatsEntry[] = [];
  report.forEach((e) => out.push(e));
  return out;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

async function inbound(client: NodeClient) {
  const e = (await stats(client.subscriberConnection)).find(
    (s) => s.type === 'inbound-rtp' && s.kind === 'audio',
  );
  return {
    concealed: num(e?.concealedSamples),
    silentConcealed: num(e?.silentConcealedSamples),
    total: num(e?.totalSamplesReceived),
    received: num(e?.packetsReceived),
    lost: num(e?.packetsLost),
    fecUsed: num(e?.fecPacketsReceived) - num(e?.fecPacketsDiscarded),
    bufferDelay: num(e?.jitterBufferDelay),
    emitted: num(e?.jitterBufferEmittedCount),
  };
}

async function outbound(client: NodeClient) {
  const all = await stats(client.publisherConnection);
  const out = all.find((s) => s.type === 'outbound-rtp' && s.kind === 'audio');
  const remote = all.find((s) => s.type === 'remote-inbound-rtp');
  const codec = all.find((s) => s.id === out?.codecId);
  return {
    codec: typeof codec?.mimeType === 'string' ? codec.mimeType : '?',
    bytes: num(out?.bytesSent) + num(out?.headerBytesSent),
    packets: num(out?.packetsSent),
    reportedLoss: remote && typeof remote.fractionLost === 'number' ? remote.fractionLost : null,
  };
}

/** Pushes `pcm` (48 kHz mono) in 100 ms chunks, with back-pressure. */
async function push(client: NodeClient, pcm: Int16Array): Promise<void> {
  for (let i = 0; i < pcm.length; i += 4800) await client.pushExternalAudioFrame(pcm.subarray(i, i + 4800));
}

export async function runLossCall(options: LossCallOptions): Promise<LossCallResult> {
  const seconds = options.seconds ?? 10;
  const warmup = options.warmupSeconds ?? 8;
  const seed = options.seed ?? 1;
  const listener = createClient({ server: options.serverUrl });
  const publisher = createClient({ server: options.serverUrl });
  const chunks: Int16Array[] = [];
  let recording = false;
  let frames = 0;
  const states: string[] = [];
  const watch = setInterval(() => {
    for (const pc of [publisher.publisherConnection, listener.subscriberConnection]) {
      const s = pc?.connectionState;
      if (s && s !== 'new' && s !== 'connecting' && states[states.length - 1] !== s) states.push(s);
    }
  }, 50);
  try {
    listener.on('user-published', (user) => {
      listener
        .subscribe(user, 'audio')
        .then((track) =>
          track.onAudioFrame((frame) => {
            frames++;
            if (recording) chunks.push(Int16Array.from(frame.samples));
          }),
        )
        .catch(() => undefined);
    });
    await listener.join('test-app', options.channel, null, 'listener');
    publisher.setExternalAudioSource(true, 48000, 1);
    await publisher.join('test-app', options.channel, null, 'speaker');
    await withTimeout(
      (async () => {
        while (frames < 30) await sleep(20);
      })(),
      15000,
      'audio flowing to the listener',
    );
    await options.onFlowing?.();
    states.length = 0;
    if (warmup > 0) await push(publisher, speechLikeSignal(warmup, seed + 1000));
    // Let the warm-up play out, so the measured signal starts when recording does (not seconds
    // later behind a queue): the alignment then only has to find the path's delay.
    await publisher.externalAudioTrack?.waitForPlayout();
    const signal = speechLikeSignal(seconds, seed);
    const before = await inbound(listener);
    const sentBefore = await outbound(publisher);
    recording = true;
    await push(publisher, signal);
    await publisher.externalAudioTrack?.waitForPlayout();
    await sleep(600);
    recording = false;
    const after = await inbound(listener);
    const sentAfter = await outbound(publisher);
    const received = concat(chunks);
    const quality = segmentalSnr(signal, received, 48000 * 3);
    const total = after.total - before.total;
    const concealed = after.concealed - before.concealed;
    const sentPackets = sentAfter.packets - sentBefore.packets;
    return {
      concealedRatio: total > 0 ? concealed / total : 1,
      concealedSamples: concealed,
      audibleConcealedRatio:
        total > 0 ? (concealed - (after.silentConcealed - before.silentConcealed)) / total : 1,
      totalSamples: total,
      packetsReceived: after.received - before.received,
      packetsLost: after.lost - before.lost,
      fecRecovered: after.fecUsed - before.fecUsed,
      jitterBufferMs:
        after.emitted > before.emitted
          ? ((after.bufferDelay - before.bufferDelay) / (after.emitted - before.emitted)) * 1000
          : 0,
      segSnrDb: quality.segSnrDb,
      alignedShare: quality.alignedShare,
      states: [...states],
      stayedConnected: states.every((s) => s === 'connected'),
      publisherReportedLoss: sentAfter.reportedLoss,
      publisherCodec: sentAfter.codec,
      publisherBytesPerPacket: sentPackets > 0 ? (sentAfter.bytes - sentBefore.bytes) / sentPackets : 0,
    };
  } finally {
    clearInterval(watch);
    await publisher.leave().catch(() => undefined);
    await listener.leave().catch(() => undefined);
  }
}

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
