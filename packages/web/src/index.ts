import { PatchbayError } from '@patchbay/client';
import { ERROR_CODES, ErrorCode } from '@patchbay/protocol';
import { audioContext, resumeAudioContext } from './audio.js';
import {
  type BufferSourceAudioTrackInitConfig,
  BufferSourceAudioTrack,
  decodeAudioSource,
} from './BufferSourceAudioTrack.js';
import { Client, type ClientConfig } from './Client.js';
import type { AudioEncoderConfiguration, AudioEncoderConfigurationPreset } from './encoderConfig.js';
import {
  AREAS,
  AudienceLatencyLevelType,
  ConnectionDisconnectedReason,
  RemoteStreamFallbackType,
  RemoteStreamType,
} from './enums.js';
import { mediaError, notSupported, WebErrorCode } from './errors.js';
import {
  type FactoryEvents,
  type FactoryHooks,
  factoryEvents,
  setHookTarget,
  watchDevices,
} from './hooks.js';
import { LocalAudioTrack, MicrophoneAudioTrack } from './LocalAudioTrack.js';
import { createPcmAudioTrack, PcmAudioTrack } from './PcmAudioTrack.js';
import { RemoteAudioTrack } from './RemoteAudioTrack.js';
import { setParameter, setServer } from './settings.js';

export const VERSION = '0.1.0';

/** All error codes: the protocol's plus the browser-only ones. */
export const AgoraRTCErrorCode = Object.freeze({ ...ErrorCode, ...WebErrorCode });

/** Creates a client. A plain function, so `new createClient({...})` (seen in Agora samples) works too. */
export function createClient(config: ClientConfig = { mode: 'rtc', codec: 'vp8' }): Client {
  return new Client(config);
}

export interface CustomAudioTrackInitConfig {
  mediaStreamTrack: MediaStreamTrack;
  encoderConfig?: AudioEncoderConfiguration | AudioEncoderConfigurationPreset;
}

/** Wraps an audio MediaStreamTrack (e.g. from a MediaStreamAudioDestinationNode) in a local track. Synchronous. */
export function createCustomAudioTrack(config: CustomAudioTrackInitConfig): LocalAudioTrack {
  if (config === null || typeof config !== 'object') {
    throw PatchbayError.invalidParams('createCustomAudioTrack() takes { mediaStreamTrack, encoderConfig? }');
  }
  return new LocalAudioTrack(config.mediaStreamTrack, config.encoderConfig);
}

export interface MicrophoneAudioTrackInitConfig {
  /** Echo cancellation (echoCancellation). Default true. */
  AEC?: boolean;
  /** Automatic gain control (autoGainControl). Default true. */
  AGC?: boolean;
  /** Noise suppression (noiseSuppression). Default true. */
  ANS?: boolean;
  encoderConfig?: AudioEncoderConfiguration | AudioEncoderConfigurationPreset;
  microphoneId?: string;
  /** Accepted; ignored. */
  DTX?: boolean;
  /** Accepted; ignored (the track always runs through Web Audio). */
  bypassWebAudio?: boolean;
}

/** Opens a microphone with getUserMedia. AEC/AGC/ANS map to echoCancellation/autoGainControl/noiseSuppression. */
export async function createMicrophoneAudioTrack(
  config: MicrophoneAudioTrackInitConfig = {},
): Promise<MicrophoneAudioTrack> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
    throw notSupported(
      'this page cannot open a microphone (navigator.mediaDevices needs a secure context: https or localhost)',
    );
  }
  const constraints: MediaTrackConstraints = {
    echoCancellation: config.AEC ?? true,
    autoGainControl: config.AGC ?? true,
    noiseSuppression: config.ANS ?? true,
  };
  if (config.microphoneId) constraints.deviceId = { exact: config.microphoneId };
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: constraints, video: false });
  } catch (error) {
    throw mediaError(error);
  }
  watchDevices();
  return new MicrophoneAudioTrack(stream.getAudioTracks()[0], constraints, config.encoderConfig);
}

const VIDEO = 'Patchbay carries audio only: video tracks are not supported';

export function createCameraVideoTrack(_config?: unknown): Promise<never> {
  return Promise.reject(notSupported(`createCameraVideoTrack(): ${VIDEO}`));
}
export function createScreenVideoTrack(_config?: unknown, _withAudio?: unknown): Promise<never> {
  return Promise.reject(notSupported(`createScreenVideoTrack(): ${VIDEO}`));
}
export function createMicrophoneAndCameraTracks(_audio?: unknown, _video?: unknown): Promise<never> {
  return Promise.reject(
    notSupported(`createMicrophoneAndCameraTracks(): ${VIDEO}; use createMicrophoneAudioTrack()`),
  );
}
/** Synchronous in the Web SDK NG, so it throws. */
export function createCustomVideoTrack(_config?: unknown): never {
  throw notSupported(`createCustomVideoTrack(): ${VIDEO}`);
}
/** Decodes a file, URL or AudioBuffer into a track that publishes it once startProcessAudioBuffer() is called. */
export async function createBufferSourceAudioTrack(
  config: BufferSourceAudioTrackInitConfig,
): Promise<BufferSourceAudioTrack> {
  if (config === null || typeof config !== 'object' || config.source === undefined) {
    throw PatchbayError.invalidParams(
      'createBufferSourceAudioTrack() takes { source: File | URL | AudioBuffer }',
    );
  }
  const buffer = await decodeAudioSource(config.source);
  return new BufferSourceAudioTrack(config.source, buffer, config.encoderConfig);
}

/** Whether this browser has what Patchbay needs (WebRTC, WebSocket, Web Audio). */
export function checkSystemRequirements(): boolean {
  return (
    typeof RTCPeerConnection !== 'undefined' &&
    typeof WebSocket !== 'undefined' &&
    typeof AudioContext !== 'undefined' &&
    typeof MediaStream !== 'undefined'
  );
}

/** Opus in every browser; no video codecs. */
export async function getSupportedCodec(): Promise<{ audio: string[]; video: string[] }> {
  return { audio: ['OPUS'], video: [] };
}

/** Checks whether a local track carries sound, sampling its level for `timeout` ms (default 5000). */
export function checkAudioTrackIsActive(track: LocalAudioTrack, timeout = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const end = Date.now() + timeout;
    const poll = (): void => {
      if (track.getVolumeLevel() > 0.001) resolve(true);
      else if (Date.now() >= end) resolve(false);
      else setTimeout(poll, 100);
    };
    poll();
  });
}

/** Lists devices; `skipPermissionCheck` false (default) first asks for microphone access so labels are filled. */
export async function getDevices(skipPermissionCheck = false): Promise<MediaDeviceInfo[]> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.enumerateDevices) {
    throw notSupported('this page cannot list devices (navigator.mediaDevices needs a secure context)');
  }
  if (!skipPermissionCheck) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      for (const t of stream.getTracks()) t.stop();
    } catch (error) {
      throw mediaError(error);
    }
  }
  watchDevices();
  return navigator.mediaDevices.enumerateDevices();
}

export async function getMicrophones(skipPermissionCheck = false): Promise<MediaDeviceInfo[]> {
  return (await getDevices(skipPermissionCheck)).filter((d) => d.kind === 'audioinput');
}

export async function getPlaybackDevices(skipPermissionCheck = false): Promise<MediaDeviceInfo[]> {
  return (await getDevices(skipPermissionCheck)).filter((d) => d.kind === 'audiooutput');
}

/** Patchbay uses no cameras. */
export async function getCameras(_skipPermissionCheck = false): Promise<MediaDeviceInfo[]> {
  return [];
}

let logLevel = 1;
/** Accepted for compatibility (0 DEBUG .. 4 NONE); Patchbay logs only errors to the console. */
export function setLogLevel(level: number): void {
  logLevel = level;
}
export function getLogLevel(): number {
  return logLevel;
}
/** Accepted for compatibility; Patchbay uploads no logs. */
export function enableLogUpload(): void {}
export function disableLogUpload(): void {}
/** Accepted for compatibility; the server is chosen with setServer(). */
export function setArea(_areas: unknown): void {}
/** Accepted for compatibility. */
export async function preload(..._args: unknown[]): Promise<void> {}

export function on<K extends keyof FactoryEvents>(
  event: K,
  listener: (...args: FactoryEvents[K]) => void,
): void {
  factoryEvents.on(event, listener);
  if (event.endsWith('-changed') && event !== 'audio-context-state-changed') watchDevices();
}
export function once<K extends keyof FactoryEvents>(
  event: K,
  listener: (...args: FactoryEvents[K]) => void,
): void {
  factoryEvents.once(event, listener);
}
export function off<K extends keyof FactoryEvents>(
  event: K,
  listener?: (...args: FactoryEvents[K]) => void,
): void {
  factoryEvents.off(event, listener);
}
export function removeAllListeners(event?: keyof FactoryEvents): void {
  factoryEvents.removeAllListeners(event);
}

/** The page's shared AudioContext (created on first use). */
export function getAudioContext(): AudioContext {
  return audioContext();
}

export {
  AREAS,
  AudienceLatencyLevelType,
  Client,
  ConnectionDisconnectedReason,
  ERROR_CODES,
  LocalAudioTrack,
  MicrophoneAudioTrack,
  PatchbayError,
  RemoteStreamFallbackType,
  RemoteStreamType,
  resumeAudioContext,
  setParameter,
  setServer,
};
export type {
  ClientConfig,
  ClientEvents,
  VolumeIndicatorResult,
  ClientMode,
  ClientRole,
  ClientRoleOptions,
  VideoCodec,
  WebRemoteUser,
} from './Client.js';
export type { ConnectionState, DisconnectedReason, RemoteUser } from '@patchbay/client';
export type { RTCStats } from './ConnectionStats.js';
export type { ClientException } from './ExceptionMonitor.js';
export type { Uid } from '@patchbay/protocol';
export type { AudioFrameCallback } from './audio.js';
export type { AudioEncoderConfiguration, AudioEncoderConfigurationPreset } from './encoderConfig.js';
export type { DeviceChangeInfo, FactoryEvents, FactoryHooks } from './hooks.js';
export { BufferSourceAudioTrack, RemoteAudioTrack };
export { createPcmAudioTrack, PcmAudioTrack };
export type { PcmAudioTrackInitConfig, PcmAudioTrackStats } from './PcmAudioTrack.js';
export type {
  AudioSourceOptions,
  AudioSourceState,
  BufferSourceAudioTrackInitConfig,
} from './BufferSourceAudioTrack.js';
export { WebErrorCode } from './errors.js';

const factory = {
  VERSION,
  createClient,
  createCustomAudioTrack,
  createMicrophoneAudioTrack,
  createBufferSourceAudioTrack,
  createPcmAudioTrack,
  PcmAudioTrack,
  createCameraVideoTrack,
  createScreenVideoTrack,
  createMicrophoneAndCameraTracks,
  createCustomVideoTrack,
  checkSystemRequirements,
  checkAudioTrackIsActive,
  getSupportedCodec,
  getDevices,
  getMicrophones,
  getPlaybackDevices,
  getCameras,
  setLogLevel,
  getLogLevel,
  enableLogUpload,
  disableLogUpload,
  setArea,
  setParameter,
  setServer,
  resumeAudioContext,
  getAudioContext,
  preload,
  on,
  once,
  off,
  removeAllListeners,
  AgoraRTCErrorCode,
  ERROR_CODES,
  AudienceLatencyLevelType,
  RemoteStreamType,
  RemoteStreamFallbackType,
  ConnectionDisconnectedReason,
  AREAS,
  PatchbayError,
  Client,
  LocalAudioTrack,
  MicrophoneAudioTrack,
  BufferSourceAudioTrack,
  RemoteAudioTrack,
};

const hooks: FactoryHooks = {
  onAutoplayFailed: null,
  onAudioAutoplayFailed: null,
  onAudioContextStateChanged: null,
  onMicrophoneChanged: null,
  onPlaybackDeviceChanged: null,
  onCameraChanged: null,
  onSecurityPolicyViolation: null,
};

/** The factory object: `import AgoraRTC from '@patchbay/web'`, or the bundles' global `Patchbay` / `AgoraRTC`. */
const Patchbay: typeof factory & FactoryHooks = Object.assign(factory, hooks);

setHookTarget(Patchbay);

export default Patchbay;
