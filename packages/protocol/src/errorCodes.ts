/**
 * Every stable error code Patchbay produces, on the wire and in the SDKs.
 * The table in docs/errors.md is checked against this list by a test.
 */
export const ErrorCode = {
  /** A signaling frame that is not JSON, or not an object. */
  MALFORMED_MESSAGE: 'MALFORMED_MESSAGE',
  /** A signaling frame larger than the server's limit. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** A message whose `type` the receiver does not know. */
  UNKNOWN_MESSAGE_TYPE: 'UNKNOWN_MESSAGE_TYPE',
  /** A known message whose fields fail validation. */
  INVALID_PARAMS: 'INVALID_PARAMS',
  /** A call made in the wrong state (publish before join, double join, ...). */
  INVALID_OPERATION: 'INVALID_OPERATION',
  /** The uid is already used by another participant of the channel. */
  UID_CONFLICT: 'UID_CONFLICT',
  /** The token was rejected (bad signature, wrong channel, missing when required). */
  INVALID_TOKEN: 'INVALID_TOKEN',
  /** The token (or one of its privileges) has expired. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** Subscribing to a user who publishes no audio. */
  REMOTE_USER_IS_NOT_PUBLISHED: 'REMOTE_USER_IS_NOT_PUBLISHED',
  /** Naming a user who is not in the channel. */
  INVALID_REMOTE_USER: 'INVALID_REMOTE_USER',
  /** SDP the media engine could not accept. */
  NEGOTIATION_FAILED: 'NEGOTIATION_FAILED',
  /** The operation was cancelled, e.g. by leave() while joining. */
  OPERATION_ABORTED: 'OPERATION_ABORTED',
  /** The server is shutting down. */
  SERVER_SHUTTING_DOWN: 'SERVER_SHUTTING_DOWN',
  /** The WebSocket failed or closed. */
  WS_ERR: 'WS_ERR',
  /** A request got no response in time. */
  NETWORK_TIMEOUT: 'NETWORK_TIMEOUT',
  /** A feature this build does not offer (video, ...). */
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  /** An unexpected server-side failure; the server keeps running. */
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  /** PCM whose byte length does not match samples x channels x bytes. */
  INVALID_PCM_LENGTH: 'INVALID_PCM_LENGTH',
  /** A sample rate, channel count or sample size the SDK does not accept. */
  UNSUPPORTED_AUDIO_FORMAT: 'UNSUPPORTED_AUDIO_FORMAT',
  /** PCM of a type other than Buffer, Uint8Array or Int16Array. */
  INVALID_PCM_TYPE: 'INVALID_PCM_TYPE',
  /** A push made before setExternalAudioSource(), or after leave(). */
  EXTERNAL_SOURCE_NOT_ENABLED: 'EXTERNAL_SOURCE_NOT_ENABLED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
