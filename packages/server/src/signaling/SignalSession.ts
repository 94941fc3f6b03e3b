import {
  type ClientMessage,
  decodeClientMessage,
  type ErrorCode,
  ErrorCode as Codes,
  encodeMessage,
  type LeaveReason,
  type ServerMessage,
  type ServerNotification,
} from '@patchbay/protocol';
import type { WebSocket } from 'ws';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MediaEngine } from '../media/MediaEngine.js';
import type { Channel } from '../room/Channel.js';
import type { ChannelRegistry } from '../room/ChannelRegistry.js';
import { Participant } from '../room/Participant.js';

export interface SessionContext {
  registry: ChannelRegistry;
  engine: MediaEngine;
  maxMessageBytes: number;
  log: Logger;
}

let nextSessionId = 1;

/**
 * One client WebSocket: decodes its frames, runs its requests one at a time, and replies.
 * A reply is always sent before the notifications its request causes. Nothing a client sends
 * can throw out of here: bad frames get an `error` reply and the session keeps serving.
 */
export class SignalSession {
  readonly id = nextSessionId++;
  readonly #ws: WebSocket;
  readonly #ctx: SessionContext;
  readonly #log: Logger;
  #queue: Promise<void> = Promise.resolve();
  #participant: Participant | null = null;
  #channel: Channel | null = null;
  #closed = false;

  constructor(ws: WebSocket, ctx: SessionContext, remote: string) {
    this.#ws = ws;
    this.#ctx = ctx;
    this.#log = ctx.log.child({ session: this.id });
    this.#log.debug({ remote }, 'connected');
    ws.on('message', (data, isBinary) => this.#onFrame(data as Buffer | Buffer[] | ArrayBuffer, isBinary));
    ws.on('close', () => this.#onSocketClosed());
    ws.on('error', (err) => this.#log.debug({ err }, 'socket error'));
  }

  get participant(): Participant | null {
    return this.#participant;
  }

  #onFrame(data: Buffer | Buffer[] | ArrayBuffer, _isBinary: boolean): void {
    const frame = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : data;
    const decoded = decodeClientMessage(frame, this.#ctx.maxMessageBytes);
    if (!decoded.ok) {
      this.#log.debug({ code: decoded.code }, decoded.message);
      this.#send({ type: 'error', id: decoded.id, code: decoded.code, message: decoded.message });
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
        this.#sendError(message.id, error.code, error.message);
      } else {
        this.#log.error({ err: error, type: message.type }, 'request failed');
        this.#sendError(message.id, Codes.INTERNAL_ERROR, `the server could not complete "${message.type}"`);
      }
    }
  }

  async #handle(message: ClientMessage): Promise<Record<string, unknown>> {
    if (message.type === 'ping') return {};
    if (message.type === 'join') {
      if (this.#participant) throw ServerError.invalidOperation('already joined; leave first');
      const channel = this.#ctx.registry.open(message.appId, message.channel);
      const uid = message.uid ?? channel.assignUid();
      const participant = new Participant(uid, `${message.channel}/${String(uid)}`, this.#ctx.engine, {
        notify: (n) => this.notify(n),
        onMediaClosed: (kind, reason) => this.#onMediaClosed(kind, reason),
      });
      let users: ReturnType<Channel['add']>;
      try {
        users = channel.add(participant);
      } catch (error) {
        this.#ctx.registry.release(channel);
        throw error;
      }
      this.#participant = participant;
      this.#channel = channel;
      this.#log.info({ channel: message.channel, uid }, 'joined');
      return { uid, channel: channel.name, users };
    }
    const participant = this.#participant;
    const channel = this.#channel;
    if (!participant || !channel)
      throw ServerError.invalidOperation(`"${message.type}" needs a joined channel`);
    switch (message.type) {
      case 'publish':
        return { sdp: await participant.publish(message.sdp) };
      case 'unpublish':
        // Idempotent: the publisher's connection may already have closed on its own.
        return { wasPublishing: participant.unpublish() };
      case 'subscribe': {
        const target = channel.get(message.uid);
        if (target === participant) throw ServerError.invalidOperation('cannot subscribe to yourself');
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
    if (!participant || !channel) return;
    channel.remove(participant, reason);
    this.#ctx.registry.release(channel);
    this.#log.info({ channel: channel.name, uid: participant.uid, reason }, 'left');
  }

  notify(message: ServerNotification): void {
    this.#send(message);
  }

  /** Server-initiated close: tell the client why, then close the socket. */
  close(reason: LeaveReason, text: string): void {
    if (this.#closed) return;
    this.#send({ type: 'bye', reason, message: text });
    this.#leave(reason);
    this.#closed = true;
    this.#ws.close(1001, text.slice(0, 120));
  }

  #onSocketClosed(): void {
    this.#closed = true;
    this.#leave('ServerTimeOut');
    this.#log.debug('disconnected');
  }

  #sendError(id: number | null, code: ErrorCode, message: string): void {
    this.#send({ type: 'error', id, code, message });
  }

  #send(message: ServerMessage): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(encodeMessage(message));
  }
}
