/**
 * Packets waiting for their delivery time: a binary min-heap on (time, arrival order), driven by
 * one timer set for the earliest. Equal times leave in arrival order.
 */
export interface Delayed {
  at: number;
  order: number;
  send(): void;
}

export class DelayLine {
  readonly #heap: Delayed[] = [];
  #order = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Runs `send` at `at` (a time on the `now` clock), or at once if that has passed. */
  schedule(at: number, send: () => void): void {
    const item: Delayed = { at, order: this.#order++, send };
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
    this.#arm();
  }

  /** Drops everything waiting. */
  clear(): void {
    this.#heap.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  #arm(): void {
    const first = this.#heap[0];
    if (!first || first.at >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = first.at;
    this.#timer = setTimeout(this.#fire, Math.max(0, first.at - this.#now()));
  }

  readonly #fire = (): void => {
    this.#timer = null;
    this.#timerAt = Infinity;
    // Half a millisecond of slack: timers fire on whole milliseconds.
    const now = this.#now() + 0.5;
    while (this.#heap.length > 0 && this.#heap[0].at <= now) this.#pop().send();
    this.#arm();
  };

  #pop(): Delayed {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop() as Delayed;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Delayed, b: Delayed): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
