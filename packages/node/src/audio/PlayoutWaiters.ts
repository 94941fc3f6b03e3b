/** One waitForPlayout() call. `fedPos` is -1 until its last sample has been fed to the resampler. */
interface Waiter {
  target: number;
  fedPos: number;
  resolve: () => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The pending waitForPlayout() calls of a {@link PcmAudioTrack}, resolved exactly when their
 * last sample has been handed on, not when it left the queue: the resampler holds look-ahead
 * back and the 48 kHz FIFO holds up to one frame, so "dequeued" comes 1-20 ms early.
 *
 * Positions: `target` counts samples the queue accepted (its `pushedSamples`); `fedPos` counts
 * input frames fed to the resampler (including silence), at which the last sample sits; the
 * track reports how many input frames' worth of output it has emitted (output frames / ratio,
 * since libsamplerate's output is time-aligned with its input).
 */
export class PlayoutWaiters {
  readonly #channels: number;
  #list: Waiter[] = [];

  constructor(channels: number) {
    this.#channels = channels;
  }

  get size(): number {
    return this.#list.length;
  }

  /** Adds a waiter; `fedPos` is known (>= 0) when its samples were already fed. */
  add(target: number, fedPos: number, emittedIn = -1): Promise<void> {
    if (fedPos >= 0 && fedPos <= emittedIn) return RESOLVED;
    return new Promise<void>((resolve) => this.#list.push({ target, fedPos, resolve }));
  }

  /**
   * A read took queue samples `before..after` and fed `fedFrames` frames of it to the resampler,
   * starting at input frame `fedIn`. Waiters whose last sample was in it learn their position.
   */
  onRead(before: number, after: number, fedIn: number, fedFrames: number): void {
    for (const w of this.#list) {
      if (w.fedPos >= 0) continue;
      if (w.target > after) break;
      w.fedPos = fedIn + Math.min(fedFrames, Math.max(0, w.target - before) / this.#channels);
    }
  }

  /** The queue was cleared: what the waiters still waited for is gone, except what is in flight. */
  onCleared(fedIn: number): void {
    for (const w of this.#list) if (w.fedPos < 0) w.fedPos = fedIn;
  }

  /** Output covering input frames `0..emittedIn` has been handed on. */
  onEmitted(emittedIn: number): void {
    const list = this.#list;
    let n = 0;
    while (n < list.length && list[n].fedPos >= 0 && list[n].fedPos <= emittedIn) n++;
    if (n === 0) return;
    const done = list.splice(0, n);
    for (const w of done) w.resolve();
  }

  resolveAll(): void {
    const list = this.#list;
    this.#list = [];
    for (const w of list) w.resolve();
  }
}
