/**
 * ImpairmentProxy: a deterministic UDP relay that impairs media in tests and benchmarks.
 *
 * netem cannot be used in the test namespace (both veth ends live in it, so their traffic runs
 * over `lo`), so media is relayed instead. The server announces the proxy's address as its only
 * ICE candidate (server options `announcedIp` / `announcedPort`); the proxy forwards to the real
 * media port. It listens on one UDP port and opens one upstream socket per client source address,
 * so the server's ICE UDP mux still sees one distinct address per client connection. The server
 * never sends to the addresses clients announce (it strips their candidates), so every packet of
 * both directions passes here.
 *
 * ```ts
 * const proxy = await ImpairmentProxy.start({ host: TEST_IP2, seed: 7 });
 * const server = await createServer({ ..., announcedIp: proxy.host, announcedPort: proxy.port });
 * proxy.setTarget(server.options.rtcBind, server.rtcPort);
 * proxy.setImpairment('up', { loss: { kind: 'bernoulli', rate: 0.1 } });      // clients -> server
 * proxy.setImpairment('both', { delayMs: 20, jitterMs: 30, reorderRate: 0.02 });
 * proxy.linkDown(5000);            // drop everything, both ways, for 5 s
 * proxy.setLinkUp(false); proxy.setLinkUp(true);
 * proxy.counters.up.forwarded; proxy.counters.down.lost; proxy.resetCounters();
 * await proxy.close();
 * ```
 *
 * Directions: `up` is client -> server (a publisher's media, every client's RTCP and STUN),
 * `down` is server -> client (subscribers' media, RTCP to publishers). Each client flow has its
 * own PRNG per direction, seeded from `seed` and the flow's arrival order, so one flow's loss
 * pattern does not depend on other flows' traffic. Changes apply at once, at run time.
 *
 * Link down drops packets arriving and packets still delayed in the proxy.
 *
 * Jitter keeps order (each packet leaves no earlier than the one before it in its flow);
 * reordering is its own knob: a packet chosen with probability `reorderRate` is held back
 * `reorderDelayMs` more, so the packets behind it overtake it.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { DelayLine } from './DelayLine.js';
import { createLossModel, type LossModel, type LossSpec, NO_LOSS } from './LossModel.js';
import { mulberry32 } from './mulberry32.js';

export type Direction = 'up' | 'down';

/** How one direction is impaired. */
export interface Impairment {
  loss: LossSpec;
  /** Fixed one-way delay added to every packet, ms. */
  delayMs: number;
  /** Extra delay, uniform in [0, jitterMs], per packet; order within a flow is kept. */
  jitterMs: number;
  /** Probability that a packet is held back `reorderDelayMs` so that later packets overtake it. */
  reorderRate: number;
  reorderDelayMs: number;
}

export interface DirectionCounters {
  /** Packets sent on (including delayed and reordered ones, counted when they are sent). */
  forwarded: number;
  /** Dropped by the loss model. */
  lost: number;
  /** Dropped because the link was down. */
  linkDownDropped: number;
  /** Held back by the reordering knob. */
  reordered: number;
}

export interface ImpairmentProxyOptions {
  /** Address to listen on: the one the server announces to clients. */
  host: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Where to forward (the server's media address and port); can be set later with setTarget(). */
  target?: { host: string; port: number };
  /** Seed of every PRNG. Default 1. */
  seed?: number;
  up?: Partial<Impairment>;
  down?: Partial<Impairment>;
}

export const NO_IMPAIRMENT: Impairment = {
  loss: NO_LOSS,
  delayMs: 0,
  jitterMs: 0,
  reorderRate: 0,
  reorderDelayMs: 40,
};

/** The state of one direction of one flow. */
interface Lane {
  readonly rand: () => number;
  loss: LossModel;
  /** Delivery time of the last in-order packet, so jitter never reorders. */
  lastAt: number;
}

interface Flow {
  readonly address: string;
  readonly port: number;
  readonly socket: Socket;
  readonly up: Lane;
  readonly down: Lane;
}

function checkImpairment(i: Impairment): void {
  createLossModel(i.loss);
  for (const key of ['delayMs', 'jitterMs', 'reorderDelayMs'] as const) {
    if (!(i[key] >= 0 && Number.isFinite(i[key]))) throw new RangeError(`${key} must be >= 0, got ${i[key]}`);
  }
  if (!(i.reorderRate >= 0 && i.reorderRate <= 1))
    throw new RangeError(`reorderRate must be in 0..1, got ${i.reorderRate}`);
}

function zeroCounters(): DirectionCounters {
  return { forwarded: 0, lost: 0, linkDownDropped: 0, reordered: 0 };
}

export class ImpairmentProxy {
  readonly host: string;
  readonly counters: { up: DirectionCounters; down: DirectionCounters } = {
    up: zeroCounters(),
    down: zeroCounters(),
  };
  readonly #socket: Socket;
  readonly #seed: number;
  readonly #flows = new Map<string, Flow>();
  readonly #impairment: Record<Direction, Impairment>;
  readonly #delay = new DelayLine();
  #target: { host: string; port: number } | null;
  #linkUp = true;
  #downUntil = 0;
  #closed = false;

  private constructor(socket: Socket, options: ImpairmentProxyOptions) {
    this.#socket = socket;
    this.host = options.host;
    this.#seed = options.seed ?? 1;
    this.#target = options.target ?? null;
    this.#impairment = { up: { ...NO_IMPAIRMENT }, down: { ...NO_IMPAIRMENT } };
    socket.on('message', (buf, from) => this.#fromClient(buf, from));
  }

  /** Binds the listening socket and applies the initial impairments. */
  static async start(options: ImpairmentProxyOptions): Promise<ImpairmentProxy> {
    const socket = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const proxy = new ImpairmentProxy(socket, options);
    if (options.up) proxy.setImpairment('up', options.up);
    if (options.down) proxy.setImpairment('down', options.down);
    return proxy;
  }

  /** The port clients send to. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Client flows seen so far (one upstream socket each). */
  get flows(): number {
    return this.#flows.size;
  }

  /** Sets where packets from clients go. Until it is set they are dropped (as link down). */
  setTarget(host: string, port: number): void {
    this.#target = { host, port };
  }

  /** The current impairment of a direction (a copy). */
  impairment(direction: Direction): Impairment {
    return { ...this.#impairment[direction] };
  }

  /**
   * Changes one direction (or both): fields left out keep their current value. A new `loss`
   * restarts the loss models (their PRNGs go on). Throws RangeError on impossible values.
   */
  setImpairment(direction: Direction | 'both', change: Partial<Impairment>): void {
    for (const d of direction === 'both' ? (['up', 'down'] as const) : [direction]) {
      const next = { ...this.#impairment[d], ...change };
      checkImpairment(next);
      this.#impairment[d] = next;
      if (change.loss) for (const flow of this.#flows.values()) flow[d].loss = createLossModel(next.loss);
    }
  }

  /** Takes the link down for `ms` (both directions drop everything), then up again by itself. */
  linkDown(ms: number): void {
    this.#downUntil = Math.max(this.#downUntil, performance.now() + ms);
  }

  /** Link up or down until told otherwise (`true` also ends a linkDown(ms) early). */
  setLinkUp(up: boolean): void {
    this.#linkUp = up;
    if (up) this.#downUntil = 0;
  }

  get linkUp(): boolean {
    return this.#linkUp && performance.now() >= this.#downUntil;
  }

  resetCounters(): void {
    Object.assign(this.counters.up, zeroCounters());
    Object.assign(this.counters.down, zeroCounters());
  }

  /** Closes the listening socket and every upstream socket; drops what is still delayed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#delay.clear();
    const sockets = [this.#socket, ...[...this.#flows.values()].map((f) => f.socket)];
    this.#flows.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  #lane(flowIndex: number, direction: Direction): Lane {
    // Distinct, reproducible streams per flow and direction.
    const seed =
      (Math.imul(this.#seed, 0x9e3779b1) ^
        Math.imul(flowIndex * 2 + (direction === 'up' ? 1 : 2), 0x85ebca6b)) >>>
      0;
    return { rand: mulberry32(seed), loss: createLossModel(this.#impairment[direction].loss), lastAt: 0 };
  }

  #flowFor(from: RemoteInfo): Flow {
    const key = `${from.address}:${from.port}`;
    let flow = this.#flows.get(key);
    if (flow) return flow;
    const socket = createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
    const index = this.#flows.size;
    flow = {
      address: from.address,
      port: from.port,
      socket,
      up: this.#lane(index, 'up'),
      down: this.#lane(index, 'down'),
    };
    const created = flow;
    socket.on('message', (buf) => this.#pass(created, 'down', buf));
    socket.on('error', () => undefined);
    // Sends before the bind completes are queued by dgram.
    socket.bind(0, this.host);
    this.#flows.set(key, flow);
    return flow;
  }

  #fromClient(buf: Buffer, from: RemoteInfo): void {
    if (this.#closed) return;
    this.#pass(this.#flowFor(from), 'up', buf);
  }

  /** Applies the direction's impairment to one packet and sends it on (now or later). */
  #pass(flow: Flow, direction: Direction, buf: Buffer): void {
    const counters = this.counters[direction];
    const lane = flow[direction];
    // Draw for loss even while the link is down, so the pattern after it does not depend on timing.
    const lost = lane.loss.drop(lane.rand());
    if (!this.linkUp || (direction === 'up' && this.#target === null)) {
      counters.linkDownDropped++;
      return;
    }
    if (lost) {
      counters.lost++;
      return;
    }
    const imp = this.#impairment[direction];
    const send = direction === 'up' ? () => this.#sendUp(flow, buf) : () => this.#sendDown(flow, buf);
    const now = performance.now();
    const jitter = imp.jitterMs > 0 ? lane.rand() * imp.jitterMs : 0;
    const reorder = imp.reorderRate > 0 && lane.rand() < imp.reorderRate;
    let at = now + imp.delayMs + jitter;
    if (reorder) {
      counters.reordered++;
      at += imp.reorderDelayMs;
    } else {
      at = Math.max(at, lane.lastAt);
      lane.lastAt = at;
    }
    if (at <= now) send();
    else this.#delay.schedule(at, send);
  }

  #sendUp(flow: Flow, buf: Buffer): void {
    const target = this.#target;
    if (this.#closed || target === null) return;
    if (!this.linkUp) {
      this.counters.up.linkDownDropped++;
      return;
    }
    this.counters.up.forwarded++;
    flow.socket.send(buf, target.port, target.host);
  }

  #sendDown(flow: Flow, buf: Buffer): void {
    if (this.#closed) return;
    if (!this.linkUp) {
      this.counters.down.linkDownDropped++;
      return;
    }
    this.counters.down.forwarded++;
    this.#socket.send(buf, flow.port, flow.address);
  }
}
