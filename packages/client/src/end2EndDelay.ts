/**
 * end2EndDelay of getRemoteAudioStats(): from the publisher's own clock when the subscriber has it.
 *
 * The SFU relays each publisher's RTCP sender reports (its NTP wall clock) to the subscribers,
 * unchanged but for SSRC and RTP timestamp (server `Producer` / `Consumer`). libwebrtc reports the
 * last one on `remote-outbound-rtp`: `remoteTimestamp` is the publisher's clock when it sent the
 * report, `timestamp` this client's clock when it arrived. Their difference is the measured
 * one-way transit publisher -> SFU -> subscriber (the same path and forwarding as the RTP), given
 * clocks in sync (NTP), as any capture-time scheme needs. One SR is one sample, every 2.5-7.5 s, and
 * a late one (a stalled sender or SFU) would stand for seconds: the transit used is the median of
 * the last TRANSIT_SAMPLES reports. Then
 *
 *     end2EndDelay = transit + jitter-buffer delay (last interval, measured by NetEq) + framing
 *
 * framing is one packet duration (20 ms by default, 10 with the server's opusPtimeMs 10), read from
 * the packet rate: an allowance, not a measurement. A 20 ms Opus packet leaves the sender once its
 * second 10 ms frame is in, and the receiver decodes it whole and plays it out 10 ms at a time.
 * It is a measure of capture (audio entering the sender's WebRTC stack) to playout (decoded audio
 * handed to the receiver's audio device or sink), not an estimate from round-trip times.
 */

export type End2EndDelaySource = 'sender-report' | 'estimate';

/** The framing allowance when the packet duration is unknown: WebRTC's default Opus ptime. */
export const FRAMING_MS = 20;
const PTIMES = [10, 20, 40, 60];
/** Sender reports whose transits are combined (median). */
export const TRANSIT_SAMPLES = 3;
/** Transit below this (ms) means the two clocks disagree by more than a few ms: not usable. */
const MIN_TRANSIT_MS = -10;
/** Transit above this (ms) is clock disagreement, not a network. */
const MAX_TRANSIT_MS = 5000;

type Entry = Record<string, unknown>;
const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * ms from the publisher's last sender report to its arrival here (remote-outbound-rtp), or null
 * when there is none yet or the clocks are visibly out of sync (then end2EndDelay is estimated).
 */
export function senderReportTransit(remoteOutbound: Entry | undefined): number | null {
  if (!remoteOutbound || remoteOutbound.type !== 'remote-outbound-rtp') return null;
  const arrival = finite(remoteOutbound.timestamp);
  const sent = finite(remoteOutbound.remoteTimestamp);
  if (arrival === null || sent === null || arrival <= 0 || sent <= 0) return null;
  const transit = arrival - sent;
  if (transit < MIN_TRANSIT_MS || transit > MAX_TRANSIT_MS) return null;
  return Math.max(0, transit);
}

/**
 * The Opus packet duration (ms) from `packets` (received + lost) in `seconds`: the standard ptime
 * within 15 % of the observed spacing, else FRAMING_MS (too few packets, or a pause).
 */
export function packetDurationMs(packets: number, seconds: number): number {
  if (packets < 10 || seconds <= 0) return FRAMING_MS;
  const spacing = (seconds * 1000) / packets;
  for (const ptime of PTIMES) if (Math.abs(spacing - ptime) <= ptime * 0.15) return ptime;
  return FRAMING_MS;
}

/**
 * end2EndDelay (ms) and how it was obtained. `transitMs` from senderReportTransit(); without it,
 * the estimate: 2 × transportDelay (the uplink assumed as long as the downlink) + jitter buffer +
 * framing.
 */
export function end2EndDelay(
  transitMs: number | null,
  transportDelayMs: number,
  jitterBufferMs: number,
  framingMs = FRAMING_MS,
): { delay: number; source: End2EndDelaySource } {
  if (transitMs !== null) {
    return { delay: Math.round(transitMs + jitterBufferMs + framingMs), source: 'sender-report' };
  }
  return { delay: Math.round(2 * transportDelayMs + jitterBufferMs + framingMs), source: 'estimate' };
}

/** The median of a short, non-empty list (the mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
