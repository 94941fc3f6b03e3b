import {
  type ClientMessageType,
  decodeServerMessage,
  ErrorCode,
  isErrorCode,
  type RequestParams,
  type ResultOf,
  resultSchemas,
  type ServerNotification,
} from '@patchbay/protocol';
import { PatchbayError } from './PatchbayError.js';
import type { Platform, WebSocketLike } from './platform.js';

interface Pending {
  type: ClientMessageType;
  resolve(data: unknown): void;
  reject(error: PatchbayError): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface SignalClientHandlers {
  onNotification(message: ServerNotification): void;
  /** The socket closed without close() being called. */
  onDisconnected(reason: string): void;
}

/**
 * Request/response signaling over one WebSocket: each request carries an id and its reply is
 * matched through a Map; every pending request is rejected when the socket goes away.
 */
export class SignalClient {
  readonly #ws: WebSocketLike;
  readonly #handlers: SignalClientHandlers;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closedByUs = false;

  private constructor(ws: WebSocketLike, handlers: SignalClientHandlers, timeoutMs: number) {
    this.#ws = ws;
    this.#handlers = handlers;
    this.#timeoutMs = timeoutMs;
    ws.onmessage = (ev) => this.#onMessage(ev.data);
    ws.onclose = (ev) => this.#onClose(`socket closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    ws.onerror = () => undefined;
  }

  /** Opens the socket; rejects with WS_ERR when the server cannot be reached in time. */
  static connect(
    platform: Platform,
    url: string,
    handlers: SignalClientHandlers,
    timeoutMs = 10000,
  ): Promise<SignalClient> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = platform.createWebSocket(url);
      } catch (error) {
        reject(new PatchbayError(ErrorCode.WS_ERR, `cannot open ${url}: ${(error as Error).message}`));
        return;
      }
      const timer = setTimeout(() => {
        ws.onopen = ws.onclose = ws.onerror = null;
        ws.close();
        reject(new PatchbayError(ErrorCode.NETWORK_TIMEOUT, `no answer from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve(new SignalClient(ws, handlers, timeoutMs));
      };
      ws.onerror = ws.onclose = () => {
        clearTimeout(timer);
        ws.onopen = ws.onclose = ws.onerror = null;
        reject(new PatchbayError(ErrorCode.WS_ERR, `cannot reach the Patchbay server at ${url}`));
      };
    });
  }

  get open(): boolean {
    return this.#ws.readyState === 1;
  }

  request<T extends ClientMessageType>(type: T, params: RequestParams<T>): Promise<ResultOf<T>> {
    if (!this.open) return Promise.reject(new PatchbayError(ErrorCode.WS_ERR, 'not connected to the server'));
    const id = this.#nextId++;
    return new Promise<ResultOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new PatchbayError(ErrorCode.NETWORK_TIMEOUT, `"${type}" got no reply within ${this.#timeoutMs} ms`),
        );
      }, this.#timeoutMs);
      this.#pending.set(id, { type, resolve: resolve as (d: unknown) => void, reject, timer });
      this.#ws.send(JSON.stringify({ ...params, type, id }));
    });
  }

  #onMessage(data: unknown): void {
    const text = typeof data === 'string' ? data : String(data);
    const decoded = decodeServerMessage(text);
    if (!decoded.ok) return; // a newer server's message we do not know; ignore it
    const message = decoded.message;
    if (message.type === 'result' || message.type === 'error') {
      const pending = message.id === null ? undefined : this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id as number);
      clearTimeout(pending.timer);
      if (message.type === 'error') {
        const code = isErrorCode(message.code) ? message.code : ErrorCode.INTERNAL_ERROR;
        pending.reject(
          new PatchbayError(
            code,
            message.message,
            message.redirect ? { redirect: message.redirect } : undefined,
          ),
        );
        return;
      }
      const parsed = resultSchemas[pending.type].safeParse(message.data);
      if (parsed.success) pending.resolve(parsed.data);
      else pending.reject(new PatchbayError(ErrorCode.INTERNAL_ERROR, `malformed "${pending.type}" result`));
      return;
    }
    this.#handlers.onNotification(message);
  }

  #onClose(reason: string): void {
    this.#rejectAll(new PatchbayError(ErrorCode.WS_ERR, `the connection to the server was lost: ${reason}`));
    if (!this.#closedByUs) this.#handlers.onDisconnected(reason);
  }

  #rejectAll(error: PatchbayError): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  close(): void {
    this.#closedByUs = true;
    this.#rejectAll(new PatchbayError(ErrorCode.OPERATION_ABORTED, 'the connection was closed by leave()'));
    this.#ws.onmessage = null;
    this.#ws.close(1000, 'leave');
  }
}
