import type { ChannelMode, LeaveReason, Privilege, Role, Uid } from '@patchbay/protocol';
import type { NetworkQuality } from './AudioStats.js';
import type { PatchbayError } from './PatchbayError.js';
import type { MediaStreamTrackLike } from './platform.js';
import type { ReconnectPolicy } from './reconnect.js';
import type { RemoteUser } from './RemoteUser.js';

export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'DISCONNECTING' | 'RECONNECTING';

/** Why the connection ended, as in the Web SDK NG's ConnectionDisconnectedReason. */
export type DisconnectedReason = 'LEAVE' | 'NETWORK_ERROR' | 'SERVER_ERROR';

export type ChannelSessionEvents<T> = {
  'user-joined': [user: RemoteUser<T>];
  'user-info-updated': [uid: Uid, msg: 'mute-audio' | 'unmute-audio'];
  'user-left': [user: RemoteUser<T>, reason: LeaveReason];
  'user-published': [user: RemoteUser<T>, mediaType: 'audio'];
  'user-unpublished': [user: RemoteUser<T>, mediaType: 'audio'];
  'connection-state-change': [
    current: ConnectionState,
    previous: ConnectionState,
    reason?: DisconnectedReason,
  ];
  /**
   * A token privilege expires soon (30 s by default): call renewToken(). `privilege` is "join" or
   * "publishAudio"; `expiresAt` is unix seconds.
   */
  'token-privilege-will-expire': [privilege: Privilege, expiresAt: number];
  /**
   * A token privilege expired. "join": the server closes the session next. "publishAudio": the
   * server stopped this client's publishing and the publisher connection is closed.
   */
  'token-privilege-did-expire': [privilege: Privilege];
  /**
   * The channel's loudest speaker changed, as the server measures it from the RFC 6464 audio
   * levels of what each user publishes (this client's own uid included). Null: nobody speaks.
   */
  'active-speaker': [uid: Uid | null];
  /** Every 2 s while joined: uplink and downlink quality 0..6 from loss and round-trip time. */
  'network-quality': [quality: NetworkQuality];
  /**
   * The connection to the server was restored after a loss. `resumed`: the server kept the
   * session (media never stopped); otherwise the client joined again and republished and
   * resubscribed by itself. `outageMs`: from the loss to CONNECTED again.
   */
  reconnected: [info: { resumed: boolean; outageMs: number; attempts: number }];
  /**
   * Node SDK: the media path was down while publishing (reconnection) and is back. Pushed audio
   * was queued meanwhile: of the `pushedMs` pushed during the outage, `droppedMs` (the oldest)
   * did not fit in the queues and was dropped; `queuedMs` waits to be sent now.
   */
  'local-audio-outage': [info: { durationMs: number; pushedMs: number; droppedMs: number; queuedMs: number }];
  /** Reconnection gave up (RECONNECT_FAILED, or an error no retry can fix); the state is DISCONNECTED. */
  'reconnect-failed': [error: PatchbayError];
};

export interface ChannelSessionOptions<T> {
  /**
   * WebSocket URL of the Patchbay server, or several entry URLs of a cluster: join uses the first;
   * reconnection tries the server that served us last, then these in turn.
   */
  server: string | readonly string[];
  /** Wraps a received MediaStreamTrack in the SDK's remote track type. */
  wrapRemoteTrack(user: RemoteUser<T>, track: MediaStreamTrackLike, mid: string): T;
  /** The wrapped track no longer receives (unsubscribed, unpublished, left). */
  releaseRemoteTrack(track: T): void;
  /**
   * After a reconnection that had to resubscribe: point an existing wrapped track at the new
   * receiver track, so the app's object keeps playing. Without it the track is released and the
   * user is announced as unpublished then published again.
   */
  rebindRemoteTrack?(track: T, mediaTrack: MediaStreamTrackLike, mid: string): void;
  /** Retry schedule after a lost connection (see ReconnectPolicy for the defaults). */
  reconnect?: Partial<ReconnectPolicy>;
  /** Default 10000 ms. */
  requestTimeoutMs?: number;
  /** "rtc" (everyone is a host) or "live" (hosts and audience). Default "rtc". */
  mode?: ChannelMode;
  /** The role to join with in live mode. Default "audience" in live mode (as in the Web SDK NG and on the server). */
  role?: Role;
}
