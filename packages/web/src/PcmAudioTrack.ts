import { PatchbayError } from '@patchbay/client';
import { ErrorCode } from '@patchbay/protocol';
import { audioContext } from './audio.js';
import type { AudioEncoderConfiguration, AudioEncoderConfigurationPreset } from './encoderConfig.js';
import { notSupported } from './errors.js';
import { LocalAudioTrack } from './LocalAudioTrack.js';
import { PCM_WORKLET_NAME, PCM_WORKLET_SOURCE } from './pcmWorklet.js';

/** Sample rates (Hz) accepted for pushed PCM, as in the Node SDK. */
export const PCM_SAMPLE_RATES = [8000, 16000, 32000, 44100, 48000] as const;

export interface PcmAudioTrackInitConfig {
  /** Rate of the PCM you push: 8000, 16000, 32000, 44100 or 48000 Hz. */
  sampleRate: number;
  /** 1 (mono) or 2 (interleaved stereo). */
  channels: 1 | 2;
  /** Audio the worklet's ring holds before push() applies back-pressure, ms (10..60000). Default 200. */
  bufferMs?: number;
  encoderConfig?: AudioEncoderConfiguration | AudioEncoderConfigurationPreset;
}

/** Counters, in sample-frames at the pushed rate (one sample per channel) unless noted. */
export interface PcmAudioTrackStats {
  /** Frames accepted by push() (including those still waiting). */
  pushedFrames: number;
  /** Frames of real audio played. */
  playedFrames: number;
  /** Frames of silence played because nothing was queued (before the first push, on underrun, after the end). */
  silenceFrames: number;
  /** Times playout went from real audio to starved (events, not frames). */
  underruns: number;
  /** Frames dropped by clearBuffer(). */
  clearedFrames: number;
}

interface Pending {
  data: Float32Array;
  offset: number;
  resolve: () => void;
}

interface WorkletStatus {
  taken: number;
  played: number;
  silence: number;
  underruns: number;
  cleared: number;
  queued: number;
  firstOutputFrame: number;
  frame: number;
}

const RESOLVED: Promise<void> = Promise.resolve();
const moduleLoads = new WeakMap<BaseAudioContext, Promise<void>>();

function loadWorklet(ctx: AudioContext): Promise<void> {
  let load = moduleLoads.get(ctx);
  if (!load) {
    if (!ctx.audioWorklet) {
      return Promise.reject(
        notSupported('this page has no AudioWorklet (it needs a secure context: https or localhost)'),
      );
    }
    const url = URL.createObjectURL(new Blob([PCM_WORKLET_SOURCE], { type: 'text/javascript' }));
    load = ctx.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
    moduleLoads.set(ctx, load);
  }
  return load;
}

/**
 * A local audio track fed with your own PCM: the browser twin of the Node SDK's PcmAudioTrack.
 * push() queues interleaved 16-bit or float PCM; an AudioWorklet plays it on the AudioContext's
 * clock (so pacing is the audio hardware's, never a timer's) out of a ring buffer of `bufferMs`.
 * When the ring is full, push() resolves only once its audio is in (back-pressure); nothing is
 * dropped except by clearBuffer(). A starved ring plays silence (counted in `stats`).
 *
 * Data flow: push() -> pending FIFO (main thread) -> ring (AudioWorklet, pushed rate) ->
 * linear resampler -> the track's gain nodes -> what is published.
 */
export class PcmAudioTrack extends LocalAudioTrack {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly bufferMs: number;
  /** Resolves once the worklet runs; pushes made before wait for it in order. */
  readonly ready: Promise<void>;
  readonly #input: GainNode;
  readonly #capacity: number;
  #node: AudioWorkletNode | null = null;
  readonly #pending: Pending[] = [];
  #pendingFrames = 0;
  /** Frames posted to the worklet, and frames the worklet has taken out (played or cleared). */
  #sent = 0;
  #status: WorkletStatus = {
    taken: 0,
    played: 0,
    silence: 0,
    underruns: 0,
    cleared: 0,
    queued: 0,
    firstOutputFrame: -1,
    frame: 0,
  };
  #pushed = 0;
  /** Frames dropped on the main thread by clearBuffer() (never sent). */
  #droppedPending = 0;
  #waiters: { target: number; resolve: () => void }[] = [];
  #clearFloor = 0;
  #pcmClosed = false;

  /** @internal use createPcmAudioTrack() */
  constructor(config: PcmAudioTrackInitConfig) {
    if (config === null || typeof config !== 'object') {
      throw PatchbayError.invalidParams('createPcmAudioTrack() takes { sampleRate, channels, bufferMs? }');
    }
    const { sampleRate, channels } = config;
    if (!(PCM_SAMPLE_RATES as readonly unknown[]).includes(sampleRate)) {
      throw new PatchbayError(
        ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
        `Unsupported sample rate ${String(sampleRate)}: use one of ${PCM_SAMPLE_RATES.join(', ')} Hz.`,
      );
    }
    if (channels !== 1 && channels !== 2) {
      throw new PatchbayError(
        ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
        `Unsupported channel count ${String(channels)}: use 1 (mono) or 2 (interleaved stereo).`,
      );
    }
    const bufferMs = config.bufferMs ?? 200;
    if (typeof bufferMs !== 'number' || !Number.isFinite(bufferMs) || bufferMs < 10 || bufferMs > 60000) {
      throw PatchbayError.invalidParams(`bufferMs must be 10..60000 ms, got ${String(config.bufferMs)}`);
    }
    const ctx = audioContext();
    const input = ctx.createGain();
    super(input, config.encoderConfig, `pcm-${sampleRate}-${channels}`);
    this.#input = input;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.bufferMs = bufferMs;
    this.#capacity = Math.max(1, Math.round((bufferMs * sampleRate) / 1000));
    this.ready = loadWorklet(ctx).then(() => {
      if (this.#pcmClosed) return;
      const node = new AudioWorkletNode(ctx, PCM_WORKLET_NAME, {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [channels],
        processorOptions: { sampleRate, channels, capacityFrames: this.#capacity },
      });
      node.port.onmessage = (e: MessageEvent<WorkletStatus & { type: string }>) => this.#onStatus(e.data);
      node.connect(input);
      this.#node = node;
      this.#flush();
    });
  }

  /**
   * Queues interleaved PCM: Int16Array (16-bit) or Float32Array (-1..1), any whole number of
   * frames. Resolves once the audio is inside the worklet's ring: await it for back-pressure, or
   * ignore it and nothing is lost (what does not fit waits, in order). `timestamp` (ms) is
   * optional and never paces or reorders playout.
   * @throws PatchbayError INVALID_PCM_TYPE, INVALID_PCM_LENGTH, INVALID_PCM_VALUE, INVALID_OPERATION (closed). Nothing queued is lost.
   */
  push(data: Int16Array | Float32Array, timestamp?: number): Promise<void> {
    if (this.#pcmClosed) throw PatchbayError.invalidOperation('push() on a closed track');
    if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isFinite(timestamp))) {
      throw PatchbayError.invalidParams('timestamp must be a finite number of ms, or omitted');
    }
    let samples: Float32Array;
    if (data instanceof Int16Array) {
      this.#checkLength(data.length);
      samples = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) samples[i] = data[i] / 32768;
    } else if (data instanceof Float32Array) {
      this.#checkLength(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (!(v >= -1 && v <= 1)) {
          throw new PatchbayError(
            ErrorCode.INVALID_PCM_VALUE,
            `Float PCM sample ${i} is ${String(v)}: every value must be a number in -1..1.`,
          );
        }
      }
      samples = Float32Array.from(data);
    } else {
      const name = (data as { constructor?: { name?: string } } | null)?.constructor?.name;
      throw new PatchbayError(
        ErrorCode.INVALID_PCM_TYPE,
        `push() takes an Int16Array (16-bit PCM) or a Float32Array (-1..1), got ${data === null ? 'null' : (name ?? typeof data)}.`,
      );
    }
    const frames = samples.length / this.channels;
    this.#pushed += frames;
    const promise = new Promise<void>((resolve) => {
      this.#pending.push({ data: samples, offset: 0, resolve });
    });
    this.#pendingFrames += frames;
    this.#flush();
    return this.#pending.length === 0 ? RESOLVED : promise;
  }

  #checkLength(length: number): void {
    if (length === 0 || length % this.channels !== 0) {
      throw new PatchbayError(
        ErrorCode.INVALID_PCM_LENGTH,
        `PCM of ${length} samples is not a whole, non-zero number of ${this.channels}-channel frames.`,
      );
    }
  }

  /** Moves pending audio into the worklet while its ring has room. */
  #flush(): void {
    const node = this.#node;
    if (!node) return;
    let room = this.#capacity - (this.#sent - this.#taken);
    while (room > 0 && this.#pending.length > 0) {
      const chunk = this.#pending[0];
      const left = (chunk.data.length - chunk.offset) / this.channels;
      const frames = Math.min(left, room);
      const part = chunk.data.slice(chunk.offset, chunk.offset + frames * this.channels);
      node.port.postMessage({ type: 'data', samples: part }, [part.buffer]);
      chunk.offset += frames * this.channels;
      this.#sent += frames;
      this.#pendingFrames -= frames;
      room -= frames;
      if (chunk.offset === chunk.data.length) {
        this.#pending.shift();
        chunk.resolve();
      }
    }
  }

  #onStatus(status: WorkletStatus): void {
    this.#status = status;
    this.#flush();
    this.#resolveWaiters();
  }

  #resolveWaiters(): void {
    if (this.#waiters.length === 0) return;
    const done = this.#taken + this.#droppedPending;
    const keep: { target: number; resolve: () => void }[] = [];
    for (const w of this.#waiters) {
      if (w.target <= done) w.resolve();
      else keep.push(w);
    }
    this.#waiters = keep;
  }

  /**
   * Drops all queued audio at once (pending pushes resolve). The worklet applies it on its next
   * render quantum (within about 3 ms of audio). Returns how many ms were dropped, as far as the
   * main thread knows.
   */
  clearBuffer(): number {
    const queued = this.queuedDurationMs;
    for (const chunk of this.#pending.splice(0)) chunk.resolve();
    this.#droppedPending += this.#pendingFrames;
    this.#pendingFrames = 0;
    if (this.#node) {
      this.#node.port.postMessage({ type: 'clear' });
      // Everything sent so far is gone once the worklet reads the message (its next quantum).
      this.#clearFloor = this.#sent;
    }
    this.#resolveWaiters();
    return queued;
  }

  /** Frames the worklet has taken out of its ring, counting a clear it has not confirmed yet. */
  get #taken(): number {
    return Math.max(this.#status.taken, this.#clearFloor);
  }

  /** Resolves when everything pushed so far has been played (or dropped by clearBuffer()). */
  waitForPlayout(): Promise<void> {
    const target = this.#pushed;
    if (this.#taken + this.#droppedPending >= target) return RESOLVED;
    return new Promise((resolve) => this.#waiters.push({ target, resolve }));
  }

  /** Audio pushed and not yet played, ms (ring plus what waits on the main thread). */
  get queuedDurationMs(): number {
    const inRing = Math.max(0, this.#sent - this.#taken);
    return ((inRing + this.#pendingFrames) / this.sampleRate) * 1000;
  }

  get stats(): Readonly<PcmAudioTrackStats> {
    const s = this.#status;
    const ratio = this.sampleRate / audioContext().sampleRate;
    return {
      pushedFrames: this.#pushed,
      playedFrames: s.taken - s.cleared,
      silenceFrames: Math.round(s.silence * ratio),
      underruns: s.underruns,
      clearedFrames: s.cleared + this.#droppedPending,
    };
  }

  /**
   * @internal for tests: the worklet's last report (frames of the AudioContext clock:
   * `firstOutputFrame` is when real audio first played, `frame` when the report was made).
   */
  get _workletStatus(): Readonly<WorkletStatus> {
    return { ...this.#status };
  }

  protected override onClose(): void {
    this.#pcmClosed = true;
    for (const chunk of this.#pending.splice(0)) chunk.resolve();
    this.#pendingFrames = 0;
    for (const w of this.#waiters.splice(0)) w.resolve();
    if (this.#node) {
      this.#node.port.postMessage({ type: 'close' });
      this.#node.port.onmessage = null;
      this.#node.disconnect();
      this.#node = null;
    }
    this.#input.disconnect();
  }
}

/** Creates a track you feed with PCM (see PcmAudioTrack.push). Synchronous; pushes wait for `ready` by themselves. */
export function createPcmAudioTrack(config: PcmAudioTrackInitConfig): PcmAudioTrack {
  return new PcmAudioTrack(config);
}
