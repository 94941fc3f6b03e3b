import WebSocket from 'ws';

type Json = Record<string, unknown>;

/**
 * A minimal signaling client for the load peers: JSON requests with ids, results matched by id,
 * notifications to one callback. The SDK's own client is not used here so that load mode costs
 * the bench process as little as possible.
 */
export class Signal {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve: (data: Json) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  onNotification: (message: Json) => void = () => undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Json;
      if (message.type === 'result' || message.type === 'error') {
        const id = message.id as number;
        const pending = this.#pending.get(id);
        if (!pending) return;
        this.#pending.delete(id);
        if (message.type === 'result') pending.resolve(message.data as Json);
        else
          pending.reject(
            Object.assign(new Error(`${String(message.code)}: ${String(message.message)}`), {
              redirect: typeof message.redirect === 'string' ? message.redirect : undefined,
            }),
          );
      } else {
        this.onNotification(message);
      }
    });
    ws.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error('signaling closed'));
      this.#pending.clear();
    });
  }

  /** Connects to `url`; `localAddress` picks the loopback source address (join limits are per IP). */
  static connect(url: string, localAddress?: string): Promise<Signal> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
      ws.once('open', () => resolve(new Signal(ws)));
      ws.once('error', reject);
    });
  }

  request(type: string, params: Json = {}): Promise<Json> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ type, id, ...params }));
    });
  }

  join(channel: string, uid: number | null = null): Promise<Json> {
    return this.request('join', { appId: 'bench', channel, token: null, uid });
  }

  /**
   * Connects to `url` and joins `channel`, following a cluster REDIRECT to the owning node once.
   * Resolves with the connected signal and the join result.
   */
  static async joinVia(
    url: string,
    channel: string,
    localAddress?: string,
  ): Promise<{ signal: Signal; joined: Json }> {
    const signal = await Signal.connect(url, localAddress);
    try {
      return { signal, joined: await signal.join(channel) };
    } catch (error) {
      signal.close();
      const redirect = (error as { redirect?: string }).redirect;
      if (!redirect) throw error;
      const owner = await Signal.connect(redirect, localAddress);
      return { signal: owner, joined: await owner.join(channel) };
    }
  }

  close(): void {
    this.#ws.close();
  }
}

/**
 * Loopback source addresses for signaling connections. The server limits joins per IP address
 * (10/s, burst 20); spreading the bench's connections over 127.0.0.0/8 (inside the private
 * namespace) keeps the limit from pacing the benchmark, while each address still joins slowly.
 */
export class SourceAddresses {
  #next = 0;
  constructor(readonly count = 200) {}
  take(): string {
    const n = this.#next++ % this.count;
    return `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
  }
}
