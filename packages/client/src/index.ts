export {
  ChannelSession,
  type ChannelSessionEvents,
  type ChannelSessionOptions,
  type ConnectionState,
  type DisconnectedReason,
} from './ChannelSession.js';
export { type EventMap, TypedEmitter } from './EventEmitter.js';
export { SerialQueue, waitForIceGathering } from './negotiation.js';
export { PatchbayError } from './PatchbayError.js';
export type {
  MediaStreamTrackLike,
  PeerConnectionLike,
  Platform,
  SessionDescriptionLike,
  TransceiverLike,
  WebSocketLike,
} from './platform.js';
export {
  DEFAULT_RECONNECT_POLICY,
  type ReconnectPolicy,
  reconnectDelay,
  reconnectTarget,
  resolveReconnectPolicy,
} from './reconnect.js';
export { type RemoteUser, userKey } from './RemoteUser.js';
export { SignalClient, type SignalClientHandlers } from './SignalClient.js';
export {
  AudioStatsPoller,
  type AudioStatsSource,
  emptyLocalStats,
  type LocalAudioTrackStats,
  type NetworkQuality,
  qualityFrom,
  type RemoteAudioTrackStats,
} from './AudioStats.js';
export { type End2EndDelaySource, FRAMING_MS, senderReportTransit } from './end2EndDelay.js';
