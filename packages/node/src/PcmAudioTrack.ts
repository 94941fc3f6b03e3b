import { TypedEmitter } from '@patchbay/client';
import { ErrorCode } from '@patchbay/protocol';
import { AudioQueue, type AudioQueueStats } from './audio/AudioQueue.js';
import { checkAudioFormat, floatToInt16, toInt16Samples } from './audio/pcm.js';
import { Resampler } from './audio/Resampler.js';
import { PlayoutWaiters } from './audio/PlayoutWaiters.js';
import { PatchbayError } from './errors.js';
import type { WrtcTrack } from './wrtc.js';

/** Options of a PCM push track. */
export interface PcmAudioTrackOptions {
  /** Rate of the PCM you push: 8000, 16000, 32000, 44100 or 48000 Hz. */
  sampleRate: number;
  /** 1 (mono) or 2 (stereo, interleaved). */
  channels: 1 | 2;
  /**
   * How much audio may wait to be sent before push() applies back-pressure, ms (10..60000).
   * 0 selects the synchronous mode: each push must be a whole number of 10 ms frames, and while
   * the track is sent they go to the encoder inside push() itself, with no queue. Default 200.
   */
  bufferMs?: number;
}

/** Counters of a PCM push track. */
export interface PcmAudioTrackStats extends AudioQueueStats {
  /** Input sample-frames skipped to absorb a producer clock running faster than real time. */
  driftSkippedFrames: number;
  /**
   * Input sample-frames dropped during media outages (reconnection): the queue keeps what was
   * pushed up to its size, then its oldest audio is dropped and counted here.
   */
  outageDroppedFrames: number;
}

/** Events of a PCM push track. */
export type PcmAudioTrackEvents = {
  /** The queue had audio waiting beyond its capacity and now has room again (back-pressure released). */
  drain: [];
};

const RESOLVED: Promise<void> = Promise.resolve();
const OUT_RATE = 48000;
const OUT_FRAME = 480; // 10 ms at 48 kHz
/** Drift absorption: the queue's lowest level over one window (in ticks) above this many ms is standing delay. */
const DRIFT_WINDOW_TICKS = 100;
/** Drift absorption starts when the queue never drained below the jitter cushion plus this margin. */
const DRIFT_MARGIN_MS = 10;
const MAX_SKIP_FRAMES = 4;
/**
 * Jitter cushion: at the start and after an underrun, playout resumes once this much audio is
 * queued (or once audio has waited as many ticks, so a short tail still plays). Without it,
 * pushes paced by a jittery timer play as audio-silence-audio. An underrun that the producer
 * ends within JITTER_TICKS (a late push, not the end of a phrase) grows the cushion by 10 ms,
 * up to PRIME_MAX_MS; every PRIME_DECAY_TICKS without one shrinks it by 10 ms again.
 */
const PRIME_MIN_MS = 30;
const PRIME_MAX_MS = 80;
const JITTER_TICKS = 5;
const PRIME_DECAY_TICKS = 500;

/**
 * A local audio track fed with your own PCM. Pushed audio waits in a bounded queue; whoever sends
 * the track (the client's {@link LocalAudioMixer}, on a drift-corrected 10 ms clock) takes 10 ms
 * at a time out of it with {@link PcmAudioTrack.readFrame}, resampled to 48 kHz. Any push size
 * works (it is re-chunked), timestamps never pace playout, and a starved queue gives silence
 * (counted) so the stream stays continuous.
 *
 * Data flow: push() -> AudioQueue (input rate) -> readFrame(): Resampler -> 48 kHz frame -> mixer -> RTCAudioSource.
 */
export class PcmAudioTrack extends TypedEmitter<PcmAudioTrackEvents> {
  readonly trackMediaType = 'audio';
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly bufferMs: number;
  /** True for bufferMs 0: pushes of whole 10 ms frames are sent inside push(). */
  readonly synchronous: boolean;
  /** Resolves once the resampler is loaded; before that readFrame() gives silence and consumes nothing. */
  readonly ready: Promise<void>;
  readonly #queue: AudioQueue;
  readonly #inFrame: Int16Array;
  readonly #inFrames: number;
  readonly #fifo: Int16Array;
  #fifoFrames = 0;
  /** The first 10 ms of the FIFO, as a view made once. */
  readonly #fifoHead: Int16Array;
  readonly #out: Int16Array;
  readonly #skipViews: Int16Array[];
  #floatScratch = new Int16Array(0);
  #resampler: Resampler | null = null;
  #closed = false;
  #volume = 1;
  /** Input frames fed to the resampler, and 48 kHz frames handed out, since creation. */
  #fedIn = 0;
  #emittedOut = 0;
  readonly #waiters: PlayoutWaiters;
  #windowTicks = 0;
  #windowMin = Infinity;
  #windowMax = 0;
  #skipPerFrame = 0;
  #driftSkipped = 0;
  #outageDropped = 0;
  #hadPending = false;
  #primed = false;
  #primeWait = 0;
  #primingSilence = 0;
  #primeMs = PRIME_MIN_MS;
  /** Ticks since the last underrun (-1: none since audio last resumed). */
  #sinceUnderrun = -1;
  /** Ticks played since the cushion last changed. */
  #steadyTicks = 0;
  /** @internal Set by the mixer that sends this track in synchronous mode: emits one frame now. */
  syncDriver: (() => void) | null = null;
  /** @internal The MediaStreamTrack this track is sent on, set by the mixer that sends it. */
  outputTrack: WrtcTrack | null = null;

  constructor(options: PcmAudioTrackOptions) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw PatchbayError.invalidParams('createCustomAudioTrack needs { sampleRate, channels }');
    }
    checkAudioFormat(options.sampleRate, options.channels);
    const bufferMs = options.bufferMs ?? 200;
    if (!Number.isFinite(bufferMs) || (bufferMs !== 0 && (bufferMs < 10 || bufferMs > 60000))) {
      throw PatchbayError.invalidParams(
        `bufferMs must be 0 (synchronous) or 10..60000 ms, got ${String(options.bufferMs)}`,
      );
    }
    this.sampleRate = options.sampleRate;
    this.channels = options.channels;
    this.bufferMs = bufferMs;
    this.synchronous = bufferMs === 0;
    this.#queue = new AudioQueue({
      sampleRate: this.sampleRate,
      channels: this.channels,
      capacityMs: this.synchronous ? 20 : bufferMs,
    });
    this.#inFrames = this.sampleRate / 100;
    this.#inFrame = new Int16Array(this.#inFrames * this.channels);
    this.#fifo = new Int16Array(4 * OUT_FRAME * this.channels);
    this.#out = new Int16Array(OUT_FRAME * this.channels);
    this.#fifoHead = this.#fifo.subarray(0, OUT_FRAME * this.channels);
    const skip = new Int16Array(MAX_SKIP_FRAMES * this.channels);
    this.#skipViews = Array.from({ length: MAX_SKIP_FRAMES + 1 }, (_, k) =>
      skip.subarray(0, k * this.channels),
    );
    this.#waiters = new PlayoutWaiters(this.channels);
    this.ready = Resampler.create(this.channels, this.sampleRate, OUT_RATE).then((r) => {
      if (this.#closed) {
        r.destroy();
        return;
      }
      this.#resampler = r;
      if (this.sampleRate !== OUT_RATE) {
        // Pre-roll 10 ms of silence, so the resampler's look-ahead is filled once and each
        // 10 ms read afterwards yields a full frame (a synchronous push never reads ahead).
        const res = r.process(this.#inFrame);
        this.#fifo.set(res);
        this.#fifoFrames = res.length / this.channels;
        this.#fedIn = this.#inFrames;
      }
    });
  }

  /**
   * Queues interleaved PCM of any length that is a whole number of frames: 16-bit (Buffer,
   * Uint8Array or Int16Array) or float -1..1 (Float32Array). Resolves when the audio is inside
   * the send queue: await it to get back-pressure, or ignore it and nothing is lost (excess
   * waits in order). `timestamp` (ms) is optional and never paces or reorders playout.
   * @throws PatchbayError INVALID_PCM_TYPE, INVALID_PCM_LENGTH, INVALID_PCM_VALUE, INVALID_OPERATION (closed). Nothing queued is lost.
   */
  push(data: Buffer | Uint8Array | Int16Array | Float32Array, _timestamp?: number): Promise<void> {
    if (this.#closed) throw new PatchbayError(ErrorCode.INVALID_OPERATION, 'push() on a closed track');
    let samples: Int16Array;
    if (data instanceof Float32Array) {
      if (data.length === 0 || data.length % this.channels !== 0) {
        throw new PatchbayError(
          ErrorCode.INVALID_PCM_LENGTH,
          `Float PCM of ${data.length} samples is not a whole, non-zero number of ${this.channels}-channel frames.`,
        );
      }
      if (this.#floatScratch.length < data.length) this.#floatScratch = new Int16Array(data.length);
      floatToInt16(data, this.#floatScratch);
      samples =
        this.#floatScratch.length === data.length
          ? this.#floatScratch
          : this.#floatScratch.subarray(0, data.length);
    } else {
      samples = toInt16Samples(data, this.channels);
    }
    if (!this.synchronous) return this.#queue.push(samples);
    const frame = this.#inFrame.length;
    if (samples.length % frame !== 0) {
      throw new PatchbayError(
        ErrorCode.INVALID_PCM_LENGTH,
        `A synchronous track (bufferMs 0) takes whole 10 ms frames (${frame / this.channels} samples per channel at ${this.sampleRate} Hz); got ${samples.length / this.channels}.`,
      );
    }
    const driver = this.syncDriver;
    if (driver === null || this.#resampler === null) return this.#queue.push(samples);
    for (let at = 0; at < samples.length; at += frame) {
      void this.#queue.push(
        at === 0 && samples.length === frame ? samples : samples.subarray(at, at + frame),
      );
      driver();
    }
    return RESOLVED;
  }

  /** Drops all queued audio at once; returns how many ms were dropped. At most 10 ms already resampled still plays. */
  clearBuffer(): number {
    const dropped = this.#queue.clear();
    this.#primed = false;
    this.#sinceUnderrun = -1;
    this.#waiters.onCleared(this.#fedIn);
    this.#resolveEmitted();
    return dropped;
  }

  /** Resolves when everything pushed so far has actually been handed to the encoder (not merely dequeued). */
  waitForPlayout(): Promise<void> {
    const target = this.#queue.pushedSamples;
    const fedPos = this.#queue.consumedSamples >= target ? this.#fedIn : -1;
    return this.#waiters.add(target, fedPos, (this.#emittedOut * this.sampleRate) / OUT_RATE);
  }

  /** Audio waiting to be sent, ms. */
  get queuedDurationMs(): number {
    return this.#queue.queuedDurationMs;
  }

  get stats(): Readonly<PcmAudioTrackStats> {
    const q = this.#queue.stats;
    return {
      ...q,
      silenceFrames: q.silenceFrames + this.#primingSilence,
      driftSkippedFrames: this.#driftSkipped,
      outageDroppedFrames: this.#outageDropped,
    };
  }

  /** Publish gain, 0..1000 (100 = unchanged), as the Web SDK's setVolume. */
  setVolume(volume: number): void {
    if (!Number.isFinite(volume) || volume < 0 || volume > 1000) {
      throw PatchbayError.invalidParams(`volume must be 0..1000, got ${String(volume)}`);
    }
    this.#volume = volume / 100;
  }

  /** The MediaStreamTrack this track is sent on (the client's mixed output), or null while unpublished. */
  getMediaStreamTrack(): WrtcTrack | null {
    return this.outputTrack;
  }

  getTrackLabel(): string {
    return `pcm-${this.sampleRate}-${this.channels}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops the track for good; queued audio is dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#waiters.resolveAll();
    this.#resampler?.destroy();
    this.#resampler = null;
  }

  /**
   * @internal Takes the next 10 ms out of the queue, at 48 kHz in this track's channel count
   * (silence when starved or not loaded yet). The result is reused by the next call. Called by
   * the mixer that sends the track, once per frame it hands to the encoder; allocates nothing.
   */
  readFrame(): Int16Array {
    const resampler = this.#resampler;
    const out = this.#out;
    if (resampler === null) {
      out.fill(0);
      return out;
    }
    const ch = this.channels;
    const need = OUT_FRAME * ch;
    if (!this.synchronous) this.#trackDrift();
    while (this.#fifoFrames * ch < need) {
      if (this.#isPrimed()) this.#read(this.#inFrame, this.#inFrames);
      else {
        this.#inFrame.fill(0);
        this.#fedIn += this.#inFrames;
        this.#primingSilence += this.#inFrames;
      }
      if (this.#skipPerFrame > 0 && this.#queue.queuedFrames > 2 * this.#inFrames)
        this.#read(this.#skipViews[this.#skipPerFrame], 0);
      const res = resampler.process(this.#inFrame);
      const at = this.#fifoFrames * ch;
      const room = this.#fifo.length - at;
      this.#fifo.set(res.length <= room ? res : res.subarray(0, room), at);
      this.#fifoFrames += Math.min(res.length, room) / ch;
    }
    out.set(this.#fifoHead);
    this.#fifo.copyWithin(0, need, this.#fifoFrames * ch);
    this.#fifoFrames -= OUT_FRAME;
    if (this.#volume !== 1) {
      const g = this.#volume;
      for (let i = 0; i < out.length; i++) {
        const v = Math.round(out[i] * g);
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
    this.#emittedOut += OUT_FRAME;
    this.#resolveEmitted();
    const pending = this.#queue.hasPending;
    if (this.#hadPending && !pending) this.emit('drain');
    this.#hadPending = pending;
    return out;
  }

  /**
   * @internal Called instead of readFrame() once per 10 ms while the media path is down
   * (reconnecting): what is pushed stays queued up to the queue's size; beyond that the oldest
   * 10 ms is dropped and counted (stats.outageDroppedFrames), so the app never blocks and the
   * newest audio is sent once the path is back. Returns the input frames dropped.
   */
  holdFrame(): number {
    if (this.#resampler === null) return 0;
    if (!this.#queue.hasPending && this.#queue.queuedDurationMs < this.bufferMs) return 0;
    const before = this.#queue.consumedSamples;
    const real = this.#queue.read(this.#inFrame);
    const dropped = real / this.channels;
    this.#outageDropped += dropped;
    if (this.#waiters.size > 0) this.#waiters.onRead(before, this.#queue.consumedSamples, this.#fedIn, 0);
    const pending = this.#queue.hasPending;
    if (this.#hadPending && !pending) this.emit('drain');
    this.#hadPending = pending;
    return dropped;
  }

  /** Whether to read the queue now (synchronous tracks always do; see PRIME_MIN_MS). */
  #isPrimed(): boolean {
    if (this.synchronous) return true;
    if (this.#primed) {
      if (++this.#steadyTicks >= PRIME_DECAY_TICKS && this.#primeMs > PRIME_MIN_MS) {
        this.#primeMs -= 10;
        this.#steadyTicks = 0;
      }
      return true;
    }
    const queued = this.#queue.queuedFrames;
    if (this.#sinceUnderrun >= 0) this.#sinceUnderrun++;
    if (queued === 0) {
      this.#primeWait = 0;
      return false;
    }
    if (this.#sinceUnderrun >= 0 && this.#sinceUnderrun <= JITTER_TICKS) {
      this.#primeMs = Math.min(PRIME_MAX_MS, this.#primeMs + 10);
      this.#steadyTicks = 0;
    }
    this.#sinceUnderrun = -1;
    if ((queued * 1000) / this.sampleRate >= this.#primeMs || ++this.#primeWait > this.#primeMs / 10) {
      this.#primed = true;
      this.#primeWait = 0;
    }
    return this.#primed;
  }

  /** Reads into `into` from the queue; `fedFrames` of it go to the resampler (0 for skipped input). */
  #read(into: Int16Array, fedFrames: number): void {
    const before = this.#queue.consumedSamples;
    const real = this.#queue.read(into);
    if (fedFrames > 0 && real < fedFrames && this.#primed) {
      this.#primed = false;
      this.#sinceUnderrun = 0;
    }
    if (this.#waiters.size > 0)
      this.#waiters.onRead(before, this.#queue.consumedSamples, this.#fedIn, fedFrames);
    this.#fedIn += fedFrames;
    if (fedFrames === 0) this.#driftSkipped += into.length / this.channels;
  }

  /**
   * Drift absorption: when the queue never drained below the cushion + DRIFT_MARGIN_MS during the last second
   * and never hit its capacity (so the app is not deliberately ahead, as when it awaits
   * back-pressure), the producer's clock runs fast; skip 1..4 input frames per 10 ms (0.2-0.9%)
   * until the standing delay is gone.
   */
  #trackDrift(): void {
    const level = this.#queue.queuedFrames;
    if (level < this.#windowMin) this.#windowMin = level;
    if (level > this.#windowMax) this.#windowMax = level;
    if (++this.#windowTicks < DRIFT_WINDOW_TICKS) return;
    const minMs = (this.#windowMin / this.sampleRate) * 1000;
    const maxMs = (this.#windowMax / this.sampleRate) * 1000;
    const excess = minMs - this.#primeMs - DRIFT_MARGIN_MS;
    this.#skipPerFrame =
      excess > 0 && maxMs < this.bufferMs - 10 ? Math.min(MAX_SKIP_FRAMES, 1 + Math.floor(excess / 20)) : 0;
    this.#windowTicks = 0;
    this.#windowMin = Infinity;
    this.#windowMax = 0;
  }

  #resolveEmitted(): void {
    if (this.#waiters.size > 0) this.#waiters.onEmitted((this.#emittedOut * this.sampleRate) / OUT_RATE);
  }
}
