import { ErrorCode } from '@patchbay/protocol';
import { negotiatePublisher, negotiateSubscription, type SerialQueue } from './negotiation.js';
import { PatchbayError } from './PatchbayError.js';
import type { MediaStreamTrackLike, PeerConnectionLike, Platform } from './platform.js';
import type { RemoteUser } from './RemoteUser.js';
import type { RemoteUsers } from './RemoteUsers.js';
import type { SignalClient } from './SignalClient.js';
import type { ChannelSessionEvents, ChannelSessionOptions } from './sessionTypes.js';

/** A publisher connection not connected this long after its answer is replaced. */
const PUBLISH_CONNECT_TIMEOUT_MS = 5000;

/** What the media side needs from its session. */
export interface SessionMediaHost<T> {
  readonly platform: Platform;
  readonly options: Pick<ChannelSessionOptions<T>, 'wrapRemoteTrack' | 'rebindRemoteTrack'>;
  /** The session's queue: media operations run one at a time with its other requests. */
  readonly ops: SerialQueue;
  readonly users: RemoteUsers<T>;
  /** The signaling client while CONNECTED; throws INVALID_OPERATION otherwise. */
  signal(what: string): SignalClient;
  readonly connected: boolean;
  readonly reconnecting: boolean;
  emit<K extends keyof ChannelSessionEvents<T>>(event: K, ...args: ChannelSessionEvents<T>[K]): void;
  /** The published media path went down or came back. */
  onOutage(down: boolean): void;
}

/**
 * A session's media connections: the publisher connection (client offers one send-only m-line)
 * and the subscriber connection (server offers, one m-line per subscribed user), and their
 * repair: a connection that fails (or never connects) is replaced and the SDK's remote track
 * objects are rebound to the new receivers.
 */
export class SessionMedia<T> {
  readonly #host: SessionMediaHost<T>;
  #publisher: PeerConnectionLike | null = null;
  #publishedTrack: MediaStreamTrackLike | null = null;
  #subscriber: PeerConnectionLike | null = null;
  #outage = false;

  constructor(host: SessionMediaHost<T>) {
    this.#host = host;
  }

  get publisher(): PeerConnectionLike | null {
    return this.#publisher;
  }
  get subscriber(): PeerConnectionLike | null {
    return this.#subscriber;
  }
  get publishedTrack(): MediaStreamTrackLike | null {
    return this.#publishedTrack;
  }

  setOutage(down: boolean): void {
    if (this.#outage === down) return;
    this.#outage = down;
    this.#host.onOutage(down);
  }

  /** Publishes `track`, or swaps it in when already publishing. Runs on the session's queue. */
  publish(signal: SignalClient, track: MediaStreamTrackLike): Promise<void> {
    return this.#host.ops.run(async () => {
      if (this.#publisher) {
        await this.#publisher.getTransceivers()[0]?.sender.replaceTrack(track);
        this.#publishedTrack = track;
        return;
      }
      await this.#publishOn(signal, track);
    });
  }

  unpublish(signal: SignalClient): Promise<void> {
    return this.#host.ops.run(async () => {
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
  stopPublishing(): void {
    const pc = this.#publisher;
    this.#publisher = null;
    this.#publishedTrack = null;
    pc?.close();
  }

  /** Subscribes to a user's audio and returns the SDK's wrapped remote track. */
  subscribe(signal: SignalClient, user: RemoteUser<T>): Promise<T> {
    if (!user.hasAudio) {
      const message = `user ${String(user.uid)} publishes no audio`;
      return Promise.reject(new PatchbayError(ErrorCode.REMOTE_USER_IS_NOT_PUBLISHED, message));
    }
    return this.#host.ops.run(async () => {
      if (user.audioTrack !== undefined) return user.audioTrack;
      return this.#subscribeOn(signal, user);
    });
  }

  unsubscribe(signal: SignalClient, user: RemoteUser<T>): Promise<void> {
    return this.#host.ops.run(async () => {
      if (user.audioTrack === undefined) return;
      this.#host.users.releaseTrack(user);
      await signal.request('unsubscribe', { uid: user.uid });
    });
  }

  /** Closes both connections (leave, or a new server-side session); returns the track that was published. */
  closeAll(): MediaStreamTrackLike | null {
    const track = this.#publishedTrack;
    this.#publisher?.close();
    this.#publisher = null;
    this.#publishedTrack = null;
    this.#subscriber?.close();
    this.#subscriber = null;
    this.#host.users.clearMids();
    return track;
  }

  /** After a rejoin: publish `track` again and restore the given subscriptions. */
  async restore(track: MediaStreamTrackLike | null, resubscribe: RemoteUser<T>[]): Promise<void> {
    if (track) await this.#host.ops.run(() => this.#publishOn(this.#host.signal('republish'), track));
    else this.setOutage(false);
    for (const user of resubscribe) await this.#resubscribe(user);
  }

  /** After a resume: connections that died meanwhile are replaced; the outage ends when media flows. */
  afterResume(): void {
    const publisher = this.#publisher;
    if (publisher && isDead(publisher)) void this.#restorePublisher(false);
    else if (!publisher || publisher.connectionState === 'connected') this.setOutage(false);
    if (this.#subscriber && isDead(this.#subscriber)) void this.#restoreSubscriber();
  }

  async #publishOn(signal: SignalClient, track: MediaStreamTrackLike): Promise<void> {
    const pc = this.#host.platform.createPeerConnection();
    this.#publisher = pc;
    pc.onconnectionstatechange = () => {
      if (pc !== this.#publisher) return;
      const state = pc.connectionState;
      if (state === 'connected') this.setOutage(this.#host.reconnecting);
      else if (state === 'disconnected' || state === 'failed') this.setOutage(true);
      if (state === 'failed') void this.#restorePublisher(false);
    };
    try {
      await negotiatePublisher(pc, signal, track);
      this.#publishedTrack = track;
    } catch (error) {
      pc.close();
      if (this.#publisher === pc) this.#publisher = null;
      throw error;
    }
    if (pc.connectionState === 'connected') this.setOutage(false);
    // A connection that never comes up (lost handshake, a server that vanished) is replaced.
    const timer = setTimeout(() => {
      if (pc === this.#publisher && pc.connectionState !== 'connected') void this.#restorePublisher(true);
    }, PUBLISH_CONNECT_TIMEOUT_MS);
    (timer as { unref?: () => void }).unref?.();
  }

  /**
   * A publisher connection that failed by itself (or, `stuck`, never connected) is replaced on a
   * new connection; the server unpublishes the old one.
   */
  async #restorePublisher(stuck: boolean): Promise<void> {
    await this.#host.ops.run(async () => {
      const track = this.#publishedTrack;
      const old = this.#publisher;
      if (!track || !old || !this.#host.connected) return;
      if (stuck ? old.connectionState === 'connected' : !isDead(old)) return;
      this.#publisher = null;
      old.close();
      const signal = this.#host.signal('republish');
      await signal.request('unpublish', {});
      await this.#publishOn(signal, track);
    });
  }

  /** Subscribes on the server and wraps (or, when restoring, rebinds) the user's track. */
  async #subscribeOn(signal: SignalClient, user: RemoteUser<T>, existing?: T): Promise<T> {
    const { mid, transceiver } = await negotiateSubscription(
      signal,
      user.uid,
      () => {
        this.#subscriber ??= this.#newSubscriber();
        return this.#subscriber;
      },
      this.#subscriber,
    );
    this.#host.users.setMid(user, mid);
    const options = this.#host.options;
    if (existing !== undefined) {
      options.rebindRemoteTrack?.(existing, transceiver.receiver.track, mid);
      return existing;
    }
    const track = options.wrapRemoteTrack(user, transceiver.receiver.track, mid);
    user.audioTrack = track;
    return track;
  }

  #newSubscriber(): PeerConnectionLike {
    const pc = this.#host.platform.createPeerConnection();
    pc.onconnectionstatechange = () => {
      if (pc === this.#subscriber && pc.connectionState === 'failed') void this.#restoreSubscriber();
    };
    return pc;
  }

  /** A subscriber connection that failed by itself is replaced, every subscription rebound. */
  async #restoreSubscriber(): Promise<void> {
    const restored = await this.#host.ops.run(async () => {
      const old = this.#subscriber;
      if (!old || !isDead(old) || !this.#host.connected) return false;
      this.#subscriber = null;
      old.close();
      this.#host.users.clearMids();
      await this.#host.signal('resubscribe').request('resetSubscriber', {});
      return true;
    });
    if (!restored) return;
    for (const user of this.#host.users.values()) {
      if (user.hasAudio && user.audioTrack !== undefined) await this.#resubscribe(user);
    }
  }

  async #resubscribe(user: RemoteUser<T>): Promise<void> {
    const track = user.audioTrack;
    if (track !== undefined && this.#host.options.rebindRemoteTrack) {
      try {
        await this.#host.ops.run(() => this.#subscribeOn(this.#host.signal('resubscribe'), user, track));
        return;
      } catch {
        // fall back to announcing the user again, so the app subscribes anew
      }
    }
    if (user.audioTrack === undefined || !user.hasAudio) return;
    this.#host.users.releaseTrack(user);
    this.#host.emit('user-unpublished', user, 'audio');
    this.#host.emit('user-published', user, 'audio');
  }
}

export function isDead(pc: PeerConnectionLike): boolean {
  return pc.connectionState === 'failed' || pc.connectionState === 'closed';
}
