import { type ConnectionState, PatchbayError, TypedEmitter } from '@patchbay/client';
import type { Uid } from '@patchbay/protocol';
import { Client as NgClient, type ClientConfig as NgClientConfig, type WebRemoteUser } from '../Client.js';
import { Stream } from './Stream.js';

/** The v3 createClient() configuration (plus Patchbay's `server`). */
export interface ClientConfigV3 {
  mode?: 'live' | 'rtc';
  codec?: 'vp8' | 'vp9' | 'h264';
  /** WebSocket URL of the Patchbay server. Default: setServer()'s, else the page's origin. */
  server?: string;
  [key: string]: unknown;
}

/** v3 client events: each listener gets one event object. */
export type ClientEventsV3 = {
  'stream-added': [{ type: 'stream-added'; stream: Stream }];
  'stream-removed': [{ type: 'stream-removed'; stream: Stream; uid: Uid }];
  'stream-subscribed': [{ type: 'stream-subscribed'; stream: Stream }];
  'stream-published': [{ type: 'stream-published'; stream: Stream }];
  'stream-unpublished': [{ type: 'stream-unpublished'; stream: Stream }];
  'peer-online': [{ type: 'peer-online'; uid: Uid }];
  'peer-leave': [{ type: 'peer-leave'; uid: Uid; reason: string; stream?: Stream }];
  'mute-audio': [{ type: 'mute-audio'; uid: Uid }];
  'unmute-audio': [{ type: 'unmute-audio'; uid: Uid }];
  'volume-indicator': [{ type: 'volume-indicator'; attr: { uid: Uid; level: number }[] }];
  'connection-state-change': [
    { type: 'connection-state-change'; prevState: ConnectionState; curState: ConnectionState },
  ];
  'client-role-changed': [{ type: 'client-role-changed'; role: 'host' | 'audience' }];
  onTokenPrivilegeWillExpire: [];
  onTokenPrivilegeDidExpire: [];
  error: [{ type: 'error'; reason: string }];
};

type Callback<A extends unknown[] = []> = ((...args: A) => void) | undefined | null;

function call<A extends unknown[]>(cb: Callback<A>, ...args: A): void {
  if (typeof cb !== 'function') return;
  try {
    cb(...args);
  } catch (error) {
    console.error('[patchbay] v3 callback threw', error);
  }
}

/** The v3 failure string for a PatchbayError (v3 callbacks get strings such as "UID_CONFLICT"). */
function reason(error: unknown, fallback: string): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'WS_ERR' || code === 'NETWORK_TIMEOUT') return 'SOCKET_ERROR';
  return typeof code === 'string' ? code : fallback;
}

/**
 * The legacy Web SDK v3 client (callbacks, one event object per event) as a thin layer over the
 * NG client: same server, same channels, so v3 and NG pages in one channel hear each other.
 */
export class ClientV3 extends TypedEmitter<ClientEventsV3> {
  readonly #ng: NgClient;
  #appId: string | null = null;
  readonly #remote = new Map<string, Stream>();
  #published: Stream | null = null;

  /** @internal use AgoraRTC.createClient() */
  constructor(config: ClientConfigV3 = { mode: 'rtc', codec: 'vp8' }) {
    super();
    if (config === null || typeof config !== 'object') {
      throw PatchbayError.invalidParams('createClient() takes { mode, codec }');
    }
    const { mode = 'rtc', codec = 'vp8', server } = config;
    const ng: NgClientConfig = { mode, codec, role: 'host' };
    if (server !== undefined) ng.server = server;
    this.#ng = new NgClient(ng);
    this.#wire();
  }

  /** The NG client underneath (for pages that mix the two APIs). */
  get ngClient(): NgClient {
    return this.#ng;
  }

  #wire(): void {
    const ng = this.#ng;
    ng.on('user-joined', (user) => this.emit('peer-online', { type: 'peer-online', uid: user.uid }));
    ng.on('user-published', (user) => {
      const stream = new Stream({ audio: true, video: false }, false, user.uid);
      this.#remote.set(key(user.uid), stream);
      this.emit('stream-added', { type: 'stream-added', stream });
    });
    ng.on('user-unpublished', (user) => this.#removeStream(user.uid));
    ng.on('user-info-updated', (uid, msg) => {
      if (msg === 'mute-audio') this.emit('mute-audio', { type: 'mute-audio', uid });
      else this.emit('unmute-audio', { type: 'unmute-audio', uid });
    });
    ng.on('user-left', (user, why) => {
      this.#removeStream(user.uid);
      this.emit('peer-leave', { type: 'peer-leave', uid: user.uid, reason: why });
    });
    ng.on('connection-state-change', (cur, prev, why) => {
      this.emit('connection-state-change', {
        type: 'connection-state-change',
        prevState: prev,
        curState: cur,
      });
      if (cur === 'DISCONNECTED') {
        for (const uid of [...this.#remote.keys()]) this.#remote.get(uid)?._setRemote(null);
        this.#remote.clear();
        this.#published = null;
        if (why === 'NETWORK_ERROR' || why === 'SERVER_ERROR')
          this.emit('error', { type: 'error', reason: 'SOCKET_DISCONNECTED' });
      }
    });
    ng.on('volume-indicator', (result) => {
      const attr = [...result].sort((a, b) => b.level - a.level).map(({ uid, level }) => ({ uid, level }));
      this.emit('volume-indicator', { type: 'volume-indicator', attr });
    });
    ng.on('token-privilege-will-expire', () => this.emit('onTokenPrivilegeWillExpire'));
    ng.on('token-privilege-did-expire', () => this.emit('onTokenPrivilegeDidExpire'));
  }

  #removeStream(uid: Uid): void {
    const stream = this.#remote.get(key(uid));
    if (!stream) return;
    this.#remote.delete(key(uid));
    stream._setRemote(null);
    stream.stop();
    this.emit('stream-removed', { type: 'stream-removed', stream, uid });
  }

  /** Stores the app id; ok() on the next tick, or err(reason) for a bad one. */
  init(appId: string, onSuccess?: Callback, onFailure?: Callback<[string]>): void {
    if (typeof appId !== 'string' || appId.length === 0) {
      queueMicrotask(() => call(onFailure, 'INVALID_PARAMS'));
      return;
    }
    this.#appId = appId;
    queueMicrotask(() => call(onSuccess));
  }

  /**
   * join(token, channel, uid, optionalInfo?, onSuccess?(uid), onFailure?(reason)). As in the vendor
   * bundle, a function in the 4th slot is onSuccess (every Agora sample calls it that way).
   * uid null or 0: the server assigns a number.
   */
  join(
    token: string | null | undefined,
    channel: string,
    uid: Uid | null | undefined,
    optionalInfo?: string | Callback<[Uid]>,
    onSuccess?: Callback<[Uid]> | Callback<[string]>,
    onFailure?: Callback<[string]>,
  ): void {
    let ok = onSuccess as Callback<[Uid]>;
    let err = onFailure;
    if (typeof optionalInfo === 'function') {
      err = onSuccess as Callback<[string]>;
      ok = optionalInfo;
    }
    if (this.#appId === null) {
      queueMicrotask(() => call(err, 'INVALID_OPERATION'));
      return;
    }
    if (this.#ng.connectionState !== 'DISCONNECTED') {
      queueMicrotask(() => call(err, 'ERR_REPEAT_JOIN'));
      return;
    }
    this.#ng.join(this.#appId, channel, token ?? null, uid === 0 ? null : (uid ?? null)).then(
      (got) => call(ok, got),
      (error: unknown) => call(err, reason(error, 'JOIN_FAILED')),
    );
  }

  leave(onSuccess?: Callback, onFailure?: Callback<[string]>): void {
    const stream = this.#published;
    this.#ng.leave().then(
      () => {
        if (stream) stream.stop();
        call(onSuccess);
      },
      (error: unknown) => call(onFailure, reason(error, 'LEAVE_FAILED')),
    );
  }

  /** Publishes an initialized local stream: "stream-published" here, "stream-added" for the others. */
  publish(stream: Stream, onFailure?: Callback<[string]>): void {
    const track = stream instanceof Stream && stream.local ? stream._localTrack : null;
    if (!track) {
      queueMicrotask(() => call(onFailure, 'INVALID_LOCAL_STREAM'));
      return;
    }
    if (this.#published === stream) {
      queueMicrotask(() => call(onFailure, 'STREAM_ALREADY_PUBLISHED'));
      return;
    }
    const previous = this.#published;
    const swap = previous?._localTrack ? this.#ng.unpublish(previous._localTrack) : Promise.resolve();
    swap
      .then(() => this.#ng.publish(track))
      .then(
        () => {
          this.#published = stream;
          const uid = this.#ng.uid;
          if (uid !== null) stream._setId(uid);
          this.emit('stream-published', { type: 'stream-published', stream });
        },
        (error: unknown) => {
          const code = reason(error, 'PUBLISH_STREAM_FAILED');
          call(onFailure, code === 'INVALID_OPERATION' ? code : 'PUBLISH_STREAM_FAILED');
        },
      );
  }

  unpublish(stream: Stream, onFailure?: Callback<[string]>): void {
    if (!(stream instanceof Stream) || this.#published !== stream || !stream._localTrack) {
      queueMicrotask(() => call(onFailure, 'STREAM_NOT_YET_PUBLISHED'));
      return;
    }
    this.#ng.unpublish(stream._localTrack).then(
      () => {
        this.#published = null;
        this.emit('stream-unpublished', { type: 'stream-unpublished', stream });
      },
      (error: unknown) => call(onFailure, reason(error, 'UNPUBLISH_STREAM_FAILED')),
    );
  }

  /**
   * subscribe(stream, { audio?, video? }?, onFailure?). A function in the 2nd slot is onFailure,
   * as in the vendor bundle. "stream-subscribed" follows; then call stream.play().
   */
  subscribe(
    stream: Stream,
    options?: { audio?: boolean; video?: boolean } | Callback<[string]>,
    onFailure?: Callback<[string]>,
  ): void {
    let err = onFailure;
    let opts: { audio?: boolean; video?: boolean } = {};
    if (typeof options === 'function') err = options;
    else if (options && typeof options === 'object') opts = options;
    if (!(stream instanceof Stream) || stream.local) {
      queueMicrotask(() => call(err, 'INVALID_REMOTE_STREAM'));
      return;
    }
    if (opts.audio === false) {
      this.unsubscribe(stream, err);
      return;
    }
    const uid = stream.getId();
    const user = this.#ng.remoteUsers.find((u: WebRemoteUser) => key(u.uid) === key(uid));
    if (!user || this.#remote.get(key(uid)) !== stream) {
      queueMicrotask(() => call(err, 'INVALID_REMOTE_STREAM'));
      return;
    }
    this.#ng.subscribe(user, 'audio').then(
      (track) => {
        if (this.#remote.get(key(uid)) !== stream) return;
        stream._setRemote(track);
        this.emit('stream-subscribed', { type: 'stream-subscribed', stream });
      },
      (error: unknown) => call(err, reason(error, 'SUBSCRIBE_STREAM_FAILED')),
    );
  }

  unsubscribe(stream: Stream, onFailure?: Callback<[string]>): void {
    if (!(stream instanceof Stream) || stream.local) {
      queueMicrotask(() => call(onFailure, 'INVALID_REMOTE_STREAM'));
      return;
    }
    stream._setRemote(null);
    this.#ng
      .unsubscribe(stream.getId())
      .catch((error: unknown) => call(onFailure, reason(error, 'UNSUBSCRIBE_STREAM_FAILED')));
  }

  /** "host" or "audience" (live mode). */
  setClientRole(role: 'host' | 'audience', callback?: Callback<[string | null]>): void {
    this.#ng.setClientRole(role).then(
      () => {
        this.emit('client-role-changed', { type: 'client-role-changed', role });
        call(callback, null);
      },
      (error: unknown) => call(callback, reason(error, 'SET_CLIENT_ROLE_FAILED')),
    );
  }

  renewToken(token: string): void {
    this.#ng
      .renewToken(token)
      .catch((error: unknown) =>
        this.emit('error', { type: 'error', reason: reason(error, 'RENEW_TOKEN_FAILED') }),
      );
  }

  /** "volume-indicator" every 2 s: { attr: [{ uid, level 0..100 }] }, loudest first. */
  enableAudioVolumeIndicator(_interval?: number, _smooth?: number): void {
    this.#ng.enableAudioVolumeIndicator();
  }

  getConnectionState(): ConnectionState {
    return this.#ng.connectionState;
  }

  /** Accepted for compatibility; Patchbay does not use Agora's proxies or areas. */
  startProxyServer(_type?: number): void {}
  stopProxyServer(): void {}
  setProxyServer(_server?: unknown): void {}
  setTurnServer(_server?: unknown): void {}
  setLowStreamParameter(_options?: unknown): void {}
  enableDualStream(onSuccess?: Callback, _onFailure?: Callback<[string]>): void {
    queueMicrotask(() => call(onSuccess));
  }
}

function key(uid: Uid): string {
  return `${typeof uid}:${String(uid)}`;
}
