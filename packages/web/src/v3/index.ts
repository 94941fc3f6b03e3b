/**
 * The legacy Agora Web SDK v3 API (`agora-rtc-sdk`, callback style) over Patchbay's NG client.
 * The bundle /sdk/patchbay-v3-compat.js sets it as the global `AgoraRTC`, so a v3 page runs on
 * Patchbay when only its script src changes.
 */
import { PatchbayError } from '@patchbay/client';
import { ERROR_CODES } from '@patchbay/protocol';
import { getAudioContext, getLogLevel, setLogLevel, VERSION } from '../index.js';
import { setParameter, setServer } from '../settings.js';
import { ClientV3, type ClientConfigV3, type ClientEventsV3 } from './Client.js';
import { Stream, type StreamError, type StreamSpec } from './Stream.js';

type Callback<A extends unknown[] = []> = ((...args: A) => void) | undefined | null;

/** Creates a v3 client. A plain function, so `new AgoraRTC.createClient()` works too. */
export function createClient(config?: ClientConfigV3): ClientV3 {
  return new ClientV3(config);
}

/** Creates a local stream; call stream.init() next. */
export function createStream(spec: StreamSpec): Stream {
  if (spec === null || typeof spec !== 'object') {
    throw PatchbayError.invalidParams('createStream() takes { streamID?, audio, video, audioSource? }');
  }
  return new Stream(spec, true);
}

export function checkSystemRequirements(): boolean {
  return (
    typeof RTCPeerConnection !== 'undefined' &&
    typeof WebSocket !== 'undefined' &&
    typeof AudioContext !== 'undefined'
  );
}

/** getDevices(onSuccess(devices), onFailure?(err)). */
export function getDevices(onSuccess: Callback<[MediaDeviceInfo[]]>, onFailure?: Callback<[unknown]>): void {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.enumerateDevices) {
    queueMicrotask(() => onFailure?.(new PatchbayError('NOT_SUPPORTED', 'no navigator.mediaDevices')));
    return;
  }
  navigator.mediaDevices.enumerateDevices().then(
    (devices) => onSuccess?.(devices),
    (error: unknown) => onFailure?.(error),
  );
}

/** getSupportedCodec() resolves { audio: ["OPUS"], video: [] }. */
export function getSupportedCodec(): Promise<{ audio: string[]; video: string[] }> {
  return Promise.resolve({ audio: ['OPUS'], video: [] });
}

/** AgoraRTC.Logger: levels are accepted; Patchbay only logs errors. */
export const Logger = {
  DEBUG: 0,
  INFO: 1,
  WARNING: 2,
  ERROR: 3,
  NONE: 4,
  setLogLevel,
  getLogLevel,
  enableLogUpload(): void {},
  disableLogUpload(): void {},
  debug(): void {},
  info(): void {},
  warning(): void {},
  error(...args: unknown[]): void {
    console.error('[patchbay]', ...args);
  },
};

export { ClientV3, Stream };
export type { ClientConfigV3, ClientEventsV3, StreamError, StreamSpec };

/** The v3 factory object: the v3-compat bundle's global `AgoraRTC`. */
const AgoraRTCv3 = {
  VERSION,
  createClient,
  createStream,
  checkSystemRequirements,
  getDevices,
  getSupportedCodec,
  getAudioContext,
  Logger,
  setServer,
  setParameter,
  ERROR_CODES,
  PatchbayError,
};

export default AgoraRTCv3;
