import { ErrorCode } from '@patchbay/protocol';
import type { AudioFrame as PcmFrame } from '../AudioFrame.js';
import { AudioQueue } from '../audio/AudioQueue.js';
import { PatchbayError } from '../errors.js';
import { SINK_BUFFER_MS } from './engineDefaults.js';
import { AudioFrameType, BytesPerSample } from './enums.js';
import { FrameFormatter } from './FrameFormatter.js';
import type { AudioFrame } from './types.js';

/**
 * setExternalAudioSink(): what this app would play (everyone subscribed, mixed, plus custom
 * tracks played locally), converted to the sink's format and kept for pullAudioFrame(). When
 * the app pulls too slowly the oldest audio is dropped (at most SINK_BUFFER_MS is kept); when it
 * pulls too fast it gets silence.
 */
export class ExternalAudioSink {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly #formatter: FrameFormatter;
  readonly #queue: AudioQueue;
  readonly #discard: Int16Array;
  readonly #capacityFrames: number;
  #dropped = 0;
  #view: Int16Array | null = null;

  constructor(sampleRate: number, channels: number) {
    this.#formatter = new FrameFormatter(sampleRate, channels, (sampleRate / 100) * channels, (f) =>
      this.#store(f),
    );
    this.sampleRate = sampleRate;
    this.channels = channels as 1 | 2;
    this.#queue = new AudioQueue({ sampleRate, channels, capacityMs: SINK_BUFFER_MS });
    this.#discard = new Int16Array((sampleRate / 100) * channels);
    this.#capacityFrames = (sampleRate * SINK_BUFFER_MS) / 1000;
  }

  /** Playback audio, 10 ms at 48 kHz. */
  write(frame: PcmFrame): void {
    this.#formatter.write(frame);
  }

  /** Audio waiting to be pulled, ms. */
  get queuedDurationMs(): number {
    return this.#queue.queuedDurationMs;
  }

  /** Sample-frames dropped because the app pulled too slowly. */
  get droppedFrames(): number {
    return this.#dropped;
  }

  /**
   * Fills `frame.buffer` with the next `frame.samplesPerChannel` samples per channel (default
   * 10 ms), in the sink's format, silence where nothing is buffered; sets the frame's format fields.
   * @returns 0.
   * @throws PatchbayError INVALID_PARAMS for a frame that is not an object or a bad samplesPerChannel or buffer.
   */
  pull(frame: AudioFrame): number {
    if (typeof frame !== 'object' || frame === null) {
      throw PatchbayError.invalidParams('pullAudioFrame() takes an AudioFrame to fill');
    }
    const spc = frame.samplesPerChannel ?? this.sampleRate / 100;
    if (!Number.isInteger(spc) || spc <= 0 || spc > this.sampleRate * 10) {
      throw PatchbayError.invalidParams(
        `samplesPerChannel must be a positive integer (<= 10 s), got ${String(spc)}`,
      );
    }
    const bytes = spc * this.channels * 2;
    let buffer = frame.buffer;
    if (buffer === undefined) buffer = new Uint8Array(bytes);
    if (!(buffer instanceof Uint8Array || buffer instanceof Int16Array) || buffer.byteLength !== bytes) {
      throw new PatchbayError(
        ErrorCode.INVALID_PCM_LENGTH,
        `pullAudioFrame() needs a buffer of ${bytes} bytes (samplesPerChannel ${spc} x ${this.channels} channels x 2 bytes)`,
      );
    }
    if (buffer.byteOffset % 2 === 0) {
      this.#queue.read(new Int16Array(buffer.buffer, buffer.byteOffset, spc * this.channels));
    } else {
      const tmp = new Int16Array(spc * this.channels);
      this.#queue.read(tmp);
      new Uint8Array(buffer.buffer, buffer.byteOffset, bytes).set(new Uint8Array(tmp.buffer));
    }
    frame.buffer = buffer;
    frame.samplesPerChannel = spc;
    frame.channels = this.channels;
    frame.samplesPerSec = this.sampleRate;
    frame.bytesPerSample = BytesPerSample.TwoBytesPerSample;
    frame.type = AudioFrameType.FrameTypePcm16;
    frame.renderTimeMs = Date.now();
    return 0;
  }

  destroy(): void {
    this.#formatter.destroy();
    this.#queue.clear();
  }

  #store(f: AudioFrame): void {
    const samples = this.#discard.length;
    while (this.#queue.queuedFrames + samples / this.channels > this.#capacityFrames) {
      this.#queue.read(this.#discard);
      this.#dropped += samples / this.channels;
    }
    const b = f.buffer as Uint8Array;
    if (this.#view === null || this.#view.buffer !== b.buffer)
      this.#view = new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
    void this.#queue.push(this.#view);
  }
}
