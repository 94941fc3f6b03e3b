import { randomBytes } from 'node:crypto';
import {
  type ChannelMode,
  ErrorCode as Codes,
  type LeaveReason,
  type Privilege,
  type Role,
  type ServerNotification,
} from '@patchbay/protocol';
import type { TokenClaims } from '@patchbay/token';
import { ServerError } from '../errors.js';
import type { Counters } from '../limits/Counters.js';
import type { Logger } from '../logger.js';
import type { Channel } from '../room/Channel.js';
import type { ChannelRegistry } from '../room/ChannelRegistry.js';
import type { Participant } from '../room/Participant.js';

/** What the session's token grants (null in testing mode). Times are unix seconds. */
export interface Grant {
  role: Role;
  joinExpiresAt: number;
  publishAudioExpiresAt: number | null;
}

export function grantOf(claims: TokenClaims): Grant {
  return {
    role: claims.role,
    joinExpiresAt: claims.joinExpiresAt,
    publishAudioExpiresAt: claims.publishAudioExpiresAt,
  };
}

/** The socket side of a membership: the signaling session currently attached to it. */
export interface MembershipHost {
  notify(message: ServerNotification): void;
  /** Server-initiated end: send `bye`, then close the socket. */
  close(reason: LeaveReason, text: string): void;
  /** Another connection resumed this membership: drop this socket without leaving. */
  handOver(): void;
}

export interface MembershipDeps {
  registry: ChannelRegistry;
  directory: MembershipDirectory;
  counters: Counters;
  log: Logger;
  tokenWarnSeconds: number;
  /** How long a membership whose socket dropped waits for a `resume` before it leaves. */
  resumeGraceMs: number;
}

/** The memberships that can be resumed, by their secret session id. */
export class MembershipDirectory {
  readonly #byId = new Map<string, Membership>();
  get(sessionId: string): Membership | undefined {
    return this.#byId.get(sessionId);
  }
  add(m: Membership): void {
    this.#byId.set(m.sessionId, m);
  }
  delete(m: Membership): void {
    if (this.#byId.get(m.sessionId) === m) this.#byId.delete(m.sessionId);
  }
  get size(): number {
    return this.#byId.size;
  }
  all(): Membership[] {
    return [...this.#byId.values()];
  }
}

/**
 * One participant's membership of one channel, independent of the WebSocket that carries its
 * signaling: when the socket drops, the participant and its media stay for `resumeGraceMs`, and a
 * new socket can take the membership over with `resume` (no republish, no resubscribe).
 * Holds the token grant and its expiry timers.
 */
export class Membership {
  readonly sessionId = randomBytes(24).toString('base64url');
  readonly participant: Participant;
  readonly channel: Channel;
  readonly mode: ChannelMode;
  readonly #deps: MembershipDeps;
  readonly #log: Logger;
  #grant: Grant | null;
  #host: MembershipHost | null = null;
  #expiryTimers: NodeJS.Timeout[] = [];
  #graceTimer: NodeJS.Timeout | null = null;
  #left = false;

  constructor(
    deps: MembershipDeps,
    participant: Participant,
    channel: Channel,
    mode: ChannelMode,
    grant: Grant | null,
  ) {
    this.#deps = deps;
    this.participant = participant;
    this.channel = channel;
    this.mode = mode;
    this.#grant = grant;
    this.#log = deps.log;
    deps.directory.add(this);
    this.#scheduleExpiry();
  }

  get grant(): Grant | null {
    return this.#grant;
  }
  get left(): boolean {
    return this.#left;
  }
  get attached(): boolean {
    return this.#host !== null;
  }

  /** A signaling session takes this membership (after join, or on resume from a new socket). */
  attach(host: MembershipHost): void {
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    const previous = this.#host;
    this.#host = host;
    if (previous && previous !== host) previous.handOver();
  }

  /** The socket dropped without `leave`: wait for a resume, then leave as ServerTimeOut. */
  detach(host: MembershipHost): void {
    if (this.#host !== host || this.#left) return;
    this.#host = null;
    const graceMs = this.#deps.resumeGraceMs;
    if (graceMs <= 0) {
      this.leave('ServerTimeOut');
      return;
    }
    this.#log.info({ uid: this.participant.uid, graceMs }, 'socket lost; waiting for resume');
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = null;
      if (!this.#host) this.leave('ServerTimeOut');
    }, graceMs);
    this.#graceTimer.unref();
  }

  notify(message: ServerNotification): void {
    this.#host?.notify(message);
  }

  leave(reason: LeaveReason): void {
    if (this.#left) return;
    this.#left = true;
    this.#host = null;
    this.#clearExpiry();
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    this.#deps.directory.delete(this);
    this.channel.remove(this.participant, reason);
    this.#deps.registry.release(this.channel);
    this.#log.info({ channel: this.channel.name, uid: this.participant.uid, reason }, 'left');
  }

  checkMayPublish(): void {
    if (this.participant.role === 'audience') {
      throw new ServerError(
        Codes.AUDIENCE_CANNOT_PUBLISH,
        'an audience cannot publish; switch to the host role first',
      );
    }
    const grant = this.#grant;
    if (!grant) return;
    if (grant.publishAudioExpiresAt === null)
      throw new ServerError(Codes.NO_PRIVILEGE, 'the token grants no publish-audio privilege');
    if (grant.publishAudioExpiresAt <= Date.now() / 1000)
      throw new ServerError(Codes.TOKEN_EXPIRED, 'the publish-audio privilege of the token has expired');
  }

  /** A renewed token's claims replace the grant and its expiry timers. */
  renew(claims: TokenClaims): void {
    this.#grant = grantOf(claims);
    this.#scheduleExpiry();
    this.#log.info({ uid: this.participant.uid }, 'token renewed');
  }

  setRole(role: Role): { changed: boolean } {
    const participant = this.participant;
    if (this.mode !== 'live') throw ServerError.invalidOperation('roles apply to live mode only');
    if (participant.role === role) return { changed: false };
    if (role === 'host' && this.#grant?.role === 'audience') {
      throw new ServerError(
        Codes.NO_PRIVILEGE,
        'the token is for the audience role; it cannot become a host',
      );
    }
    if (role === 'audience' && participant.producer)
      throw ServerError.invalidOperation('unpublish before becoming an audience');
    participant.role = role;
    return { changed: true };
  }

  /** The participant's media broke by itself: a failed publisher is unpublished and announced. */
  onMediaClosed(kind: 'publish' | 'subscribe', reason: string): void {
    this.#log.info({ kind, reason }, 'media connection closed');
    if (kind === 'publish' && !this.#left && this.participant.unpublish()) this.#announceUnpublished();
  }

  #announceUnpublished(): void {
    const participant = this.participant;
    this.channel.broadcast(
      { type: 'user-unpublished', uid: participant.uid, mediaType: 'audio' },
      participant,
    );
  }

  /** Timers for `token-privilege-will-expire` / `-did-expire` of each privilege the grant has. */
  #scheduleExpiry(): void {
    this.#clearExpiry();
    const grant = this.#grant;
    if (!grant) return;
    const warnMs = this.#deps.tokenWarnSeconds * 1000;
    const entries: Array<[Privilege, number | null]> = [
      ['join', grant.joinExpiresAt],
      ['publishAudio', grant.publishAudioExpiresAt],
    ];
    for (const [privilege, at] of entries) {
      if (at === null) continue;
      const left = at * 1000 - Date.now();
      const timers = [
        setTimeout(
          () => this.notify({ type: 'token-privilege-will-expire', privilege, expiresAt: at }),
          Math.max(0, left - warnMs),
        ),
        setTimeout(() => this.#onPrivilegeExpired(privilege), Math.max(0, left)),
      ];
      for (const t of timers) t.unref();
      this.#expiryTimers.push(...timers);
    }
  }

  #clearExpiry(): void {
    for (const t of this.#expiryTimers) clearTimeout(t);
    this.#expiryTimers = [];
  }

  #onPrivilegeExpired(privilege: Privilege): void {
    if (this.#left) return;
    this.#log.info({ uid: this.participant.uid, privilege }, 'token privilege expired');
    this.#deps.counters.count(`expired:${privilege}`);
    this.notify({ type: 'token-privilege-did-expire', privilege });
    if (privilege === 'join') {
      if (this.#host) this.#host.close('ServerTimeOut', 'the token expired');
      else this.leave('ServerTimeOut');
    } else if (this.participant.unpublish()) {
      this.#announceUnpublished();
    }
  }
}
