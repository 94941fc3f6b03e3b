import { PatchbayError } from '../errors.js';

/** Options of a {@link Pacer}. */
export interface PacerOptions {
  /** Frame period, ms. Default 10. */
  frameMs?: number;
  /** Most frames emitted on one wake to catch up after a late timer; further behind, the clock resyncs. Default 5. */
  maxCatchUpFrames?: number;
  /** Clock in ms, high resolution, monotonic. Default `performance.now`. */
  now?: () => number;
}

/**
 * A drift-corrected real-time clock that calls `onFrame` once per frame period.
 *
 * Frame `n` is due at `start + n * frameMs` (frame 0 on the first wake after `start()`), from a
 * fixed base: timer lateness never accumulates. Each wake emits every frame due, up to
 * `maxCatchUpFrames`; when more were due (the event loop was blocked, say for 200 ms), it emits
 * that many, moves the base to now so the next frame is one period away, and counts a resync
 * rather than bursting the whole backlog. Between wakes it sleeps with `setTimeout` until just
 * before the next deadline. While running the timer keeps the process alive; after `stop()`
 * no timer is left.
 *
 * If `onFrame` throws, the error propagates from the timer callback (an uncaught exception,
 * as for any timer), and the pacer keeps its schedule.
 */
export class Pacer {
  readonly #onFrame: () => void;
  readonly #frameMs: number;
  readonly #maxCatchUp: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  /** Bumped by every start()/stop(), so a wake from an older run does nothing. */
  #generation = 0;
  #base = 0;
  /** Index (from #base) of the next frame to emit. */
  #next = 0;
  #framesEmitted = 0;
  #resyncs = 0;
  readonly #tick = (): void => this.#wake();

  /**
   * @param onFrame - Called once per frame, from a timer callback.
   * @param options - See {@link PacerOptions}.
   * @throws PatchbayError `INVALID_PARAMS` when frameMs is not positive or maxCatchUpFrames is not a positive integer.
   */
  constructor(onFrame: () => void, options: PacerOptions = {}) {
    const { frameMs = 10, maxCatchUpFrames = 5, now = () => performance.now() } = options;
    if (!(frameMs > 0) || !Number.isFinite(frameMs)) {
      throw PatchbayError.invalidParams(`Pacer frameMs must be a positive number of ms; got ${frameMs}.`);
    }
    if (!Number.isInteger(maxCatchUpFrames) || maxCatchUpFrames < 1) {
      throw PatchbayError.invalidParams(
        `Pacer maxCatchUpFrames must be a positive integer; got ${maxCatchUpFrames}.`,
      );
    }
    this.#onFrame = onFrame;
    this.#frameMs = frameMs;
    this.#maxCatchUp = maxCatchUpFrames;
    this.#now = now;
  }

  /** Starts the clock from now (the first frame is emitted on the next timer turn). No-op when running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#generation++;
    this.#base = this.#now();
    this.#next = 0;
    this.#schedule(0);
  }

  /** Stops the clock and clears its timer; `onFrame` is not called again until `start()`. No-op when stopped. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Whether the clock is started. */
  get running(): boolean {
    return this.#running;
  }

  /** Calls made to `onFrame` since construction (kept across stop/start). */
  get framesEmitted(): number {
    return this.#framesEmitted;
  }

  /** Times the clock fell more than `maxCatchUpFrames` behind and moved its base forward (kept across stop/start). */
  get resyncs(): number {
    return this.#resyncs;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(this.#tick, delayMs);
  }

  #wake(): void {
    this.#timer = null;
    if (!this.#running) return;
    const generation = this.#generation;
    const frameMs = this.#frameMs;
    const now = this.#now();
    // Frames 0..lastDue are due; #next..lastDue remain to emit.
    const lastDue = Math.floor((now - this.#base) / frameMs);
    let due = lastDue - this.#next + 1;
    let resync = false;
    if (due > this.#maxCatchUp) {
      due = this.#maxCatchUp;
      resync = true;
    }
    try {
      for (let i = 0; i < due; i++) {
        this.#next++;
        this.#framesEmitted++;
        this.#onFrame();
        if (generation !== this.#generation) return;
      }
    } finally {
      if (generation === this.#generation) {
        if (resync) {
          this.#resyncs++;
          this.#base = now;
          this.#next = 1;
        }
        const remaining = this.#base + this.#next * frameMs - this.#now();
        this.#schedule(Math.max(0, Math.ceil(remaining) - 1));
      }
    }
  }
}
