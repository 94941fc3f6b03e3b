import { ErrorCode, type ServerNotification, type Uid, type UserInfo } from '@patchbay/protocol';
import { PatchbayError } from './PatchbayError.js';
import type { ChannelSessionEvents } from './ChannelSession.js';
import { type RemoteUser, userKey } from './RemoteUser.js';

type Emit<T> = <K extends keyof ChannelSessionEvents<T>>(
  event: K,
  ...args: ChannelSessionEvents<T>[K]
) => void;

/**
 * The other users of the channel as this client knows them: who is present, who publishes, which
 * subscriber m-line carries whose audio. Applies the server's user notifications and, after a
 * reconnection, a fresh user list (announcing only what changed), emitting the SDK events.
 */
export class RemoteUsers<T> {
  readonly #users = new Map<string, RemoteUser<T>>();
  readonly #mids = new Map<string, string>();
  readonly #release: (track: T) => void;
  readonly #emit: Emit<T>;

  constructor(release: (track: T) => void, emit: Emit<T>) {
    this.#release = release;
    this.#emit = emit;
  }

  get(uid: Uid): RemoteUser<T> | undefined {
    return this.#users.get(userKey(uid));
  }

  /** The user (or the user with this uid) as this client knows it; INVALID_REMOTE_USER if not in the channel. */
  require(userOrUid: RemoteUser<T> | Uid): RemoteUser<T> {
    const uid = typeof userOrUid === 'object' && userOrUid !== null ? userOrUid.uid : userOrUid;
    const user = this.get(uid as Uid);
    if (!user)
      throw new PatchbayError(ErrorCode.INVALID_REMOTE_USER, `user ${String(uid)} is not in the channel`);
    return user;
  }

  values(): RemoteUser<T>[] {
    return [...this.#users.values()];
  }

  uidForMid(mid: string): Uid | undefined {
    for (const [key, m] of this.#mids) if (m === mid) return this.#users.get(key)?.uid;
    return undefined;
  }

  setMid(user: RemoteUser<T>, mid: string): void {
    this.#mids.set(userKey(user.uid), mid);
  }

  /** Forgets which m-lines carry whom (the subscriber connection is being replaced); tracks stay. */
  clearMids(): void {
    this.#mids.clear();
  }

  /** The user's subscription ends: the SDK's wrapped track is released. */
  releaseTrack(user: RemoteUser<T>): void {
    this.#mids.delete(userKey(user.uid));
    const track = user.audioTrack;
    if (track === undefined) return;
    user.audioTrack = undefined;
    this.#release(track);
  }

  /** Forgets everyone (leave), releasing their tracks, without events. */
  clear(): void {
    for (const user of this.#users.values()) this.releaseTrack(user);
    this.#users.clear();
    this.#mids.clear();
  }

  /** The users present at join: announced like newcomers (with their tracks and mute state). */
  announceInitial(list: readonly UserInfo[]): void {
    for (const info of list) this.#add(info.uid, info.hasAudio);
    for (const info of list) this.#announce(info);
  }

  /**
   * After a reconnection: the server's current list replaces what we knew. Users gone are
   * announced as left (reason ServerTimeOut), newcomers as joined, publishing changes as
   * (un)published. Returns the users whose subscription should be restored.
   */
  reconcile(list: readonly UserInfo[]): RemoteUser<T>[] {
    const present = new Map(list.map((info) => [userKey(info.uid), info]));
    for (const [key, user] of this.#users) {
      if (present.has(key)) continue;
      this.#users.delete(key);
      this.releaseTrack(user);
      this.#emit('user-left', user, 'ServerTimeOut');
    }
    for (const [key, info] of present) {
      const user = this.#users.get(key);
      if (!user) {
        this.#add(info.uid, info.hasAudio);
        this.#announce(info);
        continue;
      }
      if (user.hasAudio && !info.hasAudio) {
        user.hasAudio = false;
        this.releaseTrack(user);
        this.#emit('user-unpublished', user, 'audio');
      } else if (!user.hasAudio && info.hasAudio) {
        user.hasAudio = true;
        this.#emit('user-published', user, 'audio');
      }
    }
    return this.values().filter((u) => u.hasAudio && u.audioTrack !== undefined);
  }

  /** Applies a user notification; returns false for other notifications. */
  apply(message: ServerNotification): boolean {
    switch (message.type) {
      case 'user-joined': {
        if (this.#users.has(userKey(message.user.uid))) return true;
        const user = this.#add(message.user.uid, message.user.hasAudio);
        this.#emit('user-joined', user);
        if (user.hasAudio) this.#emit('user-published', user, 'audio');
        return true;
      }
      case 'user-left': {
        const user = this.#users.get(userKey(message.uid));
        if (!user) return true;
        this.#users.delete(userKey(message.uid));
        this.releaseTrack(user);
        this.#emit('user-left', user, message.reason);
        return true;
      }
      case 'user-published': {
        const user = this.#users.get(userKey(message.uid));
        if (!user || user.hasAudio) return true;
        user.hasAudio = true;
        this.#emit('user-published', user, 'audio');
        return true;
      }
      case 'user-unpublished': {
        const user = this.#users.get(userKey(message.uid));
        if (!user || !user.hasAudio) return true;
        user.hasAudio = false;
        this.releaseTrack(user);
        this.#emit('user-unpublished', user, 'audio');
        return true;
      }
      case 'user-info-updated':
        if (this.#users.has(userKey(message.uid))) this.#emit('user-info-updated', message.uid, message.msg);
        return true;
      default:
        return false;
    }
  }

  #add(uid: Uid, hasAudio: boolean): RemoteUser<T> {
    const user: RemoteUser<T> = { uid, hasAudio, hasVideo: false };
    this.#users.set(userKey(uid), user);
    return user;
  }

  #announce(info: UserInfo): void {
    const user = this.#users.get(userKey(info.uid));
    if (!user) return;
    this.#emit('user-joined', user);
    if (user.hasAudio) this.#emit('user-published', user, 'audio');
    if (info.muted) this.#emit('user-info-updated', user.uid, 'mute-audio');
  }
}
