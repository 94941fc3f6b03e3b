import createRnnoise, { type RnnoiseModule } from '@echogarden/rnnoise-wasm';
import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';

const FRAME = 480; // RNNoise works on 10 ms at 48 kHz, the SDK's own frame

let module: Promise<RnnoiseModule> | null = null;

/**
 * Noise suppression with RNNoise (xiph/rnnoise compiled to WebAssembly), on the SDK's 10 ms,
 * 48 kHz frames: the "before processing" position of custom audio. @roamhq/wrtc does not expose
 * libwebrtc's audio processing module, so there is no AEC or AGC here, only noise suppression.
 * One RNNoise state per channel; the WebAssembly module is loaded once and shared.
 */
export class NoiseSuppressor {
  readonly channels: 1 | 2;
  readonly #m: RnnoiseModule;
  readonly #states: number[];
  readonly #ptr: number;
  #destroyed = false;
  /** Voice probability (0..1) RNNoise gave the last frame, first channel. */
  lastVad = 0;

  private constructor(m: RnnoiseModule, channels: 1 | 2) {
    this.#m = m;
    this.channels = channels;
    this.#states = Array.from({ length: channels }, () => m._rnnoise_create(0));
    this.#ptr = m._malloc(FRAME * 4);
  }

  /** Loads RNNoise (once per process) and makes a suppressor for `channels` interleaved channels. */
  static async create(channels: 1 | 2): Promise<NoiseSuppressor> {
    module ??= createRnnoise();
    const m = await module;
    if (m._rnnoise_get_frame_size() !== FRAME) {
      throw new PatchbayError(
        ErrorCode.INTERNAL_ERROR,
        `RNNoise frame size ${m._rnnoise_get_frame_size()}, expected ${FRAME}`,
      );
    }
    return new NoiseSuppressor(m, channels);
  }

  /** Denoises one 10 ms, 48 kHz frame of interleaved samples in place. Allocates nothing. */
  process(samples: Int16Array, channels: 1 | 2 = this.channels): void {
    if (this.#destroyed || channels !== this.channels || samples.length !== FRAME * channels) return;
    const m = this.#m;
    const base = this.#ptr >> 2;
    for (let c = 0; c < channels; c++) {
      // HEAPF32 is re-read each time: it is replaced if the WebAssembly memory grows.
      let heap = m.HEAPF32;
      for (let i = 0; i < FRAME; i++) heap[base + i] = samples[i * channels + c];
      const vad = m._rnnoise_process_frame(this.#states[c], this.#ptr, this.#ptr);
      if (c === 0) this.lastVad = vad;
      heap = m.HEAPF32;
      for (let i = 0; i < FRAME; i++) {
        const v = Math.round(heap[base + i]);
        samples[i * channels + c] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const s of this.#states) this.#m._rnnoise_destroy(s);
    this.#m._free(this.#ptr);
  }
}
