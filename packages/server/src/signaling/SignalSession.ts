import {
  type ChannelMode,
  type ClientMessage,
  decodeClientMessage,
  type ErrorCode,
  ErrorCode as Codes,
  encodeMessage,
  type LeaveReason,
  type Privilege,
  type Role,
  type ServerMessage,
  type ServerNotification,
} from '@patchbay/protocol';
import { type TokenClaims, TokenError, verifyToken } from '@patchbay/token';
import type { WebSocket } from 'ws';
import { ServerError } from '../errors.js';
import type { Counters } from '../limits/Counters.js';
import { type KeyedRateLimiter, TokenBucket } from '../limits/RateLimiter.js';
import type { ClusterNode } from '../cluster/ClusterNode.js';
import type { Logger } from '../logger.js';
import type { MediaEngine } from '../media/MediaEngine.js';
import type { Channel } from '../room/Channel.js';
import type { ForwardingTotals } from '../metrics/ForwardingTotals.js';
import type { ChannelRegistry } from '../room/ChannelRegistry.js';
import { Participant } from '../room/Participant.js';

/** The limits a session enforces; see ServerOptions for what each means and its default. */
export interface SessionLimits {
  maxMessageBytes: number;
  maxMessagesPerSecond: number;
  messageBurst: number;
  maxParticipantsPerChannel: number;
  maxTracksPerParticipant: number;
  joinTimeoutMs: number;
  tokenWarnSeconds: number;
}

export interface SessionContext {
  registry: ChannelRegistry;
  /** Server-wide forwarding counters every Producer increments (for /metrics). */
  totals?: ForwardingTotals;
  engine: MediaEngine;
  limits: SessionLimits;
  /** app id -> certificate; empty in testing mode (no token checks). */
  apps: ReadonlyMap<string, string>;
  /** Joins per second per IP address, shared by every session. */
  joinLimiter: KeyedRateLimiter;
  counters: Counters;
  log: Logger;
  /** Cluster mode: decides which node a new channel lives on (REDIRECT when not this one). */
  cluster?: Pick<ClusterNode, 'place'>;
}

/** Codes that mean a limit was hit: logged at warn (once per session), counted. */
const LIMIT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  Codes.MESSAGE_TOO_LARGE,
  Codes.RATE_LIMITED,
  Codes.JOIN_RATE_LIMITED,
  Codes.CHANNEL_FULL,
  Codes.TOO_MANY_TRACKS,
  Codes.JOIN_TIMEOUT,
]);

/** What the session's token grants (null in testing mode). Times are unix seconds. */
interface Grant {
  role: Role;
  joinExpiresAt: number;
  publishAudioExpiresAt: number | null;
}

let nextSessionId = 1;

/**
 * One client WebSocket: decodes its frames, runs its requests one at a time, and replies.
 * A reply is always sent before the notifications its request causes. Nothing a client sends
 * can throw out of here: bad frames get an `error` reply and the session keeps serving.
 * A session only ever acts on its own participant, in the one channel its join named.
 */
export class SignalSession {
  readonly id = nextSessionId++;
  readonly #ws: WebSocket;
  readonly #ctx: SessionContext;
  readonly #log: Logger;
  readonly #remote: string;
  readonly #bucket: TokenBucket;
  readonly #warned = new Set<ErrorCode>();
  #queue: Promise<void> = Promise.resolve();
  #participant: Participant | null = null;
  #channel: Channel | null = null;
  #mode: ChannelMode = 'rtc';
  #grant: Grant | null = null;
  #expiryTimers: NodeJS.Timeout[] = [];
  #joinTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(ws: WebSocket, ctx: SessionContext, remote: string) {
    this.#ws = ws;
    this.#ctx = ctx;
    this.#remote = remote;
    this.#log = ctx.log.child({ session: this.id });
    this.#bucket = new TokenBucket(ctx.limits.maxMessagesPerSecond, ctx.limits.messageBurst);
    this.#log.debug({ remote }, 'connected');
    ws.on('message', (data, isBinary) => this.#onFrame(data as Buffer | Buffer[] | ArrayBuffer, isBinary));
    ws.on('close', () => this.#onSocketClosed());
    ws.on('error', (err) => this.#log.debug({ err }, 'socket error'));
    this.#startJoinDeadline();
  }

  get participant(): Participant | null {
    return this.#participant;
  }

  #startJoinDeadline(): void {
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = setTimeout(() => {
      this.#joinTimer = null;
      if (this.#participant || this.#closed) return;
      const ms = this.#ctx.limits.joinTimeoutMs;
      this.#reject(null, Codes.JOIN_TIMEOUT, `no join within ${ms} ms; closing the connection`);
      this.#closed = true;
      this.#ws.close(1008, 'join timeout');
    }, this.#ctx.limits.joinTimeoutMs);
    this.#joinTimer.unref();
  }

  #onFrame(data: Buffer | Buffer[] | ArrayBuffer, _isBinary: boolean): void {
    if (this.#closed) return;
    const frame = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : data;
    const decoded = decodeClientMessage(frame, this.#ctx.limits.maxMessageBytes);
    if (!this.#bucket.take()) {
      const id = decoded.ok ? decoded.message.id : decoded.id;
      this.#reject(
        id,
        Codes.RATE_LIMITED,
        `more than ${this.#ctx.limits.maxMessagesPerSecond} messages per second; message dropped`,
      );
      return;
    }
    if (!decoded.ok) {
      this.#reject(decoded.id, decoded.code, decoded.message);
      return;
    }
    const message = decoded.message;
    this.#queue = this.#queue.then(() => this.#run(message));
  }

  async #run(message: ClientMessage): Promise<void> {
    if (this.#closed) return;
    try {
      const data = await this.#handle(message);
      this.#send({ type: 'result', id: message.id, data });
      this.#after(message, data);
    } catch (error) {
      if (error instanceof ServerError) {
        this.#reject(message.id, error.code, error.message, error.redirect);
      } else {
        this.#log.error({ err: error, type: message.type }, 'request failed');
        this.#reject(message.id, Codes.INTERNAL_ERROR, `the server could not complete "${message.type}"`);
      }
    }
  }

  /** Verifies a token against the app's certificate; maps its failures to server errors. */
  async #verify(
    appId: string,
    certificate: string,
    channel: string,
    token: string | null,
    uid: Participant['uid'] | null,
  ): Promise<TokenClaims> {
    if (token === null) throw new ServerError(Codes.INVALID_TOKEN, `app "${appId}" requires a token`);
    try {
      return await verifyToken(token, { appId, appCertificate: certificate, channel, uid });
    } catch (error) {
      if (error instanceof TokenError) throw new ServerError(error.code, error.message);
      throw error;
    }
  }

  async #handle(message: ClientMessage): Promise<Record<string, unknown>> {
    if (message.type === 'ping') return {};
    if (message.type === 'join') return this.#join(message);
    if (message.type === 'resume' && !this.#participant)
      throw new ServerError(Codes.SESSION_NOT_FOUND, 'no such session on this server; join again');
    const participant = this.#participant;
    const channel = this.#channel;
    if (!participant || !channel)
      throw ServerError.invalidOperation(`"${message.type}" needs a joined channel`);
    switch (message.type) {
      case 'publish':
        this.#checkMayPublish(participant);
        this.#checkTrackRoom(participant);
        return { sdp: await participant.publish(message.sdp) };
      case 'unpublish':
        // Idempotent: the publisher's connection may already have closed on its own.
        return { wasPublishing: participant.unpublish() };
      case 'subscribe': {
        const target = channel.get(message.uid);
        if (target === participant) throw ServerError.invalidOperation('cannot subscribe to yourself');
        if (!participant.isSubscribedTo(target)) this.#checkTrackRoom(participant);
        return { ...(await participant.subscribe(target)) };
      }
      case 'unsubscribe': {
        const target = channel.get(message.uid);
        if (!participant.unsubscribe(target))
          throw ServerError.invalidOperation(`not subscribed to ${String(message.uid)}`);
        return {};
      }
      case 'answer':
        participant.answer(message.sdp);
        return {};
      case 'leave':
        this.#leave('Quit');
        return {};
      case 'renewToken':
        return this.#renew(message.token, participant, channel);
      case 'setRole':
        return this.#setRole(message.role, participant);
      case 'mute': {
        const changed = participant.muted !== message.muted;
        participant.muted = message.muted;
        return { changed };
      }
      case 'resume':
        throw ServerError.invalidOperation('already joined; resume is for a new connection');
    }
  }

  async #join(message: Extract<ClientMessage, { type: 'join' }>): Promise<Record<string, unknown>> {
    if (this.#participant) throw ServerError.invalidOperation('already joined; leave first');
    const ctx = this.#ctx;
    if (!ctx.joinLimiter.take(this.#remote)) {
      throw new ServerError(Codes.JOIN_RATE_LIMITED, 'too many joins from this address; retry in a second');
    }
    const mode = message.mode ?? 'rtc';
    const role: Role = mode === 'live' ? (message.role ?? 'audience') : 'host';
    let uid = message.uid;
    let grant: Grant | null = null;
    if (ctx.apps.size > 0) {
      const certificate = ctx.apps.get(message.appId);
      if (certificate === undefined)
        throw new ServerError(
          Codes.INVALID_APP_ID,
          `app id "${message.appId}" is not configured on this server`,
        );
      const claims = await this.#verify(message.appId, certificate, message.channel, message.token, uid);
      if (this.#closed) throw new ServerError(Codes.OPERATION_ABORTED, 'the connection closed while joining');
      if (this.#participant) throw ServerError.invalidOperation('already joined; leave first');
      if (role === 'host' && claims.role === 'audience' && mode === 'live') {
        throw new ServerError(Codes.NO_PRIVILEGE, 'the token is for the audience role; join as audience');
      }
      uid = uid ?? claims.uid;
      grant = {
        role: claims.role,
        joinExpiresAt: claims.joinExpiresAt,
        publishAudioExpiresAt: claims.publishAudioExpiresAt,
      };
    }
    if (ctx.cluster) {
      await ctx.cluster.place(message.appId, message.channel);
      if (this.#closed) throw new ServerError(Codes.OPERATION_ABORTED, 'the connection closed while joining');
    }
    const channel = ctx.registry.open(message.appId, message.channel);
    if (channel.size >= ctx.limits.maxParticipantsPerChannel) {
      ctx.registry.release(channel);
      throw new ServerError(
        Codes.CHANNEL_FULL,
        `channel "${message.channel}" is full (${ctx.limits.maxParticipantsPerChannel} participants)`,
      );
    }
    const assigned = uid ?? channel.assignUid();
    const participant = new Participant(
      assigned,
      `${message.channel}/${String(assigned)}`,
      ctx.engine,
      {
        notify: (n) => this.notify(n),
        onMediaClosed: (kind, reason) => this.#onMediaClosed(kind, reason),
      },
      ctx.totals,
    );
    participant.role = role;
    let users: ReturnType<Channel['add']>;
    try {
      users = channel.add(participant);
    } catch (error) {
      ctx.registry.release(channel);
      throw error;
    }
    this.#participant = participant;
    this.#channel = channel;
    this.#mode = mode;
    this.#grant = grant;
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = null;
    this.#scheduleExpiry();
    this.#log.info({ channel: message.channel, uid: assigned, mode, role, token: grant !== null }, 'joined');
    return { uid: assigned, channel: channel.name, users };
  }

  #checkMayPublish(participant: Participant): void {
    if (participant.role === 'audience') {
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

  #checkTrackRoom(participant: Participant): void {
    const max = this.#ctx.limits.maxTracksPerParticipant;
    if (participant.trackCount >= max) {
      throw new ServerError(Codes.TOO_MANY_TRACKS, `a participant may have at most ${max} audio tracks`);
    }
  }

  async #renew(token: string, participant: Participant, channel: Channel): Promise<Record<string, unknown>> {
    const certificate = this.#ctx.apps.get(channel.appId);
    // Testing mode checks no tokens, so there is nothing to renew.
    if (certificate === undefined || !this.#grant) return {};
    const claims = await this.#verify(channel.appId, certificate, channel.name, token, participant.uid);
    if (this.#participant !== participant)
      throw new ServerError(Codes.OPERATION_ABORTED, 'left while renewing');
    this.#grant = {
      role: claims.role,
      joinExpiresAt: claims.joinExpiresAt,
      publishAudioExpiresAt: claims.publishAudioExpiresAt,
    };
    this.#scheduleExpiry();
    this.#log.info({ uid: participant.uid }, 'token renewed');
    return {};
  }

  #setRole(role: Role, participant: Participant): Record<string, unknown> {
    if (this.#mode !== 'live') throw ServerError.invalidOperation('roles apply to live mode only');
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

  /** Timers for `token-privilege-will-expire` / `-did-expire` of each privilege the grant has. */
  #scheduleExpiry(): void {
    this.#clearExpiry();
    const grant = this.#grant;
    if (!grant) return;
    const warnMs = this.#ctx.limits.tokenWarnSeconds * 1000;
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
    const participant = this.#participant;
    if (!participant || this.#closed) return;
    this.#log.info({ uid: participant.uid, privilege }, 'token privilege expired');
    this.#ctx.counters.count(`expired:${privilege}`);
    this.notify({ type: 'token-privilege-did-expire', privilege });
    if (privilege === 'join') {
      this.close('ServerTimeOut', 'the token expired');
    } else if (participant.unpublish()) {
      this.#channel?.broadcast(
        { type: 'user-unpublished', uid: participant.uid, mediaType: 'audio' },
        participant,
      );
    }
  }

  /** Notifications a request causes, sent after its reply. */
  #after(message: ClientMessage, data: Record<string, unknown>): void {
    const participant = this.#participant;
    if (!participant || !this.#channel) return;
    if (message.type === 'publish') {
      this.#channel.broadcast(
        { type: 'user-published', uid: participant.uid, mediaType: 'audio' },
        participant,
      );
    } else if (message.type === 'unpublish' && data.wasPublishing) {
      this.#channel.broadcast(
        { type: 'user-unpublished', uid: participant.uid, mediaType: 'audio' },
        participant,
      );
    } else if (message.type === 'mute' && data.changed) {
      const msg = participant.muted ? 'mute-audio' : 'unmute-audio';
      this.#channel.broadcast({ type: 'user-info-updated', uid: participant.uid, msg }, participant);
    } else if (message.type === 'setRole' && data.changed) {
      this.#channel.announceRole(participant);
    }
  }

  #onMediaClosed(kind: 'publish' | 'subscribe', reason: string): void {
    this.#log.info({ kind, reason }, 'media connection closed');
    const participant = this.#participant;
    if (kind === 'publish' && participant?.unpublish()) {
      this.#channel?.broadcast(
        { type: 'user-unpublished', uid: participant.uid, mediaType: 'audio' },
        participant,
      );
    }
  }

  #leave(reason: LeaveReason): void {
    const participant = this.#participant;
    const channel = this.#channel;
    this.#participant = null;
    this.#channel = null;
    this.#grant = null;
    this.#clearExpiry();
    if (!participant || !channel) return;
    channel.remove(participant, reason);
    this.#ctx.registry.release(channel);
    this.#log.info({ channel: channel.name, uid: participant.uid, reason }, 'left');
    if (!this.#closed) this.#startJoinDeadline();
  }

  notify(message: ServerNotification): void {
    this.#send(message);
  }

  /** Server-initiated close: tell the client why, then close the socket. */
  close(reason: LeaveReason, text: string): void {
    if (this.#closed) return;
    this.#send({ type: 'bye', reason, message: text });
    this.#closed = true;
    this.#leave(reason);
    this.#clearTimers();
    this.#ws.close(1001, text.slice(0, 120));
  }

  #clearTimers(): void {
    this.#clearExpiry();
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = null;
  }

  #onSocketClosed(): void {
    this.#closed = true;
    this.#leave('ServerTimeOut');
    this.#clearTimers();
    this.#log.debug('disconnected');
  }

  /** Sends an error reply, counts it, and logs it (limits at warn, once per session). */
  #reject(id: number | null, code: ErrorCode, message: string, redirect?: string): void {
    this.#ctx.counters.count(code);
    if (LIMIT_CODES.has(code) && !this.#warned.has(code)) {
      this.#warned.add(code);
      this.#log.warn({ code, remote: this.#remote }, `limit: ${message}`);
    } else {
      this.#log.debug({ code }, message);
    }
    this.#send(
      redirect ? { type: 'error', id, code, message, redirect } : { type: 'error', id, code, message },
    );
  }

  #send(message: ServerMessage): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(encodeMessage(message));
  }
}
