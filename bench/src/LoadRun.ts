import {
  directPair,
  LoadPublisher,
  LoadSubscriber,
  Pacer,
  PTIME_MS,
  Recorder,
  type StreamCounter,
} from './load.js';
import { Signal, SourceAddresses } from './signal.js';
import { percentile, sleep } from './util.js';

export interface WindowResult {
  publishers: number;
  subscribers: number;
  /** Streams forwarded (publisher, subscriber pairs). */
  streams: number;
  windowMs: number;
  /** Packets the publishers sent in the window, times their subscriber count. */
  expected: number;
  /** Of those, packets that arrived (counted once each). */
  received: number;
  lossPct: number;
  /** All packets received in the window (RTP only), including ones sent before it. */
  receivedRate: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  sendFailures: number;
  /** Packets the generator skipped because it fell behind (its own overload, not the SFU's). */
  generatorSkipped: number;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * A load-mode run against one SFU: P publishers × S subscribers in one channel, where every
 * subscriber takes every publisher. Grows in place (addPublishers / addSubscribers), so a ramp
 * reuses its connections. Also used, at a tiny size, by the e2e bench smoke test.
 */
export class LoadRun {
  readonly recorder = new Recorder();
  readonly publishers: LoadPublisher[] = [];
  readonly subscribers: LoadSubscriber[] = [];
  readonly #signals: Signal[] = [];
  readonly #pacer = new Pacer();
  readonly #addresses = new SourceAddresses();
  readonly #url: string;
  readonly #channel: string;

  constructor(url: string, channel = 'bench') {
    this.#url = url;
    this.#channel = channel;
  }

  async #connect(): Promise<{ signal: Signal; uid: number | string }> {
    const { signal, joined } = await Signal.joinVia(this.#url, this.#channel, this.#addresses.take());
    this.#signals.push(signal);
    return { signal, uid: joined.uid as number | string };
  }

  /** Adds `n` publishers; they start sending at once. Existing subscribers subscribe to them. */
  async addPublishers(n: number): Promise<void> {
    const added: LoadPublisher[] = [];
    const indices = Array.from({ length: n }, (_, i) => this.publishers.length + i);
    await pool(indices, 4, async (index) => {
      // Retries: a libdatachannel ↔ libdatachannel publish occasionally stalls (see publishOffer) or
      // fails at once ("remote candidate without ICE transport"); a fresh connection goes through.
      for (let attempt = 0; ; attempt++) {
        const pub = new LoadPublisher(index);
        const { signal, uid } = await this.#connect();
        pub.uid = uid;
        try {
          await pub.publishVia(signal);
          added.push(pub);
          break;
        } catch (error) {
          pub.close();
          signal.close();
          if (attempt >= 3) throw error;
        }
      }
    });
    added.sort((a, b) => a.index - b.index);
    for (const pub of added) {
      this.publishers.push(pub);
      this.#pacer.add(pub);
    }
    this.#pacer.start();
    await pool(this.subscribers, 8, async (sub) => {
      for (const pub of added) await sub.subscribe(pub.uid as number);
    });
  }

  /** Adds `n` subscribers, each subscribing to every publisher. */
  async addSubscribers(n: number): Promise<void> {
    const count = this.subscribers.length;
    const items = Array.from({ length: n }, (_, i) => count + i);
    await pool(items, 8, async (i) => {
      const sub = new LoadSubscriber(`sub${i}`, this.recorder);
      sub.signal = (await this.#connect()).signal;
      for (const pub of this.publishers) await sub.subscribe(pub.uid as number);
      this.subscribers.push(sub);
    });
  }

  /** Measures a window: loss over packets sent in it, delay of packets received in it. */
  async measure(windowMs: number, graceMs = 500): Promise<WindowResult> {
    const rec = this.recorder;
    for (const sub of this.subscribers) for (const s of sub.streams.values()) s.clear();
    const from = this.publishers.map((p) => p.sent);
    const failures0 = this.publishers.reduce((a, p) => a + p.sendFailures, 0);
    const skipped0 = this.#pacer.skipped;
    rec.reset();
    const received0 = rec.received;
    rec.measuring = true;
    const t0 = performance.now();
    await sleep(windowMs);
    const to = this.publishers.map((p) => p.sent);
    const elapsed = performance.now() - t0;
    rec.measuring = false;
    const receivedAll = rec.received - received0;
    await sleep(graceMs);
    let expected = 0;
    let received = 0;
    for (const sub of this.subscribers) {
      for (let i = 0; i < this.publishers.length; i++) {
        const pub = this.publishers[i];
        expected += to[i] - from[i];
        const stream: StreamCounter | undefined = sub.streams.get(pub.index);
        if (stream) received += stream.countRange(from[i], to[i]);
      }
    }
    const delays = rec.delays.subarray(0, rec.delayCount);
    return {
      publishers: this.publishers.length,
      subscribers: this.subscribers.length,
      streams: this.publishers.length * this.subscribers.length,
      windowMs: elapsed,
      expected,
      received,
      lossPct: expected > 0 ? (100 * (expected - received)) / expected : NaN,
      receivedRate: (receivedAll * 1000) / elapsed,
      delayP50Ms: percentile(delays, 50),
      delayP99Ms: percentile(delays, 99),
      delayMaxMs: delays.length ? delays.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN,
      sendFailures: this.publishers.reduce((a, p) => a + p.sendFailures, 0) - failures0,
      generatorSkipped: this.#pacer.skipped - skipped0,
    };
  }

  /** Packets per second the publishers send in total. */
  get offeredRate(): number {
    return (this.publishers.length * 1000) / PTIME_MS;
  }

  close(): void {
    this.#pacer.stop();
    for (const sub of this.subscribers) sub.close();
    for (const pub of this.publishers) pub.close();
    for (const s of this.#signals) s.close();
  }
}

/** The transport floor: `n` direct publisher → receiver pairs in this process, no SFU. */
export class DirectRun {
  readonly recorder = new Recorder();
  readonly pairs: { pub: LoadPublisher; sub: LoadSubscriber }[] = [];
  readonly #pacer = new Pacer();

  async add(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const pair = await directPair(this.pairs.length, this.recorder);
      this.pairs.push(pair);
      this.#pacer.add(pair.pub);
    }
    this.#pacer.start();
  }

  async measure(windowMs: number): Promise<{ delayP50Ms: number; delayP99Ms: number; lossPct: number }> {
    const rec = this.recorder;
    for (const { sub } of this.pairs) for (const s of sub.streams.values()) s.clear();
    const from = this.pairs.map((p) => p.pub.sent);
    rec.reset();
    rec.measuring = true;
    await sleep(windowMs);
    rec.measuring = false;
    const to = this.pairs.map((p) => p.pub.sent);
    await sleep(300);
    let expected = 0;
    let received = 0;
    this.pairs.forEach(({ pub, sub }, i) => {
      expected += to[i] - from[i];
      received += sub.streams.get(pub.index)?.countRange(from[i], to[i]) ?? 0;
    });
    const delays = rec.delays.subarray(0, rec.delayCount);
    return {
      delayP50Ms: percentile(delays, 50),
      delayP99Ms: percentile(delays, 99),
      lossPct: expected > 0 ? (100 * (expected - received)) / expected : NaN,
    };
  }

  close(): void {
    this.#pacer.stop();
    for (const { pub, sub } of this.pairs) {
      pub.close();
      sub.close();
    }
  }
}
