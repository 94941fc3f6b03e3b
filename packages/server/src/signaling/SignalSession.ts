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
import { grantOf, Membership, type MembershipDirectory, type MembershipHost } from './Membership.js';

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
  /** Memberships whose socket may be replaced by `resume`. */
  directory: MembershipDirectory;
  /** How long a dropped socket's membership waits for `resume`, ms (0: leave at once). */
  resumeGraceMs: number;
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

let nextSessionId = 1;

/**
 * One client WebSocket: decodes its frames, runs its requests one at a time, and replies.
 * A reply is always sent before the notifications its request causes. Nothing a client sends
 * can throw out of here: bad frames get an `error` reply and the session keeps serving.
 * A session only ever acts on its own participant, in the one channel its join named.
 */
export class SignalSession implements MembershipHost {
  readonly id = nextSessionId++;
  readonly #ws: WebSocket;
  readonly #ctx: SessionContext;
  readonly #log: Logger;
  readonly #remote: string;
  readonly #bucket: TokenBucket;
  readonly #warned = new Set<ErrorCode>();
  #queue: Promise<void> = Promise.resolve();
  #membership: Membership | null = null;
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
    return this.#membership?.participant ?? null;
  }

  #startJoinDeadline(): void {
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = setTimeout(() => {
      this.#joinTimer = null;
      if (this.#membership || this.#closed) return;
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
    const membership = this.#membership;
    if (message.type === 'resume') {
      if (membership) throw ServerError.invalidOperation('already joined; resume is for a new connection');
      return this.#resume(message.sessionId);
    }
    if (!membership) throw ServerError.invalidOperation(`"${message.type}" needs a joined channel`);
    const { participant, channel } = membership;
    switch (message.type) {
      case 'publish':
        membership.checkMayPublish();
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
      case 'resetSubscriber':
        participant.resetSubscriber();
        return {};
      case 'leave':
        this.#leave('Quit');
        return {};
      case 'renewToken':
        return this.#renew(message.token, membership);
      case 'setRole':
        return membership.setRole(message.role);
      case 'mute': {
        const changed = participant.muted !== message.muted;
        participant.muted = message.muted;
        return { changed };
      }
    }
  }

  /** A new socket takes over a membership whose old socket dropped (or is about to). */
  #resume(sessionId: string): Record<string, unknown> {
    const membership = this.#ctx.directory.get(sessionId);
    if (!membership || membership.left)
      throw new ServerError(Codes.SESSION_NOT_FOUND, 'no such session on this server; join again');
    membership.attach(this);
    this.#membership = membership;
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = null;
    const { participant, channel } = membership;
    this.#log.info({ channel: channel.name, uid: participant.uid }, 'resumed');
    return {
      uid: participant.uid,
      channel: channel.name,
      users: channel.usersFor(participant),
      sessionId: membership.sessionId,
    };
  }

  async #join(message: Extract<ClientMessage, { type: 'join' }>): Promise<Record<string, unknown>> {
    if (this.#membership) throw ServerError.invalidOperation('already joined; leave first');
    const ctx = this.#ctx;
    if (!ctx.joinLimiter.take(this.#remote)) {
      throw new ServerError(Codes.JOIN_RATE_LIMITED, 'too many joins from this address; retry in a second');
    }
    const mode = message.mode ?? 'rtc';
    const role: Role = mode === 'live' ? (message.role ?? 'audience') : 'host';
    let uid = message.uid;
    let grant: ReturnType<typeof grantOf> | null = null;
    if (ctx.apps.size > 0) {
      const certificate = ctx.apps.get(message.appId);
      if (certificate === undefined)
        throw new ServerError(
          Codes.INVALID_APP_ID,
          `app id "${message.appId}" is not configured on this server`,
        );
      const claims = await this.#verify(message.appId, certificate, message.channel, message.token, uid);
      if (this.#closed) throw new ServerError(Codes.OPERATION_ABORTED, 'the connection closed while joining');
      if (this.#membership) throw ServerError.invalidOperation('already joined; leave first');
      if (role === 'host' && claims.role === 'audience' && mode === 'live') {
        throw new ServerError(Codes.NO_PRIVILEGE, 'the token is for the audience role; join as audience');
      }
      uid = uid ?? claims.uid;
      grant = grantOf(claims);
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
    let membership: Membership | null = null;
    const participant = new Participant(
      assigned,
      `${message.channel}/${String(assigned)}`,
      ctx.engine,
      {
        notify: (n) => membership?.notify(n),
        onMediaClosed: (kind, reason) => membership?.onMediaClosed(kind, reason),
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
    membership = new Membership(
      {
        registry: ctx.registry,
        directory: ctx.directory,
        counters: ctx.counters,
        log: this.#log,
        tokenWarnSeconds: ctx.limits.tokenWarnSeconds,
        resumeGraceMs: ctx.resumeGraceMs,
      },
      participant,
      channel,
      mode,
      grant,
    );
    membership.attach(this);
    this.#membership = membership;
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = null;
    this.#log.info({ channel: message.channel, uid: assigned, mode, role, token: grant !== null }, 'joined');
    return { uid: assigned, channel: channel.name, users, sessionId: membership.sessionId };
  }

  #checkTrackRoom(participant: Participant): void {
    const max = this.#ctx.limits.maxTracksPerParticipant;
    if (participant.trackCount >= max) {
      throw new ServerError(Codes.TOO_MANY_TRACKS, `a participant may have at most ${max} audio tracks`);
    }
  }

  async #renew(token: string, membership: Membership): Promise<Record<string, unknown>> {
    const { channel, participant } = membership;
    const certificate = this.#ctx.apps.get(channel.appId);
    // Testing mode checks no tokens, so there is nothing to renew.
    if (certificate === undefined || !membership.grant) return {};
    const claims = await this.#verify(channel.appId, certificate, channel.name, token, participant.uid);
    if (this.#membership !== membership || membership.left)
      throw new ServerError(Codes.OPERATION_ABORTED, 'left while renewing');
    membership.renew(claims);
    return {};
  }

  /** Notifications a request causes, sent after its reply. */
  #after(message: ClientMessage, data: Record<string, unknown>): void {
    const membership = this.#membership;
    if (!membership) return;
    const { participant, channel } = membership;
    if (message.type === 'publish') {
      channel.broadcast({ type: 'user-published', uid: participant.uid, mediaType: 'audio' }, participant);
    } else if (message.type === 'unpublish' && data.wasPublishing) {
      channel.broadcast({ type: 'user-unpublished', uid: participant.uid, mediaType: 'audio' }, participant);
    } else if (message.type === 'mute' && data.changed) {
      const msg = participant.muted ? 'mute-audio' : 'unmute-audio';
      channel.broadcast({ type: 'user-info-updated', uid: participant.uid, msg }, participant);
    } else if (message.type === 'setRole' && data.changed) {
      channel.announceRole(participant);
    }
  }

  #leave(reason: LeaveReason): void {
    const membership = this.#membership;
    this.#membership = null;
    membership?.leave(reason);
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

  /** Another socket resumed our membership: close this one without leaving. */
  handOver(): void {
    this.#membership = null;
    this.#closed = true;
    this.#clearTimers();
    this.#ws.close(4000, 'resumed on another connection');
  }

  #clearTimers(): void {
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = null;
  }

  #onSocketClosed(): void {
    this.#closed = true;
    const membership = this.#membership;
    this.#membership = null;
    membership?.detach(this);
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
