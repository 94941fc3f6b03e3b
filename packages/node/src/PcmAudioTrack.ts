import { ErrorCode } from '@patchbay/protocol';
import { AudioQueue, type AudioQueueStats } from './audio/AudioQueue.js';
import { Pacer } from './audio/Pacer.js';
import { checkAudioFormat, toInt16Samples } from './audio/pcm.js';
import { Resampler } from './audio/Resampler.js';
import { PatchbayError } from './errors.js';
import { type WrtcAudioData, type WrtcAudioSource, type WrtcTrack, wrtc } from './wrtc.js';

/** Options of a PCM push track. */
export interface PcmAudioTrackOptions {
  /** Rate of the PCM you push: 8000, 16000, 32000, 44100 or 48000 Hz. */
  sampleRate: number;
  /** 1 (mono) or 2 (stereo, interleaved). */
  channels: 1 | 2;
  /** How much audio may wait to be sent before push() applies back-pressure, ms. Default 200. */
  bufferMs?: number;
}

/** Counters of a PCM push track. */
export interface PcmAudioTrackStats extends AudioQueueStats {
  /** Times the send clock fell too far behind and was reset (the event loop was blocked). */
  clockResyncs: number;
}

const OUT_RATE = 48000;
const OUT_FRAME = 480; // 10 ms at 48 kHz

/**
 * A local audio track fed with your own PCM. Pushed audio waits in a bounded queue; a
 * drift-corrected 10 ms clock takes it out in real time, resamples it to 48 kHz and hands it to
 * libwebrtc's encoder. Any push size works (it is re-chunked), timestamps never pace playout,
 * and a starved queue sends silence (counted) so the stream stays continuous.
 *
 * Data flow: push() -> AudioQueue (input rate) -> Pacer tick -> Resampler -> RTCAudioSource.
 */
export class PcmAudioTrack {
  readonly trackMediaType = 'audio';
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly bufferMs: number;
  readonly #queue: AudioQueue;
  readonly #pacer: Pacer;
  readonly #source: WrtcAudioSource;
  readonly #track: WrtcTrack;
  readonly #inFrame: Int16Array;
  readonly #fifo: Int16Array;
  #fifoFrames = 0;
  readonly #frame: WrtcAudioData;
  #resampler: Resampler | null = null;
  #resamplerReady: Promise<void>;
  #closed = false;
  #volume = 1;

  constructor(options: PcmAudioTrackOptions) {
    if (typeof options !== 'object' || options === null) {
      throw PatchbayError.invalidParams('createCustomAudioTrack needs { sampleRate, channels }');
    }
    checkAudioFormat(options.sampleRate, options.channels);
    const bufferMs = options.bufferMs ?? 200;
    if (!Number.isFinite(bufferMs) || bufferMs < 10 || bufferMs > 60000) {
      throw PatchbayError.invalidParams(`bufferMs must be 10..60000 ms, got ${String(options.bufferMs)}`);
    }
    this.sampleRate = options.sampleRate;
    this.channels = options.channels;
    this.bufferMs = bufferMs;
    this.#queue = new AudioQueue({
      sampleRate: this.sampleRate,
      channels: this.channels,
      capacityMs: bufferMs,
    });
    this.#pacer = new Pacer(() => this.#tick());
    const { RTCAudioSource } = wrtc().nonstandard;
    this.#source = new RTCAudioSource();
    this.#track = this.#source.createTrack();
    this.#inFrame = new Int16Array((this.sampleRate / 100) * this.channels);
    this.#fifo = new Int16Array(4 * OUT_FRAME * this.channels);
    this.#frame = {
      samples: new Int16Array(OUT_FRAME * this.channels),
      sampleRate: OUT_RATE,
      bitsPerSample: 16,
      channelCount: this.channels,
      numberOfFrames: OUT_FRAME,
    };
    this.#resamplerReady = Resampler.create(this.channels, this.sampleRate, OUT_RATE).then((r) => {
      if (this.#closed) r.destroy();
      else this.#resampler = r;
    });
  }

  /**
   * Queues interleaved 16-bit PCM (Buffer, Uint8Array or Int16Array) of any length that is a
   * whole number of frames. Resolves when the audio is inside the send queue: await it to get
   * back-pressure, or ignore it and nothing is lost (excess waits in order).
   * `timestamp` (ms) is accepted for API compatibility and never used for pacing.
   * @throws PatchbayError INVALID_PCM_TYPE, INVALID_PCM_LENGTH, INVALID_OPERATION (closed). Nothing queued is lost.
   */
  push(data: Buffer | Uint8Array | Int16Array, _timestamp?: number): Promise<void> {
    if (this.#closed) throw new PatchbayError(ErrorCode.INVALID_OPERATION, 'push() on a closed track');
    return this.#queue.push(toInt16Samples(data, this.channels));
  }

  /** Drops all queued audio at once; returns how many ms were dropped. */
  clearBuffer(): number {
    return this.#queue.clear();
  }

  /** Resolves when everything pushed so far has been handed to the encoder. */
  waitForPlayout(): Promise<void> {
    return this.#queue.waitForPlayout();
  }

  /** Audio waiting to be sent, ms. */
  get queuedDurationMs(): number {
    return this.#queue.queuedDurationMs;
  }

  get stats(): Readonly<PcmAudioTrackStats> {
    return { ...this.#queue.stats, clockResyncs: this.#pacer.resyncs };
  }

  /** Publish gain, 0..1000 (100 = unchanged), as the Web SDK's setVolume. */
  setVolume(volume: number): void {
    if (!Number.isFinite(volume) || volume < 0 || volume > 1000) {
      throw PatchbayError.invalidParams(`volume must be 0..1000, got ${String(volume)}`);
    }
    this.#volume = volume / 100;
  }

  getMediaStreamTrack(): WrtcTrack {
    return this.#track;
  }

  getTrackLabel(): string {
    return `pcm-${this.sampleRate}-${this.channels}`;
  }

  /** @internal Starts the send clock (on publish). */
  async start(): Promise<void> {
    await this.#resamplerReady;
    if (!this.#closed && !this.#pacer.running) this.#pacer.start();
  }

  /** @internal Stops the send clock (on unpublish). Queued audio stays. */
  stop(): void {
    this.#pacer.stop();
  }

  /** Stops the track for good; queued audio is dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pacer.stop();
    this.#queue.clear();
    this.#resampler?.destroy();
    this.#resampler = null;
    this.#track.stop();
  }

  #tick(): void {
    const resampler = this.#resampler;
    if (!resampler) return;
    const ch = this.channels;
    const need = OUT_FRAME * ch;
    while (this.#fifoFrames * ch < need) {
      this.#queue.read(this.#inFrame);
      const out = resampler.process(this.#inFrame);
      const at = this.#fifoFrames * ch;
      const room = this.#fifo.length - at;
      this.#fifo.set(out.length <= room ? out : out.subarray(0, room), at);
      this.#fifoFrames += Math.min(out.length, room) / ch;
    }
    const samples = this.#frame.samples;
    samples.set(this.#fifo.subarray(0, need));
    this.#fifo.copyWithin(0, need, this.#fifoFrames * ch);
    this.#fifoFrames -= OUT_FRAME;
    if (this.#volume !== 1) {
      const g = this.#volume;
      for (let i = 0; i < samples.length; i++) {
        const v = samples[i] * g;
        samples[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
    this.#source.onData(this.#frame);
  }
}
