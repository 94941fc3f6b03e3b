/**
 * One soak participant: one signaling socket, one load publisher and one load subscriber
 * (bench/src/load.ts), subscribed to every other publisher of its channel. Each subscription
 * counts, exactly and with no bitmap, the packets of an index range of its publisher (from the
 * end of a settle window after the subscribe completed to the moment it is cut).
 */
import { LoadPublisher, LoadSubscriber, type Pacer, type Recorder, StreamCounter } from '../load.js';
import { Signal } from '../signal.js';

export interface Subscription {
  readonly target: SoakParticipant;
  readonly stream: StreamCounter;
  /** First packet index counted (the publisher's count when subscribed, plus the settle window). */
  readonly from: number;
  /** First index not counted; set when the subscription is cut. */
  to: number | null;
}

export interface SoakContext {
  url: string;
  recorder: Recorder;
  pacer: Pacer;
  /** Packets (20 ms each) after a subscribe completes that are not counted. */
  settlePackets: number;
  /** Looks a participant of `channel` up by uid (for user-published notifications). */
  find(channel: string, uid: unknown): SoakParticipant | undefined;
  /** A subscribe that failed for a reason other than churn. */
  onError(what: string, error: unknown): void;
}

export class SoakParticipant {
  readonly index: number;
  readonly channel: string;
  readonly subscriptions = new Map<SoakParticipant, Subscription>();
  uid: unknown = null;
  /** Set when the participant starts leaving: nobody starts a subscription to it any more. */
  leaving = false;
  readonly #ctx: SoakContext;
  #signal: Signal | null = null;
  #pub: LoadPublisher;
  readonly #sub: LoadSubscriber;
  /** Signaling requests of this participant run one at a time (subscribe waits for its answer). */
  #queue: Promise<void> = Promise.resolve();

  constructor(index: number, channel: string, ctx: SoakContext) {
    this.index = index;
    this.channel = channel;
    this.#ctx = ctx;
    this.#pub = new LoadPublisher(index, `soak-pub${index}`);
    this.#sub = new LoadSubscriber(`soak-sub${index}`, ctx.recorder);
  }

  /** Packets this participant has published so far (the index of its next packet). */
  get sent(): number {
    return this.#pub.sent;
  }

  get publisher(): LoadPublisher {
    return this.#pub;
  }

  /** Joins, publishes, starts sending, and subscribes to everyone already publishing. */
  async join(sourceAddress: string): Promise<void> {
    const signal = await Signal.connect(this.#ctx.url, sourceAddress);
    this.#signal = signal;
    this.#sub.signal = signal;
    signal.onNotification = (m) => {
      if (m.type !== 'user-published') return;
      const target = this.#ctx.find(this.channel, m.uid);
      if (target) this.#enqueue(() => this.#subscribe(target));
    };
    const joined = await signal.join(this.channel);
    this.uid = joined.uid;
    await this.#enqueue(() => this.#pub.publishVia(signal));
    this.#ctx.pacer.add(this.#pub);
    // Those publishing already; the others announce themselves with user-published.
    const users = (joined.users as { uid: unknown; hasAudio: boolean }[]) ?? [];
    const present = users
      .filter((u) => u.hasAudio)
      .map((u) => this.#ctx.find(this.channel, u.uid))
      .filter((p) => p !== undefined);
    await Promise.all(present.map((target) => this.#enqueue(() => this.#subscribe(target))));
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #subscribe(target: SoakParticipant): Promise<void> {
    // The target may not be sending yet (user-published comes before its DTLS is up): that is
    // fine, counting starts at its packet count now plus the settle window.
    if (this.leaving || target.leaving || target.uid === null || this.subscriptions.has(target)) return;
    const stream = new StreamCounter(); // counts nothing until setRange
    this.#sub.streams.set(target.index, stream);
    try {
      await this.#sub.subscribe(target.uid as number);
    } catch (error) {
      this.#sub.streams.delete(target.index);
      // The target (or we) left meanwhile: churn, not a failure.
      if (!this.leaving && !target.leaving)
        this.#ctx.onError(`subscribe ${this.index} -> ${target.index}`, error);
      return;
    }
    if (this.leaving || target.leaving) {
      this.#sub.streams.delete(target.index);
      return;
    }
    const from = target.sent + this.#ctx.settlePackets;
    stream.setRange(from);
    this.subscriptions.set(target, { target, stream, from, to: null });
  }

  /** Stops counting `sub` at the packets its publisher has sent so far. */
  static cut(s: Subscription): void {
    s.to = s.target.sent;
    s.stream.rangeTo = s.to;
  }

  /** Forgets a booked subscription (its counter is no longer fed). */
  drop(s: Subscription): void {
    this.subscriptions.delete(s.target);
    this.#sub.streams.delete(s.target.index);
  }

  /** Leaves the channel and closes every connection. */
  async leave(): Promise<void> {
    this.leaving = true;
    this.#ctx.pacer.remove(this.#pub);
    const signal = this.#signal;
    if (signal) {
      try {
        await signal.request('leave');
      } catch {
        // the socket is gone: the server treats it as a leave after its resume grace
      }
    }
    this.#pub.close();
    this.#sub.close();
  }
}
