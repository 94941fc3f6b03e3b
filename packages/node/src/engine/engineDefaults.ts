import { DEFAULT_SERVER } from '../defaults.js';
import { PatchbayError } from '../errors.js';
import { ChannelProfileType, ClientRoleType } from './enums.js';
import type { ChannelMediaOptions, RtcEngineContext } from './types.js';

/** initialize()'s options, every default filled in. */
export type ResolvedRtcEngineContext = Required<RtcEngineContext>;

/** Channel media options, every default filled in. */
export type ResolvedChannelMediaOptions = Required<
  Omit<ChannelMediaOptions, 'publishCustomAudioTrackId' | 'token'>
> &
  Pick<ChannelMediaOptions, 'publishCustomAudioTrackId' | 'token'>;

/** Track ids from createCustomAudioTrack() start here; setExternalAudioSource() uses 0..sourceNumber-1. */
export const CUSTOM_TRACK_ID_BASE = 100;

/** Most tracks setExternalAudioSource(…, sourceNumber) may create. */
export const MAX_SOURCE_NUMBER = 16;

/** The observer format used until a set…AudioFrameParameters() call: 48 kHz mono, 10 ms. */
export const DEFAULT_OBSERVER_FORMAT = { sampleRate: 48000, channels: 1 as 1 | 2, samplesPerCall: 480 };

/** Audio the external sink keeps for pullAudioFrame() before dropping the oldest, ms. */
export const SINK_BUFFER_MS = 500;

export function resolveRtcEngineContext(context: RtcEngineContext): ResolvedRtcEngineContext {
  if (typeof context !== 'object' || context === null) {
    throw PatchbayError.invalidParams('initialize() takes { appId, channelProfile, ... }');
  }
  const audioBufferMs = context.audioBufferMs ?? 200;
  if (
    !Number.isFinite(audioBufferMs) ||
    (audioBufferMs !== 0 && (audioBufferMs < 10 || audioBufferMs > 60000))
  ) {
    throw PatchbayError.invalidParams(
      `audioBufferMs must be 0 or 10..60000, got ${String(context.audioBufferMs)}`,
    );
  }
  return {
    appId: context.appId ?? 'patchbay',
    channelProfile: context.channelProfile ?? ChannelProfileType.ChannelProfileLiveBroadcasting,
    server: context.server ?? (process.env.PATCHBAY_SERVER || DEFAULT_SERVER),
    audioBufferMs,
    requestTimeoutMs: context.requestTimeoutMs ?? 10000,
  };
}

export const DEFAULT_CHANNEL_MEDIA_OPTIONS: ResolvedChannelMediaOptions = {
  publishCustomAudioTrack: true,
  publishMicrophoneTrack: false,
  autoSubscribeAudio: true,
  clientRoleType: ClientRoleType.ClientRoleBroadcaster,
  channelProfile: ChannelProfileType.ChannelProfileLiveBroadcasting,
  enableAudioRecordingOrPlayout: true,
};

/** Merges `update` into `current` (unset fields keep their value). */
export function mergeChannelMediaOptions(
  current: ResolvedChannelMediaOptions,
  update: ChannelMediaOptions | undefined,
): ResolvedChannelMediaOptions {
  if (update === undefined || update === null) return current;
  if (typeof update !== 'object') throw PatchbayError.invalidParams('ChannelMediaOptions must be an object');
  const next = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  return next;
}
