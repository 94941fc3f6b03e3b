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
  /** The app id is not one this server is configured for. */
  INVALID_APP_ID: 'INVALID_APP_ID',
  /** The token does not grant this: becoming a host, or publishing, with an audience token. */
  NO_PRIVILEGE: 'NO_PRIVILEGE',
  /** Publishing while in the audience role of a live-mode channel. */
  AUDIENCE_CANNOT_PUBLISH: 'AUDIENCE_CANNOT_PUBLISH',
  /** More signaling messages per second than the connection may send; the message was dropped. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** More joins per second from one IP address than the server allows. */
  JOIN_RATE_LIMITED: 'JOIN_RATE_LIMITED',
  /** The channel has as many participants as the server allows. */
  CHANNEL_FULL: 'CHANNEL_FULL',
  /** The participant already has as many audio tracks (published + subscribed) as allowed. */
  TOO_MANY_TRACKS: 'TOO_MANY_TRACKS',
  /** The connection did not join a channel in time and is closed. */
  JOIN_TIMEOUT: 'JOIN_TIMEOUT',
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
  /** `resume` named a session the server no longer has (grace period over, server restarted). */
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  /** Cluster: the channel lives on another node; the error's `redirect` names its URL. */
  REDIRECT: 'REDIRECT',
  /** Cluster: Redis cannot be reached, so no new channel can be placed; running channels go on. */
  CLUSTER_UNAVAILABLE: 'CLUSTER_UNAVAILABLE',
  /** Cluster: this node is draining and takes no new channels; another node will. */
  NODE_DRAINING: 'NODE_DRAINING',
  /** The SDK gave up reconnecting after its retry schedule (see docs/resilience.md). */
  RECONNECT_FAILED: 'RECONNECT_FAILED',
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
  /** Float PCM holding NaN, an infinity, or a value outside -1..1. */
  INVALID_PCM_VALUE: 'INVALID_PCM_VALUE',
  /** A custom audio trackId the engine did not create (or already destroyed). */
  INVALID_TRACK_ID: 'INVALID_TRACK_ID',
  /** An engine call before initialize(), or after release(). */
  ENGINE_NOT_INITIALIZED: 'ENGINE_NOT_INITIALIZED',
  /** pullAudioFrame() before setExternalAudioSink(true, ...). */
  EXTERNAL_SINK_NOT_ENABLED: 'EXTERNAL_SINK_NOT_ENABLED',
  /** The browser denied access to a device (microphone). */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  /** No device matches the requested id. */
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  /** The browser's media stack failed (getUserMedia, AudioContext). */
  MEDIA_ERROR: 'MEDIA_ERROR',
  /** A local track that cannot be used here (closed, not audio, not one of ours). */
  INVALID_LOCAL_TRACK: 'INVALID_LOCAL_TRACK',
  /** An audio file for a buffer-source track could not be fetched. */
  FETCH_AUDIO_FILE_FAILED: 'FETCH_AUDIO_FILE_FAILED',
  /** An audio file for a buffer-source track could not be decoded. */
  DECODE_AUDIO_FILE_FAILED: 'DECODE_AUDIO_FILE_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
