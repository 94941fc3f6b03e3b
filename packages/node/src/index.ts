import type { NodeClientConfig } from './defaults.js';
import { NodeClient } from './NodeClient.js';
import { PcmAudioTrack, type PcmAudioTrackOptions } from './PcmAudioTrack.js';
import { RtcEngine } from './engine/RtcEngine.js';

export const VERSION = '0.1.0';

/** Creates a client (a plain function, so `new createClient()` works too, as in Web SDK samples). */
export function createClient(config: Partial<NodeClientConfig> = {}): NodeClient {
  return new NodeClient(config);
}

/** Creates a local track that you feed with PCM (see PcmAudioTrack.push). */
export function createCustomAudioTrack(options: PcmAudioTrackOptions): PcmAudioTrack {
  return new PcmAudioTrack(options);
}

/** Creates a native-style engine (Agora Electron SDK 4.x names); call initialize() next. */
export function createRtcEngine(): RtcEngine {
  return new RtcEngine();
}

/** The same as {@link createRtcEngine}, under the name Agora's Electron SDK uses. */
export const createAgoraRtcEngine = createRtcEngine;

export type { ConnectionState, DisconnectedReason, RemoteUser } from '@patchbay/client';
export { PatchbayError } from '@patchbay/client';
export { ERROR_CODES, ErrorCode, type Uid } from '@patchbay/protocol';
export type { AudioFrame, AudioFrameCallback } from './AudioFrame.js';
export { estimateFrequency, findActiveRegion, generateTone, rms } from './audio/analysis.js';
export { SUPPORTED_INPUT_RATES } from './audio/pcm.js';
export { DEFAULT_SERVER, type NodeClientConfig } from './defaults.js';
export { NodeClient, type NodeRemoteUser } from './NodeClient.js';
export {
  PcmAudioTrack,
  type PcmAudioTrackEvents,
  type PcmAudioTrackOptions,
  type PcmAudioTrackStats,
} from './PcmAudioTrack.js';
export { RemoteAudioTrack } from './RemoteAudioTrack.js';
export { type FrameProcessor, LocalAudioMixer, type LocalMixerRoute } from './LocalAudioMixer.js';
export { NoiseSuppressor } from './audio/NoiseSuppressor.js';
export { type AudioProcessingInfo, audioProcessingInfo, EchoCanceller } from './audio/EchoCanceller.js';
export { RtcEngine } from './engine/RtcEngine.js';
export { MediaEngine } from './engine/MediaEngine.js';
export {
  AudioExternalSourcePosition,
  AudioFramePosition,
  AudioFrameType,
  AudioTrackType,
  BytesPerSample,
  ChannelProfileType,
  ClientRoleType,
  ConnectionChangedReasonType,
  ConnectionStateType,
  ErrorCodeType,
  RawAudioFrameOpModeType,
  UserOfflineReasonType,
} from './engine/enums.js';
export type {
  AudioFrame as NativeAudioFrame,
  AudioTrackConfig,
  AudioVolumeInfo,
  ChannelMediaOptions,
  IAudioFrameObserver,
  IRtcEngineEventHandler,
  RtcConnection,
  RtcEngineContext,
} from './engine/types.js';

const Patchbay = { VERSION, createClient, createCustomAudioTrack, createRtcEngine, createAgoraRtcEngine };
export default Patchbay;
