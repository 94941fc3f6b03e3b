import type { AudioFrame as PcmFrame } from '../AudioFrame.js';
import { convertChannels } from '../audio/channels.js';
import { checkAudioFormat } from '../audio/pcm.js';
import { Resampler } from '../audio/Resampler.js';
import { PatchbayError } from '../errors.js';
import { AudioFrameType, BytesPerSample } from './enums.js';
import type { AudioFrame } from './types.js';

/**
 * Turns the SDK's 10 ms, 48 kHz frames into frames of an app-chosen format (an observer's
 * set…AudioFrameParameters, the external sink): channel conversion, resampling, and re-chunking
 * to `samplesPerCall`. The emitted frame and its buffer are reused: copy what you keep.
 * Frames written before the resampler has loaded are dropped. Allocates nothing per frame.
 */
export class FrameFormatter {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly samplesPerChannel: number;
  readonly #onFrame: (frame: AudioFrame) => void;
  readonly #toMono = new Int16Array(480);
  readonly #toStereo = new Int16Array(960);
  readonly #chunk: Int16Array;
  #filled = 0;
  readonly #frame: AudioFrame;
  #resampler: Resampler | null = null;
  #destroyed = false;

  /**
   * @param samplesPerCall - Samples per emitted frame across all channels (Agora's unit); at least 10 ms.
   * @throws PatchbayError UNSUPPORTED_AUDIO_FORMAT for a bad rate or channel count, INVALID_PARAMS for a bad samplesPerCall.
   */
  constructor(
    sampleRate: number,
    channels: number,
    samplesPerCall: number,
    onFrame: (frame: AudioFrame) => void,
  ) {
    checkAudioFormat(sampleRate, channels);
    const ch = channels as 1 | 2;
    if (
      !Number.isInteger(samplesPerCall) ||
      samplesPerCall % ch !== 0 ||
      samplesPerCall / ch / sampleRate < 0.01
    ) {
      throw PatchbayError.invalidParams(
        `samplesPerCall ${String(samplesPerCall)} must be a whole number of ${ch}-channel frames lasting at least 10 ms (>= ${(sampleRate / 100) * ch}).`,
      );
    }
    if (samplesPerCall / ch > sampleRate * 10) {
      throw PatchbayError.invalidParams(`samplesPerCall ${samplesPerCall} is over 10 s of audio`);
    }
    this.sampleRate = sampleRate;
    this.channels = ch;
    this.samplesPerChannel = samplesPerCall / ch;
    this.#onFrame = onFrame;
    this.#chunk = new Int16Array(samplesPerCall);
    this.#frame = {
      type: AudioFrameType.FrameTypePcm16,
      samplesPerChannel: this.samplesPerChannel,
      bytesPerSample: BytesPerSample.TwoBytesPerSample,
      channels: ch,
      samplesPerSec: sampleRate,
      buffer: new Uint8Array(this.#chunk.buffer),
      renderTimeMs: 0,
    };
    void Resampler.create(ch, 48000, sampleRate).then((r) => {
      if (this.#destroyed) r.destroy();
      else this.#resampler = r;
    });
  }

  /** Adds one 10 ms, 48 kHz frame (mono or stereo); emits every completed output frame. */
  write(frame: PcmFrame): void {
    const resampler = this.#resampler;
    if (resampler === null) return;
    const from = frame.channels as 1 | 2;
    const input =
      from === this.channels
        ? frame.samples
        : convertChannels(
            frame.samples,
            from,
            this.channels,
            this.channels === 2 ? this.#toStereo : this.#toMono,
          );
    const out = resampler.process(input);
    const chunk = this.#chunk;
    let at = 0;
    while (at < out.length) {
      const n = Math.min(out.length - at, chunk.length - this.#filled);
      if (n === out.length) chunk.set(out, this.#filled);
      else for (let i = 0; i < n; i++) chunk[this.#filled + i] = out[at + i];
      this.#filled += n;
      at += n;
      if (this.#filled === chunk.length) {
        this.#filled = 0;
        this.#frame.renderTimeMs = Date.now();
        this.#onFrame(this.#frame);
      }
    }
  }

  destroy(): void {
    this.#destroyed = true;
    this.#resampler?.destroy();
    this.#resampler = null;
  }
}
