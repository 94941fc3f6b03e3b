import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';

/** Format and size of an {@link AudioQueue}. */
export interface AudioQueueOptions {
  /** Sample rate of everything pushed and read, Hz. */
  sampleRate: number;
  /** Interleaved channels per sample-frame. */
  channels: number;
  /** Ring capacity in ms of audio (callers default it to 200); rounded to whole frames, at least one. */
  capacityMs: number;
}

/** Counters of an {@link AudioQueue}, in sample-frames (one sample per channel) unless noted. */
export interface AudioQueueStats {
  /** Frames accepted by `push()` (including those still pending). */
  pushedFrames: number;
  /** Frames of real audio returned by `read()`. */
  playedFrames: number;
  /** Frames `read()` had to zero-fill. */
  silenceFrames: number;
  /** Times reading went from playing real audio to starved (a count of events, not frames). */
  underruns: number;
  /** Frames dropped by `clear()`. */
  clearedFrames: number;
}

/** A push that did not fit in the ring yet: copied samples, how far they have moved in, and its promise. */
interface PendingChunk {
  data: Int16Array;
  offset: number;
  resolve: () => void;
}

/** A waitForPlayout() call: resolves once the consumed-sample count reaches `target`. */
interface PlayoutWaiter {
  target: number;
  resolve: () => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A bounded FIFO of interleaved 16-bit PCM at one fixed rate and channel count, measured in ms of
 * audio: producers `push()` at their own pace, a real-time consumer `read()`s fixed frames.
 *
 * The ring is preallocated; pushes that fit are copied into it and resolve at once, without
 * allocating. What does not fit waits, in order, in a FIFO of pending chunks (nothing is ever
 * dropped except by `clear()`), and its promise resolves when it has all moved into the ring:
 * awaiting each push paces a producer to the consumer.
 */
export class AudioQueue {
  readonly #sampleRate: number;
  readonly #channels: number;
  readonly #ring: Int16Array;
  #readPos = 0;
  #count = 0;
  /** Pending chunks from `#pendingHead` on; consumed slots are cleared, and compacted from time to time. */
  #pending: (PendingChunk | undefined)[] = [];
  #pendingHead = 0;
  #pendingSamples = 0;
  #waiters: (PlayoutWaiter | undefined)[] = [];
  #waiterHead = 0;
  /** Samples ever accepted by push(), and ever consumed by read() or clear(). */
  #pushedTotal = 0;
  #consumedTotal = 0;
  #playing = false;
  readonly #stats: AudioQueueStats = {
    pushedFrames: 0,
    playedFrames: 0,
    silenceFrames: 0,
    underruns: 0,
    clearedFrames: 0,
  };

  /**
   * @param opts - Rate, channels and capacity; see {@link AudioQueueOptions}.
   * @throws PatchbayError `INVALID_PARAMS` unless rate and channels are positive integers and capacityMs is positive.
   */
  constructor(opts: AudioQueueOptions) {
    const { sampleRate, channels, capacityMs } = opts;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0 || !Number.isInteger(channels) || channels <= 0) {
      throw PatchbayError.invalidParams(
        `AudioQueue needs a positive integer sampleRate and channels; got ${sampleRate} and ${channels}.`,
      );
    }
    if (!(capacityMs > 0) || !Number.isFinite(capacityMs)) {
      throw PatchbayError.invalidParams(
        `AudioQueue capacityMs must be a positive number of ms; got ${capacityMs}.`,
      );
    }
    this.#sampleRate = sampleRate;
    this.#channels = channels;
    const frames = Math.max(1, Math.round((capacityMs * sampleRate) / 1000));
    this.#ring = new Int16Array(frames * channels);
  }

  /**
   * Appends samples (a copy is kept, so the caller may reuse its buffer at once). Never drops:
   * what exceeds capacity waits in a FIFO of pending chunks.
   *
   * @param samples - Interleaved samples, a whole number of frames (may be empty).
   * @returns A promise that resolves once all of this push is inside the queue (back-pressure),
   *   at once when it fits (or is empty), or when `clear()` drops it. Rejects with PatchbayError
   *   `INVALID_PCM_LENGTH` when `samples.length` is not a multiple of `channels`.
   */
  push(samples: Int16Array): Promise<void> {
    const n = samples.length;
    if (n % this.#channels !== 0) {
      return Promise.reject(
        new PatchbayError(
          ErrorCode.INVALID_PCM_LENGTH,
          `Pushed ${n} samples, not a whole number of ${this.#channels}-channel frames.`,
        ),
      );
    }
    this.#pushedTotal += n;
    this.#stats.pushedFrames += n / this.#channels;
    let taken = 0;
    if (this.#pendingHead === this.#pending.length) taken = this.#write(samples, 0, n);
    if (taken === n) return RESOLVED;
    const data = samples.slice(taken);
    this.#pendingSamples += data.length;
    return new Promise<void>((resolve) => {
      this.#pending.push({ data, offset: 0, resolve });
    });
  }

  /**
   * Fills `out` from the queue, zero-filling what is missing, and moves pending chunks into the
   * ring as space frees. Counts `silenceFrames` for every zero-filled frame, and one underrun
   * when a read comes up short after real audio had been playing (until real audio plays again).
   * Allocates nothing.
   *
   * @param out - Destination; its length must be a multiple of `channels` (`frameCount * channels`).
   * @returns The number of sample-frames of real audio written at the start of `out`.
   * @throws PatchbayError `INVALID_PARAMS` when `out.length` is not a multiple of `channels`.
   */
  read(out: Int16Array): number {
    const ch = this.#channels;
    if (out.length % ch !== 0) {
      throw PatchbayError.invalidParams(
        `AudioQueue.read: ${out.length} samples is not a whole number of frames.`,
      );
    }
    let got = 0;
    for (;;) {
      got += this.#take(out, got, out.length - got);
      this.#refill();
      if (got === out.length || this.#count === 0) break;
    }
    if (got < out.length) out.fill(0, got);
    this.#consumedTotal += got;
    const real = got / ch;
    const missing = (out.length - got) / ch;
    this.#stats.playedFrames += real;
    this.#stats.silenceFrames += missing;
    if (real > 0) this.#playing = true;
    if (missing > 0 && this.#playing) {
      this.#stats.underruns++;
      this.#playing = false;
    }
    if (got > 0) this.#resolveWaiters();
    return real;
  }

  /**
   * Drops everything queued and pending at once. Pending push promises and waitForPlayout()
   * promises resolve. A read that then comes up short is not counted as an underrun.
   *
   * @returns The dropped duration, ms.
   */
  clear(): number {
    const dropped = this.#count + this.#pendingSamples;
    this.#readPos = 0;
    this.#count = 0;
    const pending = this.#pending;
    const head = this.#pendingHead;
    this.#pending = [];
    this.#pendingHead = 0;
    this.#pendingSamples = 0;
    this.#consumedTotal += dropped;
    this.#stats.clearedFrames += dropped / this.#channels;
    this.#playing = false;
    for (let i = head; i < pending.length; i++) pending[i]?.resolve();
    this.#resolveWaiters();
    return this.#samplesToMs(dropped);
  }

  /** Queued plus pending audio, ms. */
  get queuedDurationMs(): number {
    return this.#samplesToMs(this.#count + this.#pendingSamples);
  }

  /**
   * Waits for playout.
   *
   * @returns A promise that resolves when every sample pushed before this call has been returned
   *   by `read()` (or dropped by `clear()`); already resolved when the queue is empty.
   */
  waitForPlayout(): Promise<void> {
    const target = this.#pushedTotal;
    if (this.#consumedTotal >= target) return RESOLVED;
    return new Promise<void>((resolve) => {
      this.#waiters.push({ target, resolve });
    });
  }

  /** Samples (not frames) ever accepted by `push()`. */
  get pushedSamples(): number {
    return this.#pushedTotal;
  }

  /** Samples (not frames) ever taken out by `read()` or dropped by `clear()`; real audio only. */
  get consumedSamples(): number {
    return this.#consumedTotal;
  }

  /** Whether some pushed audio is still waiting outside the ring (the producer is ahead by more than the capacity). */
  get hasPending(): boolean {
    return this.#pendingSamples > 0;
  }

  /** Queued plus pending audio, in sample-frames. */
  get queuedFrames(): number {
    return (this.#count + this.#pendingSamples) / this.#channels;
  }

  /** A snapshot of the counters (a new object each call). */
  get stats(): Readonly<AudioQueueStats> {
    return { ...this.#stats };
  }

  #samplesToMs(samples: number): number {
    return (samples / this.#channels / this.#sampleRate) * 1000;
  }

  /** Copies up to `n` samples of `src` from `from` into the ring's free space; returns how many. */
  #write(src: Int16Array, from: number, n: number): number {
    const ring = this.#ring;
    const cap = ring.length;
    const take = Math.min(n, cap - this.#count);
    let pos = this.#readPos + this.#count;
    if (pos >= cap) pos -= cap;
    for (let i = 0; i < take; i++) {
      ring[pos] = src[from + i];
      if (++pos === cap) pos = 0;
    }
    this.#count += take;
    return take;
  }

  /** Moves up to `n` samples from the ring into `out` at `at`; returns how many. */
  #take(out: Int16Array, at: number, n: number): number {
    const ring = this.#ring;
    const cap = ring.length;
    const take = Math.min(n, this.#count);
    let pos = this.#readPos;
    for (let i = 0; i < take; i++) {
      out[at + i] = ring[pos];
      if (++pos === cap) pos = 0;
    }
    this.#readPos = pos;
    this.#count -= take;
    return take;
  }

  /** Moves pending chunks into the ring while it has room, resolving the pushes that complete. */
  #refill(): void {
    const pending = this.#pending;
    while (this.#pendingHead < pending.length && this.#count < this.#ring.length) {
      const chunk = pending[this.#pendingHead];
      if (chunk === undefined) break;
      const moved = this.#write(chunk.data, chunk.offset, chunk.data.length - chunk.offset);
      chunk.offset += moved;
      this.#pendingSamples -= moved;
      if (chunk.offset < chunk.data.length) break;
      pending[this.#pendingHead++] = undefined;
      chunk.resolve();
    }
    if (this.#pendingHead === pending.length && pending.length > 0) {
      pending.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead >= 64 && this.#pendingHead * 2 >= pending.length) {
      pending.splice(0, this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  #resolveWaiters(): void {
    const waiters = this.#waiters;
    while (this.#waiterHead < waiters.length) {
      const w = waiters[this.#waiterHead];
      if (w === undefined || w.target > this.#consumedTotal) break;
      waiters[this.#waiterHead++] = undefined;
      w.resolve();
    }
    if (this.#waiterHead === waiters.length && waiters.length > 0) {
      waiters.length = 0;
      this.#waiterHead = 0;
    } else if (this.#waiterHead >= 64 && this.#waiterHead * 2 >= waiters.length) {
      waiters.splice(0, this.#waiterHead);
      this.#waiterHead = 0;
    }
  }
}
