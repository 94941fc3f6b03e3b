import type { NodeInfo, Owner, PlacementStore } from './PlacementStore.js';

/** One placement call or its answer between a worker and the primary (node:cluster IPC). */
export interface PlacementIpcMessage {
  patchbayPlacement: {
    id: number;
    method?: keyof PlacementStore;
    args?: unknown[];
    ok?: boolean;
    value?: unknown;
    error?: string;
  };
}

/** The methods a worker may call on the primary's store. */
const METHODS: ReadonlySet<string> = new Set(['heartbeat', 'nodes', 'claim', 'release', 'leave']);

/** Whether `message` is a placement call or answer (other IPC messages pass by). */
export function isPlacementMessage(message: unknown): message is PlacementIpcMessage {
  return typeof message === 'object' && message !== null && 'patchbayPlacement' in message;
}

/**
 * A worker's view of the placement store its primary keeps (`patchbay serve --workers N` without
 * Redis): every call goes over the node:cluster IPC channel and back. Calls fail after
 * `timeoutMs`, as Redis commands do, when the primary does not answer.
 */
export class IpcPlacementStore implements PlacementStore {
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #timeoutMs: number;
  readonly #onMessage = (message: unknown): void => {
    if (!isPlacementMessage(message)) return;
    const { id, ok, value, error } = message.patchbayPlacement;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (ok) pending.resolve(value);
    else pending.reject(new Error(error ?? 'placement call failed'));
  };
  #nextId = 1;

  constructor(timeoutMs = 1000) {
    if (!process.send) throw new TypeError('IpcPlacementStore needs an IPC channel (a node:cluster worker)');
    this.#timeoutMs = timeoutMs;
    process.on('message', this.#onMessage);
  }

  #call<T>(method: keyof PlacementStore, args: unknown[]): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`the primary did not answer "${method}" within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const message: PlacementIpcMessage = { patchbayPlacement: { id, method, args } };
      process.send?.(message);
    });
  }

  heartbeat(node: NodeInfo, ttlMs: number): Promise<void> {
    return this.#call('heartbeat', [node, ttlMs]);
  }
  nodes(): Promise<NodeInfo[]> {
    return this.#call('nodes', []);
  }
  claim(channel: string, candidate: string, unreachable?: string): Promise<Owner | null> {
    return this.#call('claim', [channel, candidate, unreachable]);
  }
  release(channel: string, node: string): Promise<void> {
    return this.#call('release', [channel, node]);
  }
  leave(node: string): Promise<void> {
    return this.#call('leave', [node]);
  }
  async close(): Promise<void> {
    process.off('message', this.#onMessage);
  }
}

/** The primary's side: answers one worker's placement calls from `store`. */
export function servePlacementIpc(
  worker: { on(event: 'message', cb: (m: unknown) => void): unknown; send(m: unknown): unknown },
  store: PlacementStore,
): void {
  worker.on('message', (message) => {
    if (!isPlacementMessage(message)) return;
    const { id, method, args } = message.patchbayPlacement;
    if (method === undefined || !METHODS.has(method)) return;
    const reply = (answer: PlacementIpcMessage): void => {
      try {
        worker.send(answer);
      } catch {
        // the worker is gone; nobody waits for the answer
      }
    };
    const call = (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args ?? []);
    call.then(
      (value) => reply({ patchbayPlacement: { id, ok: true, value } }),
      (error: unknown) => reply({ patchbayPlacement: { id, ok: false, error: String(error) } }),
    );
  });
}
