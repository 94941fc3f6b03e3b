import type { Uid } from '@patchbay/protocol';
import type { Producer } from '../forwarding/Producer.js';
import type { Channel } from '../room/Channel.js';

/** One subscription of a participant: the stream it receives from `from`. */
export interface SubscriptionView {
  from: Uid;
  packetsSent: number;
  sendFailures: number;
  /** From the subscriber's last RTCP receiver report: fraction lost 0..1 since the previous one. */
  fractionLost: number | null;
  cumulativeLost: number | null;
  /** Interarrival jitter in ms from the last receiver report. */
  jitterMs: number | null;
}

/** One participant as the admin endpoint shows it: counters only, no tokens or addresses. */
export interface ParticipantView {
  uid: Uid;
  role: 'host' | 'audience';
  publishing: boolean;
  muted: boolean;
  /** Smoothed volume 0..100 from the audio-level header extension. */
  level: number;
  voiceActivity: boolean;
  activeSpeaker: boolean;
  packetsIn: number;
  bytesIn: number;
  packetsForwarded: number;
  subscriptions: SubscriptionView[];
}

export interface ChannelView {
  appId: string;
  channel: string;
  activeSpeaker: Uid | null;
  /** Unix milliseconds when this view was taken (for rates between two views). */
  at: number;
  participants: ParticipantView[];
}

/** A JSON-ready snapshot of one channel. */
export function channelView(channel: Channel): ChannelView {
  const owners = new Map<Producer, Uid>();
  for (const p of channel.participants()) if (p.producer) owners.set(p.producer, p.uid);
  const participants: ParticipantView[] = [];
  for (const p of channel.participants()) {
    const producer = p.producer;
    const subscriptions: SubscriptionView[] = [];
    for (const c of p.subscriber?.consumers ?? []) {
      const from = c.producer ? owners.get(c.producer) : undefined;
      if (from === undefined) continue;
      const r = c.lastReport;
      subscriptions.push({
        from,
        packetsSent: c.packetsSent,
        sendFailures: c.sendFailures,
        fractionLost: r ? r.fractionLost : null,
        cumulativeLost: r ? r.cumulativeLost : null,
        jitterMs: r ? Math.round((r.jitter / 48) * 10) / 10 : null,
      });
    }
    participants.push({
      uid: p.uid,
      role: p.role,
      publishing: producer !== null,
      muted: p.muted,
      level: producer && !p.muted ? producer.level : 0,
      voiceActivity: producer?.voiceActivity ?? false,
      activeSpeaker: channel.activeSpeaker === p,
      packetsIn: producer?.stats.packetsIn ?? 0,
      bytesIn: producer?.stats.bytesIn ?? 0,
      packetsForwarded: producer?.stats.packetsForwarded ?? 0,
      subscriptions,
    });
  }
  return {
    appId: channel.appId,
    channel: channel.name,
    activeSpeaker: channel.activeSpeaker?.uid ?? null,
    at: Date.now(),
    participants,
  };
}
