import {
  type ChannelMode,
  ErrorCode,
  type LeaveReason,
  type Privilege,
  type Role,
  type ServerNotification,
  type Uid,
  uidSchema,
} from '@patchbay/protocol';
import {
  AudioStatsPoller,
  type AudioStatsSource,
  type LocalAudioTrackStats,
  type NetworkQuality,
  type RemoteAudioTrackStats,
} from './AudioStats.js';
import { TypedEmitter } from './EventEmitter.js';
import { SerialQueue, waitForIceGathering } from './negotiation.js';
import { PatchbayError } from './PatchbayError.js';
import type { MediaStreamTrackLike, PeerConnectionLike, Platform } from './platform.js';
import { type RemoteUser, userKey } from './RemoteUser.js';
import { SignalClient } from './SignalClient.js';

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
};

export interface ChannelSessionOptions<T> {
  /** WebSocket URL of the Patchbay server. */
  server: string;
  /** Wraps a received MediaStreamTrack in the SDK's remote track type. */
  wrapRemoteTrack(user: RemoteUser<T>, track: MediaStreamTrackLike, mid: string): T;
  /** The wrapped track no longer receives (unsubscribed, unpublished, left). */
  releaseRemoteTrack(track: T): void;
  /** Default 10000 ms. */
  requestTimeoutMs?: number;
  /** "rtc" (everyone is a host) or "live" (hosts and audience). Default "rtc". */
  mode?: ChannelMode;
  /** The role to join with in live mode. Default "audience" in live mode (as in the Web SDK NG and on the server). */
  role?: Role;
}

/**
 * The runtime-agnostic core of a client: signaling, channel membership, the publisher
 * connection (client offers) and the subscriber connection (server offers, one m-line per
 * subscribed user). The SDKs wrap it in their public API shapes.
 */
export class ChannelSession<T> extends TypedEmitter<ChannelSessionEvents<T>> {
  readonly #platform: Platform;
  readonly #options: ChannelSessionOptions<T>;
  readonly #ops = new SerialQueue();
  readonly #users = new Map<string, RemoteUser<T>>();
  readonly #subscribedMid = new Map<string, string>();
  #signal: SignalClient | null = null;
  #state: ConnectionState = 'DISCONNECTED';
  #uid: Uid | null = null;
  #channel: string | null = null;
  #publisher: PeerConnectionLike | null = null;
  #publishedTrack: MediaStreamTrackLike | null = null;
  #subscriber: PeerConnectionLike | null = null;
  readonly #mode: ChannelMode;
  #role: Role;
  readonly #audioStats = new AudioStatsPoller(this.#statsSource());

  constructor(platform: Platform, options: ChannelSessionOptions<T>) {
    super();
    this.#platform = platform;
    this.#options = options;
    this.#mode = options.mode ?? 'rtc';
    this.#role = options.role ?? (this.#mode === 'live' ? 'audience' : 'host');
  }

  /** The role this client has (live mode) or will join with. Always "host" in rtc mode. */
  get clientRole(): Role {
    return this.#mode === 'live' ? this.#role : 'host';
  }

  get connectionState(): ConnectionState {
    return this.#state;
  }
  get uid(): Uid | null {
    return this.#uid;
  }
  get channelName(): string | null {
    return this.#channel;
  }
  get remoteUsers(): RemoteUser<T>[] {
    return [...this.#users.values()];
  }
  get publisherConnection(): PeerConnectionLike | null {
    return this.#publisher;
  }
  get subscriberConnection(): PeerConnectionLike | null {
    return this.#subscriber;
  }
  get isPublishing(): boolean {
    return this.#publishedTrack !== null;
  }

  #setState(next: ConnectionState, reason?: DisconnectedReason): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    if (next === 'CONNECTED') this.#audioStats.start();
    else if (next === 'DISCONNECTED') this.#audioStats.stop();
    if (reason) this.emit('connection-state-change', next, previous, reason);
    else this.emit('connection-state-change', next, previous);
  }

  /** The published audio's statistics, refreshed every second while joined (zeros before). */
  getLocalAudioStats(): LocalAudioTrackStats {
    return this.#audioStats.local;
  }

  /** Statistics of each subscribed user's audio, keyed by uid, refreshed every second while joined. */
  getRemoteAudioStats(): Record<string, RemoteAudioTrackStats> {
    return this.#audioStats.remote;
  }

  /** The latest uplink/downlink quality (also emitted as "network-quality" every 2 s). */
  getNetworkQuality(): NetworkQuality {
    return this.#audioStats.quality;
  }

  #statsSource(): AudioStatsSource {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const session = this;
    return {
      get publisherConnection() {
        return session.#publisher;
      },
      get subscriberConnection() {
        return session.#subscriber;
      },
      uidForMid(mid) {
        for (const [key, m] of session.#subscribedMid) if (m === mid) return session.#users.get(key)?.uid;
        return undefined;
      },
      onQuality: (quality) => this.emit('network-quality', quality),
    };
  }

  async join(appId: string, channel: string, token: string | null, uid: Uid | null): Promise<Uid> {
    if (this.#state !== 'DISCONNECTED') {
      throw PatchbayError.invalidOperation(`join() called while ${this.#state}; call leave() first`);
    }
    if (typeof appId !== 'string' || appId.length === 0)
      throw PatchbayError.invalidParams('appId must be a non-empty string');
    if (typeof channel !== 'string' || !/^[\w!#$%&()+\-:;<=.>?@[\]^{|}~, ]{1,64}$/u.test(channel)) {
      throw PatchbayError.invalidParams(
        'channel must be 1-64 characters: letters, digits, space and !#$%&()+-:;<=.>?@[]^_{|}~,',
      );
    }
    if (token !== null && token !== undefined && typeof token !== 'string') {
      throw PatchbayError.invalidParams('token must be a string or null');
    }
    const wanted = uid === undefined || uid === 0 ? null : uid;
    if (wanted !== null && !uidSchema.safeParse(wanted).success) {
      throw PatchbayError.invalidParams('uid must be a uint32 number, a 1-255 character string, or null');
    }
    this.#setState('CONNECTING');
    try {
      const signal = await SignalClient.connect(
        this.#platform,
        this.#options.server,
        {
          onNotification: (m) => this.#onNotification(m),
          onDisconnected: () => this.#teardown('NETWORK_ERROR'),
        },
        this.#options.requestTimeoutMs,
      );
      this.#signal = signal;
      if ((this.#state as ConnectionState) !== 'CONNECTING') {
        signal.close();
        throw new PatchbayError(ErrorCode.OPERATION_ABORTED, 'leave() was called while joining');
      }
      const result = await signal.request('join', {
        appId,
        channel,
        token: token ?? null,
        uid: wanted,
        mode: this.#mode,
        role: this.clientRole,
      });
      this.#uid = result.uid;
      this.#channel = result.channel;
      for (const info of result.users) this.#addUser(info.uid, info.hasAudio);
      this.#setState('CONNECTED');
      // Users (and their tracks, and their mute state) already present are announced like newcomers.
      for (const info of result.users) {
        const user = this.#users.get(userKey(info.uid));
        if (!user) continue;
        this.emit('user-joined', user);
        if (user.hasAudio) this.emit('user-published', user, 'audio');
        if (info.muted) this.emit('user-info-updated', user.uid, 'mute-audio');
      }
      return result.uid;
    } catch (error) {
      this.#teardown();
      throw error;
    }
  }

  async leave(): Promise<void> {
    if (this.#state === 'DISCONNECTED') return;
    this.#setState('DISCONNECTING');
    const signal = this.#signal;
    if (signal?.open) {
      try {
        await signal.request('leave', {});
      } catch {
        // the server drops us on close anyway
      }
    }
    this.#teardown('LEAVE');
  }

  #teardown(reason?: DisconnectedReason): void {
    this.#signal?.close();
    this.#signal = null;
    this.#publisher?.close();
    this.#publisher = null;
    this.#publishedTrack = null;
    this.#subscriber?.close();
    this.#subscriber = null;
    for (const user of this.#users.values()) this.#releaseTrack(user);
    this.#users.clear();
    this.#subscribedMid.clear();
    this.#uid = null;
    this.#channel = null;
    this.#setState('DISCONNECTED', reason);
  }

  #requireConnected(what: string): SignalClient {
    if (this.#state !== 'CONNECTED' || !this.#signal) {
      throw PatchbayError.invalidOperation(`${what} needs a joined channel; call join() first`);
    }
    return this.#signal;
  }

  /**
   * Replaces the token without reconnecting (call it on `token-privilege-will-expire`). The new
   * token must be for the same app, channel and uid; its expiries replace the old ones.
   */
  async renewToken(token: string): Promise<void> {
    if (typeof token !== 'string' || token.length === 0)
      throw PatchbayError.invalidParams('token must be a non-empty string');
    const signal = this.#requireConnected('renewToken()');
    await signal.request('renewToken', { token });
  }

  /**
   * Live mode: switch between "host" and "audience" (before join it sets the role to join with).
   * An audience must unpublish first; it is not announced to the others. No effect in rtc mode.
   * The SDK shapes expose this as setClientRole().
   */
  async switchRole(role: Role): Promise<void> {
    if (role !== 'host' && role !== 'audience')
      throw PatchbayError.invalidParams(`role must be "host" or "audience", got ${JSON.stringify(role)}`);
    if (this.#mode !== 'live' || this.#state === 'DISCONNECTED') {
      this.#role = role;
      return;
    }
    const signal = this.#requireConnected('setClientRole()');
    if (role === 'audience' && this.#publisher)
      throw PatchbayError.invalidOperation('unpublish() before becoming an audience');
    await this.#ops.run(async () => {
      await signal.request('setRole', { role });
      this.#role = role;
    });
  }

  /** Publishes one audio track (the SDKs mix several into one before calling this). */
  publishTrack(track: MediaStreamTrackLike): Promise<void> {
    const signal = this.#requireConnected('publish()');
    if (this.clientRole === 'audience') {
      return Promise.reject(
        new PatchbayError(
          ErrorCode.AUDIENCE_CANNOT_PUBLISH,
          'an audience cannot publish; call setClientRole("host") first',
        ),
      );
    }
    return this.#ops.run(async () => {
      if (this.#publisher) {
        await this.#publisher.getTransceivers()[0]?.sender.replaceTrack(track);
        this.#publishedTrack = track;
        return;
      }
      const pc = this.#platform.createPeerConnection();
      this.#publisher = pc;
      try {
        pc.addTransceiver(track, { direction: 'sendonly' });
        await pc.setLocalDescription(await pc.createOffer());
        await waitForIceGathering(pc);
        const { sdp } = await signal.request('publish', { sdp: pc.localDescription?.sdp ?? '' });
        await pc.setRemoteDescription({ type: 'answer', sdp });
        this.#publishedTrack = track;
      } catch (error) {
        pc.close();
        if (this.#publisher === pc) this.#publisher = null;
        throw error;
      }
    });
  }

  unpublishTrack(): Promise<void> {
    const signal = this.#requireConnected('unpublish()');
    return this.#ops.run(async () => {
      const pc = this.#publisher;
      if (!pc) return;
      this.#publisher = null;
      this.#publishedTrack = null;
      // Tell the server first: closing the connection first would make it see a failed publisher.
      try {
        await signal.request('unpublish', {});
      } finally {
        pc.close();
      }
    });
  }

  /** The server stopped our publishing: drop the publisher connection. */
  #stopPublishing(): void {
    const pc = this.#publisher;
    this.#publisher = null;
    this.#publishedTrack = null;
    pc?.close();
  }

  #resolveUser(userOrUid: RemoteUser<T> | Uid): RemoteUser<T> {
    const uid = typeof userOrUid === 'object' && userOrUid !== null ? userOrUid.uid : userOrUid;
    const user = this.#users.get(userKey(uid as Uid));
    if (!user)
      throw new PatchbayError(ErrorCode.INVALID_REMOTE_USER, `user ${String(uid)} is not in the channel`);
    return user;
  }

  /** Subscribes to a user's audio and returns the SDK's wrapped remote track. */
  subscribe(userOrUid: RemoteUser<T> | Uid): Promise<T> {
    const signal = this.#requireConnected('subscribe()');
    const user = this.#resolveUser(userOrUid);
    if (!user.hasAudio) {
      return Promise.reject(
        new PatchbayError(
          ErrorCode.REMOTE_USER_IS_NOT_PUBLISHED,
          `user ${String(user.uid)} publishes no audio`,
        ),
      );
    }
    return this.#ops.run(async () => {
      if (user.audioTrack !== undefined) return user.audioTrack;
      const result = await signal.request('subscribe', { uid: user.uid });
      let pc = this.#subscriber;
      if (result.offer) {
        pc ??= this.#subscriber = this.#platform.createPeerConnection();
        await pc.setRemoteDescription({ type: 'offer', sdp: result.offer });
        const answer = await pc.createAnswer();
        // The server must hold our DTLS fingerprint before our handshake can reach it, so the
        // answer goes out before setLocalDescription starts ICE/DTLS. It needs no candidates:
        // the server learns our address from our connectivity checks.
        await signal.request('answer', { sdp: answer.sdp ?? '' });
        await pc.setLocalDescription(answer);
      }
      const transceiver = pc?.getTransceivers().find((t) => t.mid === result.mid);
      if (!transceiver)
        throw new PatchbayError(ErrorCode.NEGOTIATION_FAILED, `no receiver for m-line ${result.mid}`);
      this.#subscribedMid.set(userKey(user.uid), result.mid);
      const track = this.#options.wrapRemoteTrack(user, transceiver.receiver.track, result.mid);
      user.audioTrack = track;
      return track;
    });
  }

  unsubscribe(userOrUid: RemoteUser<T> | Uid): Promise<void> {
    const signal = this.#requireConnected('unsubscribe()');
    const user = this.#resolveUser(userOrUid);
    return this.#ops.run(async () => {
      if (user.audioTrack === undefined) return;
      this.#releaseTrack(user);
      await signal.request('unsubscribe', { uid: user.uid });
    });
  }

  #releaseTrack(user: RemoteUser<T>): void {
    this.#subscribedMid.delete(userKey(user.uid));
    const track = user.audioTrack;
    if (track === undefined) return;
    user.audioTrack = undefined;
    this.#options.releaseRemoteTrack(track);
  }

  /**
   * Tells the others that the published audio is muted or not (it keeps flowing as silence).
   * The SDKs call it from their tracks' setMuted(). A no-op when not connected.
   */
  protected async announceMuted(muted: boolean): Promise<void> {
    if (this.#state !== 'CONNECTED' || !this.#signal) return;
    await this.#signal.request('mute', { muted });
  }

  #addUser(uid: Uid, hasAudio: boolean): RemoteUser<T> {
    const user: RemoteUser<T> = { uid, hasAudio, hasVideo: false };
    this.#users.set(userKey(uid), user);
    return user;
  }

  #onNotification(message: ServerNotification): void {
    switch (message.type) {
      case 'user-joined': {
        if (this.#users.has(userKey(message.user.uid))) return;
        const user = this.#addUser(message.user.uid, message.user.hasAudio);
        this.emit('user-joined', user);
        if (user.hasAudio) this.emit('user-published', user, 'audio');
        return;
      }
      case 'user-left': {
        const user = this.#users.get(userKey(message.uid));
        if (!user) return;
        this.#users.delete(userKey(message.uid));
        this.#releaseTrack(user);
        this.emit('user-left', user, message.reason);
        return;
      }
      case 'user-published': {
        const user = this.#users.get(userKey(message.uid));
        if (!user || user.hasAudio) return;
        user.hasAudio = true;
        this.emit('user-published', user, 'audio');
        return;
      }
      case 'user-unpublished': {
        const user = this.#users.get(userKey(message.uid));
        if (!user || !user.hasAudio) return;
        user.hasAudio = false;
        this.#releaseTrack(user);
        this.emit('user-unpublished', user, 'audio');
        return;
      }
      case 'user-info-updated':
        if (this.#users.has(userKey(message.uid))) this.emit('user-info-updated', message.uid, message.msg);
        return;
      case 'bye':
        this.#teardown('SERVER_ERROR');
        return;
      case 'token-privilege-will-expire':
        this.emit('token-privilege-will-expire', message.privilege, message.expiresAt);
        return;
      case 'active-speaker':
        this.emit('active-speaker', message.uid);
        return;
      case 'token-privilege-did-expire':
        if (message.privilege === 'publishAudio') this.#stopPublishing();
        this.emit('token-privilege-did-expire', message.privilege);
        return;
    }
  }
}
