import {
  type ChannelMode,
  ErrorCode,
  type LeaveReason,
  type Privilege,
  type Role,
  type ServerNotification,
  type Uid,
  uidSchema,
  type UserInfo,
} from '@patchbay/protocol';
import {
  AudioStatsPoller,
  type LocalAudioTrackStats,
  type NetworkQuality,
  type RemoteAudioTrackStats,
} from './AudioStats.js';
import { TypedEmitter } from './EventEmitter.js';
import { negotiatePublisher, negotiateSubscription, SerialQueue, validateJoin } from './negotiation.js';
import { PatchbayError } from './PatchbayError.js';
import type { MediaStreamTrackLike, PeerConnectionLike, Platform } from './platform.js';
import {
  type ReconnectPolicy,
  isFatalOnReconnect,
  reconnectFailure,
  reconnectTarget,
  retryOnSchedule,
  resolveReconnectPolicy,
} from './reconnect.js';
import type { RemoteUser } from './RemoteUser.js';
import { RemoteUsers } from './RemoteUsers.js';
import { SessionMedia } from './SessionMedia.js';
import { SignalClient } from './SignalClient.js';
import type {
  ChannelSessionEvents,
  ChannelSessionOptions,
  ConnectionState,
  DisconnectedReason,
} from './sessionTypes.js';

export type { ChannelSessionEvents, ChannelSessionOptions, ConnectionState, DisconnectedReason };

/** Redirects one join may follow (cluster: entry node → owner node). */
const MAX_REDIRECTS = 3;

interface JoinParams {
  appId: string;
  channel: string;
  token: string | null;
}

/**
 * The runtime-agnostic core of a client: signaling, channel membership, the publisher
 * connection (client offers) and the subscriber connection (server offers, one m-line per
 * subscribed user). The SDKs wrap it in their public API shapes.
 *
 * Reconnection: when the WebSocket drops (or the server says it shuts down), the state becomes
 * RECONNECTING and the client retries on its {@link ReconnectPolicy} schedule. It first asks the
 * server to `resume` the session (media untouched); if the server no longer has it (restart,
 * failover) it joins again with the same uid, republishes and resubscribes. A publisher media
 * connection that fails on its own is re-established the same way.
 */
export class ChannelSession<T> extends TypedEmitter<ChannelSessionEvents<T>> {
  readonly #platform: Platform;
  readonly #options: ChannelSessionOptions<T>;
  readonly #entries: readonly string[];
  readonly #policy: ReconnectPolicy;
  readonly #ops = new SerialQueue();
  readonly #users: RemoteUsers<T>;
  #signal: SignalClient | null = null;
  #state: ConnectionState = 'DISCONNECTED';
  #uid: Uid | null = null;
  #channel: string | null = null;
  #joinParams: JoinParams | null = null;
  #sessionId: string | undefined;
  /** The server that accepted our join or resume (after redirects). */
  #serverUrl: string;
  /** Bumped by leave/teardown: a reconnection loop of an older generation stops. */
  #generation = 0;
  readonly #media: SessionMedia<T>;
  readonly #mode: ChannelMode;
  #role: Role;
  readonly #audioStats: AudioStatsPoller;

  constructor(platform: Platform, options: ChannelSessionOptions<T>) {
    super();
    this.#platform = platform;
    this.#options = options;
    const entries = typeof options.server === 'string' ? [options.server] : [...options.server];
    if (entries.length === 0 || entries.some((u) => typeof u !== 'string' || u.length === 0))
      throw PatchbayError.invalidParams('server must be a WebSocket URL or a non-empty list of them');
    this.#entries = entries;
    this.#serverUrl = entries[0] as string;
    this.#policy = resolveReconnectPolicy(options.reconnect);
    this.#mode = options.mode ?? 'rtc';
    this.#role = options.role ?? (this.#mode === 'live' ? 'audience' : 'host');
    this.#users = new RemoteUsers<T>(
      (track) => options.releaseRemoteTrack(track),
      (event, ...args) => this.emit(event, ...args),
    );
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const session = this;
    this.#media = new SessionMedia<T>({
      platform,
      options,
      ops: this.#ops,
      users: this.#users,
      signal: (what) => this.#requireConnected(what),
      get connected() {
        return session.#state === 'CONNECTED';
      },
      get reconnecting() {
        return session.#state === 'RECONNECTING';
      },
      emit: (event, ...args) => this.emit(event, ...args),
      onOutage: (down) => this.onMediaOutage(down),
    });
    const media = this.#media;
    this.#audioStats = new AudioStatsPoller({
      get publisherConnection() {
        return media.publisher;
      },
      get subscriberConnection() {
        return media.subscriber;
      },
      uidForMid: (mid) => this.#users.uidForMid(mid),
      onQuality: (quality) => this.emit('network-quality', quality),
    });
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
  /** The server URL this client is (or was last) connected to, after any cluster redirect. */
  get serverUrl(): string {
    return this.#serverUrl;
  }
  get remoteUsers(): RemoteUser<T>[] {
    return this.#users.values();
  }
  get publisherConnection(): PeerConnectionLike | null {
    return this.#media.publisher;
  }
  get subscriberConnection(): PeerConnectionLike | null {
    return this.#media.subscriber;
  }
  get isPublishing(): boolean {
    return this.#media.publishedTrack !== null;
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

  async join(appId: string, channel: string, token: string | null, uid: Uid | null): Promise<Uid> {
    if (this.#state !== 'DISCONNECTED') {
      throw PatchbayError.invalidOperation(`join() called while ${this.#state}; call leave() first`);
    }
    const wanted = validateJoin(appId, channel, token, uid);
    this.#setState('CONNECTING');
    const generation = this.#generation;
    const params: JoinParams = { appId, channel, token: token ?? null };
    this.#held = [];
    try {
      const result = await this.#joinVia(this.#entries[0] as string, params, wanted, generation);
      this.#joinParams = params;
      this.#uid = result.uid;
      this.#channel = result.channel;
      this.#sessionId = result.sessionId;
      this.#setState('CONNECTED');
      // Users (and their tracks, and their mute state) already present are announced like newcomers.
      this.#users.announceInitial(result.users);
      this.#releaseHeld();
      return result.uid;
    } catch (error) {
      this.#held = null;
      if (generation === this.#generation) this.#teardown();
      throw error;
    }
  }

  /** Opens a signaling connection whose loss starts reconnection (if it is still the current one). */
  async #connect(url: string, generation: number): Promise<SignalClient> {
    const holder: { signal?: SignalClient } = {};
    const signal = await SignalClient.connect(
      this.#platform,
      url,
      {
        onNotification: (m) => {
          if (holder.signal !== this.#signal) return;
          if (this.#held) this.#held.push(m);
          else this.#onNotification(m);
        },
        onDisconnected: () => {
          if (holder.signal === this.#signal) this.#onConnectionLost();
        },
      },
      this.#options.requestTimeoutMs,
    );
    holder.signal = signal;
    if (generation !== this.#generation) {
      signal.close();
      throw new PatchbayError(ErrorCode.OPERATION_ABORTED, 'leave() was called while connecting');
    }
    return signal;
  }

  /** Connects to `url` and joins, following cluster redirects; the accepting socket becomes current. */
  async #joinVia(
    url: string,
    params: JoinParams,
    uid: Uid | null,
    generation: number,
  ): Promise<{ uid: Uid; channel: string; users: UserInfo[]; sessionId?: string | undefined }> {
    for (let hop = 0; ; hop++) {
      const signal = await this.#connect(url, generation);
      this.#signal = signal;
      try {
        const result = await signal.request('join', {
          ...params,
          uid,
          mode: this.#mode,
          role: this.clientRole,
        });
        this.#serverUrl = url;
        return result;
      } catch (error) {
        const redirect = error instanceof PatchbayError ? error.redirect : undefined;
        if (this.#signal === signal) this.#signal = null;
        signal.close();
        if (!redirect || hop >= MAX_REDIRECTS) throw error;
        url = redirect;
      }
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
    this.#generation++;
    this.#media.setOutage(false);
    this.#signal?.close();
    this.#signal = null;
    this.#media.closeAll();
    this.#users.clear();
    this.#uid = null;
    this.#channel = null;
    this.#joinParams = null;
    this.#sessionId = undefined;
    this.#serverUrl = this.#entries[0] as string;
    this.#setState('DISCONNECTED', reason);
  }

  /** The socket dropped, or the server is going away: reconnect in the background. */
  #onConnectionLost(): void {
    if (this.#state !== 'CONNECTED' || !this.#joinParams || this.#policy.giveUpAfterMs === 0) {
      if (this.#state !== 'DISCONNECTED' && this.#state !== 'RECONNECTING') this.#teardown('NETWORK_ERROR');
      return;
    }
    this.#signal?.close();
    this.#signal = null;
    this.#media.setOutage(true);
    this.#setState('RECONNECTING', 'NETWORK_ERROR');
    void this.#reconnectLoop(this.#generation);
  }

  async #reconnectLoop(generation: number): Promise<void> {
    const started = Date.now();
    const outcome = await retryOnSchedule(
      this.#policy,
      async (attempt) => {
        try {
          return await this.#reattach(reconnectTarget(this.#serverUrl, this.#entries, attempt), generation);
        } catch (error) {
          if (generation === this.#generation) {
            this.#signal?.close();
            this.#signal = null;
          }
          throw error instanceof PatchbayError ? error : PatchbayError.from(error);
        }
      },
      { cancelled: () => generation !== this.#generation, fatal: isFatalOnReconnect },
    );
    if (outcome.kind === 'cancelled') return;
    if (outcome.kind === 'done') {
      this.#setState('CONNECTED');
      this.emit('reconnected', {
        resumed: outcome.value,
        outageMs: Date.now() - started,
        attempts: outcome.attempts,
      });
      return;
    }
    const failure = reconnectFailure(outcome.lastError, outcome.fatal, this.#policy.giveUpAfterMs);
    this.#teardown('NETWORK_ERROR');
    this.emit('reconnect-failed', failure);
  }

  /** One reconnection attempt: resume the session, or join again and restore the media. */
  async #reattach(url: string, generation: number): Promise<boolean> {
    const params = this.#joinParams;
    if (!params) throw new PatchbayError(ErrorCode.OPERATION_ABORTED, 'left while reconnecting');
    // Notifications that arrive with the result (ws delivers a TCP chunk's frames back to back)
    // wait until the user list is reconciled, or they would be applied to the old list.
    this.#held = [];
    try {
      return await this.#reattachNow(url, params, generation);
    } finally {
      this.#releaseHeld();
    }
  }

  /** Notifications held back during a join or reattach, applied in order. */
  #held: ServerNotification[] | null = null;

  #releaseHeld(): void {
    const held = this.#held;
    this.#held = null;
    if (!held) return;
    for (const m of held) this.#onNotification(m);
  }

  async #reattachNow(url: string, params: JoinParams, generation: number): Promise<boolean> {
    if (this.#sessionId) {
      const signal = await this.#connect(url, generation);
      this.#signal = signal;
      try {
        const result = await signal.request('resume', { sessionId: this.#sessionId });
        this.#serverUrl = url;
        this.#sessionId = result.sessionId ?? this.#sessionId;
        // CONNECTED first: the app may subscribe from the events the reconciliation emits.
        this.#setState('CONNECTED');
        this.#users.reconcile(result.users);
        this.#releaseHeld();
        this.#media.afterResume();
        return true;
      } catch (error) {
        if (!(error instanceof PatchbayError) || error.code !== ErrorCode.SESSION_NOT_FOUND) throw error;
        this.#signal = null;
        signal.close();
      }
    }
    const result = await this.#joinVia(url, params, this.#uid, generation);
    this.#uid = result.uid;
    this.#sessionId = result.sessionId;
    // A new server-side session: the old media connections lead nowhere.
    const track = this.#media.closeAll();
    this.#setState('CONNECTED');
    const resubscribe = this.#users.reconcile(result.users);
    this.#releaseHeld();
    await this.#media.restore(track, resubscribe);
    return false;
  }

  /**
   * The published media path went down (reconnecting, or the publisher connection lost its
   * network) or came back. The Node SDK queues pushed audio meanwhile. No-op here.
   */
  protected onMediaOutage(_down: boolean): void {}

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
    if (role === 'audience' && this.#media.publisher)
      throw PatchbayError.invalidOperation('unpublish() before becoming an audience');
    await this.#ops.run(async () => {
      await signal.request('setRole', { role });
      this.#role = role;
    });
  }

  /** Publishes one audio track (the SDKs mix several into one before calling this). */
  async publishTrack(track: MediaStreamTrackLike): Promise<void> {
    const signal = this.#requireConnected('publish()');
    if (this.clientRole === 'audience') {
      const hint = 'an audience cannot publish; call setClientRole("host") first';
      throw new PatchbayError(ErrorCode.AUDIENCE_CANNOT_PUBLISH, hint);
    }
    return this.#media.publish(signal, track);
  }

  async unpublishTrack(): Promise<void> {
    return this.#media.unpublish(this.#requireConnected('unpublish()'));
  }

  /** Subscribes to a user's audio and returns the SDK's wrapped remote track. */
  async subscribe(userOrUid: RemoteUser<T> | Uid): Promise<T> {
    const signal = this.#requireConnected('subscribe()');
    return this.#media.subscribe(signal, this.#users.require(userOrUid));
  }

  async unsubscribe(userOrUid: RemoteUser<T> | Uid): Promise<void> {
    const signal = this.#requireConnected('unsubscribe()');
    return this.#media.unsubscribe(signal, this.#users.require(userOrUid));
  }

  /**
   * Tells the others that the published audio is muted or not (it keeps flowing as silence).
   * The SDKs call it from their tracks' setMuted(). A no-op when not connected.
   */
  protected async announceMuted(muted: boolean): Promise<void> {
    if (this.#state !== 'CONNECTED' || !this.#signal) return;
    await this.#signal.request('mute', { muted });
  }

  #onNotification(message: ServerNotification): void {
    if (this.#users.apply(message)) return;
    switch (message.type) {
      case 'bye':
        // A server that shuts down (restart, drain) is worth reconnecting to; other byes end it.
        if (message.reason === 'ServerShutdown' && this.#state === 'CONNECTED') this.#onConnectionLost();
        else this.#teardown('SERVER_ERROR');
        return;
      case 'token-privilege-will-expire':
        this.emit('token-privilege-will-expire', message.privilege, message.expiresAt);
        return;
      case 'active-speaker':
        this.emit('active-speaker', message.uid);
        return;
      case 'token-privilege-did-expire':
        if (message.privilege === 'publishAudio') this.#media.stopPublishing();
        this.emit('token-privilege-did-expire', message.privilege);
        return;
      default:
        return;
    }
  }
}
