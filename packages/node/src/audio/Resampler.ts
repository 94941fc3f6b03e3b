import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';

/** The converter object libsamplerate-js hands back from `create()`. */
type Converter = Awaited<ReturnType<typeof libsamplerate.create>>;

/** Input frames handed to libsamplerate per call, bounding the float buffers (and staying far under its 4 MB limit). */
const MAX_CHUNK_FRAMES = 4800;
/** Extra output frames allowed per call beyond `ceil(ratio * input)`, for the fractional phase. */
const OUTPUT_SLACK_FRAMES = 16;

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > 192000) {
    throw new PatchbayError(
      ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
      `Resampler ${name} ${String(rate)} is not supported: use an integer sample rate from 1 to 192000 Hz.`,
    );
  }
}

/**
 * Streaming sample-rate converter for interleaved signed 16-bit PCM, built on libsamplerate
 * (`SRC_SINC_MEDIUM_QUALITY`, via WebAssembly). State is kept across {@link Resampler.process}
 * calls, so audio split into chunks of any size comes out continuous.
 *
 * When the input and output rates are equal no converter is loaded and `process()` returns its input.
 *
 * Latency: the converter holds back the last few input frames it needs as look-ahead (the sinc
 * filter's half-length), so the first call returns fewer frames than `ratio * input` and the
 * total output trails by a constant amount (about 47 input frames: ~1 ms at 44.1 kHz, ~6 ms at
 * 8 kHz). There is no flush; the held-back tail is released by the next input.
 *
 * Each converter is its own WebAssembly instance with about 8 MB of memory: create one per source,
 * and call {@link Resampler.destroy} when done.
 */
export class Resampler {
  /** Interleaved channels of input and output, 1 or 2. */
  readonly channels: 1 | 2;
  /** Sample rate of the input, Hz. */
  readonly inputRate: number;
  /** Sample rate of the output, Hz. */
  readonly outputRate: number;
  #src: Converter | null;
  #destroyed = false;
  readonly #ratio: number;
  /** Float input staging, and a cached view of it of the last used length. */
  #floatIn: Float32Array;
  #floatInView: Float32Array;
  /** Float output from libsamplerate. */
  #floatOut: Float32Array;
  /** Int16 output, and a cached view of it of the last returned length. */
  #out: Int16Array;
  #outView: Int16Array;
  readonly #outLength = { frames: 0 };

  private constructor(channels: 1 | 2, inputRate: number, outputRate: number, src: Converter | null) {
    this.channels = channels;
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.#src = src;
    this.#ratio = outputRate / inputRate;
    this.#floatIn = new Float32Array(0);
    this.#floatInView = this.#floatIn;
    this.#floatOut = new Float32Array(0);
    this.#out = new Int16Array(0);
    this.#outView = this.#out;
  }

  /**
   * Loads a converter.
   *
   * @param channels - Interleaved channels, 1 or 2.
   * @param inputRate - Rate of the PCM given to `process()`, Hz (integer, 1..192000).
   * @param outputRate - Rate wanted, Hz. Default 48000.
   * @throws PatchbayError `UNSUPPORTED_AUDIO_FORMAT` for other channel counts or rates.
   */
  static async create(channels: 1 | 2, inputRate: number, outputRate = 48000): Promise<Resampler> {
    if (channels !== 1 && channels !== 2) {
      throw new PatchbayError(
        ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
        `Resampler channel count ${String(channels)} is not supported: use 1 or 2.`,
      );
    }
    checkRate('input rate', inputRate);
    checkRate('output rate', outputRate);
    if (inputRate === outputRate) return new Resampler(channels, inputRate, outputRate, null);
    const src = await libsamplerate.create(channels, inputRate, outputRate, {
      converterType: libsamplerate.ConverterType.SRC_SINC_MEDIUM_QUALITY,
    });
    return new Resampler(channels, inputRate, outputRate, src);
  }

  /**
   * Resamples the next stretch of the stream.
   *
   * The result is a view of a buffer owned by this resampler, valid only until the next call to
   * `process()` (copy it, e.g. by pushing it to an AudioQueue, before calling again). When the
   * rates are equal it is `input` itself. No allocation happens while chunk sizes stay the same.
   *
   * @param input - Interleaved samples at `inputRate`; any whole number of frames, including 0.
   * @returns Interleaved samples at `outputRate` (about `ratio * frames` frames; see the class note on latency).
   * @throws PatchbayError `INVALID_PCM_LENGTH` when `input.length` is not a multiple of `channels`;
   *   `INVALID_OPERATION` after {@link Resampler.destroy}.
   */
  process(input: Int16Array): Int16Array {
    if (this.#destroyed) throw PatchbayError.invalidOperation('Resampler.process() called after destroy().');
    const ch = this.channels;
    if (input.length % ch !== 0) {
      throw new PatchbayError(
        ErrorCode.INVALID_PCM_LENGTH,
        `Resampler input of ${input.length} samples is not a whole number of ${ch}-channel frames.`,
      );
    }
    const src = this.#src;
    if (src === null) return input;
    const maxOut = Math.ceil((input.length / ch) * this.#ratio) + OUTPUT_SLACK_FRAMES;
    if (this.#out.length < maxOut * ch)
      this.#out = new Int16Array(Math.max(maxOut * ch, this.#out.length * 2));
    const out = this.#out;
    const chunk = MAX_CHUNK_FRAMES * ch;
    let written = 0;
    for (let offset = 0; offset < input.length; offset += chunk) {
      const n = Math.min(chunk, input.length - offset);
      const fin = this.#inputView(n);
      for (let i = 0; i < n; i++) fin[i] = input[offset + i] / 32768;
      src.full(fin, this.#outputBuffer(n), this.#outLength);
      const m = this.#outLength.frames * ch;
      if (m < 0 || m > this.#floatOut.length || written + m > out.length) {
        throw new PatchbayError(ErrorCode.INTERNAL_ERROR, `libsamplerate returned ${m} samples for ${n}.`);
      }
      const fout = this.#floatOut;
      for (let i = 0; i < m; i++) {
        const v = fout[i] * 32768;
        out[written + i] = v >= 32767 ? 32767 : v <= -32768 ? -32768 : Math.round(v);
      }
      written += m;
    }
    if (this.#outView.length !== written || this.#outView.buffer !== out.buffer) {
      this.#outView = out.subarray(0, written);
    }
    return this.#outView;
  }

  /**
   * Forgets the stream so far (filter history and held-back look-ahead), as if newly created.
   * Use when the input jumps (a new file, a seek). No-op for a pass-through or destroyed resampler.
   */
  reset(): void {
    const src = this.#src;
    if (src === null) return;
    // libsamplerate-js exposes no src_reset(); setting any parameter deletes and re-creates the state.
    const type = src.converterType;
    src.converterType = type;
  }

  /** Frees the WebAssembly converter. Idempotent; `process()` throws afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#src?.destroy();
    this.#src = null;
    this.#floatIn = new Float32Array(0);
    this.#floatInView = this.#floatIn;
    this.#floatOut = new Float32Array(0);
    this.#out = new Int16Array(0);
    this.#outView = this.#out;
  }

  /** A Float32Array of exactly `n` samples (libsamplerate-js reads `length`), reused across calls. */
  #inputView(n: number): Float32Array {
    if (this.#floatInView.length === n) return this.#floatInView;
    if (this.#floatIn.length < n) this.#floatIn = new Float32Array(Math.max(n, this.#floatIn.length * 2));
    this.#floatInView = this.#floatIn.length === n ? this.#floatIn : this.#floatIn.subarray(0, n);
    return this.#floatInView;
  }

  /** The float output buffer, grown to hold the output of `n` input samples (libsamplerate-js checks its length). */
  #outputBuffer(n: number): Float32Array {
    const needed = Math.ceil(n * this.#ratio) + OUTPUT_SLACK_FRAMES * this.channels;
    if (this.#floatOut.length < needed)
      this.#floatOut = new Float32Array(Math.max(needed, this.#floatOut.length * 2));
    return this.#floatOut;
  }
}
