import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';

/** Sample rates (Hz) accepted for pushed PCM. Audio is resampled to 48 kHz for sending. */
export const SUPPORTED_INPUT_RATES = [8000, 16000, 32000, 44100, 48000] as const;

/** Whether typed-array views on this host read 16-bit samples little-endian (true on every common CPU). */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A short description of a value for error messages: `48000`, `"2"`, `Float32Array`, `null`. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'object';
  }
  return typeof value;
}

/**
 * Checks a PCM format description, throwing a {@link PatchbayError} with code
 * `UNSUPPORTED_AUDIO_FORMAT` unless it is one the SDK accepts.
 *
 * @param sampleRate - Must be one of {@link SUPPORTED_INPUT_RATES}.
 * @param channels - Must be 1 (mono) or 2 (interleaved stereo).
 * @param bytesPerSample - Must be 2 (signed 16-bit little-endian). Defaults to 2.
 * @throws PatchbayError `UNSUPPORTED_AUDIO_FORMAT`, saying what was given and what is accepted.
 */
export function checkAudioFormat(sampleRate: unknown, channels: unknown, bytesPerSample: unknown = 2): void {
  if (!(SUPPORTED_INPUT_RATES as readonly unknown[]).includes(sampleRate)) {
    throw new PatchbayError(
      ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
      `Unsupported sample rate ${describe(sampleRate)}: use one of ${SUPPORTED_INPUT_RATES.join(', ')} Hz.`,
    );
  }
  if (channels !== 1 && channels !== 2) {
    throw new PatchbayError(
      ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
      `Unsupported channel count ${describe(channels)}: use 1 (mono) or 2 (interleaved stereo).`,
    );
  }
  if (bytesPerSample !== 2) {
    throw new PatchbayError(
      ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
      `Unsupported bytes per sample ${describe(bytesPerSample)}: only 2 (signed 16-bit little-endian PCM) is accepted.`,
    );
  }
}

/** Throws `INVALID_PCM_LENGTH` unless `byteLength` is a positive multiple of one sample-frame. */
function checkByteLength(byteLength: number, channels: number): void {
  const frameBytes = 2 * channels;
  const unit = channels === 1 ? '2 (one 16-bit sample)' : `${frameBytes} (2 bytes x ${channels} channels)`;
  if (byteLength === 0) {
    throw new PatchbayError(
      ErrorCode.INVALID_PCM_LENGTH,
      `PCM is empty (0 bytes): push at least one sample-frame; the byte length must be a multiple of ${unit}.`,
    );
  }
  if (byteLength % frameBytes !== 0) {
    const why = byteLength % 2 !== 0 ? ' (odd, so not whole 16-bit samples)' : '';
    throw new PatchbayError(
      ErrorCode.INVALID_PCM_LENGTH,
      `PCM byte length ${byteLength}${why} is not a multiple of ${unit}.`,
    );
  }
}

/**
 * Views pushed PCM as interleaved signed 16-bit samples.
 *
 * Accepts a `Buffer`, a `Uint8Array` (bytes of 16-bit little-endian PCM, at any `byteOffset`) or an
 * `Int16Array`. An `Int16Array`, or bytes at an even offset, are returned as a view of the same
 * memory without copying (so the result changes if the caller later writes to its buffer); bytes at
 * an odd offset (or on a big-endian host) are copied.
 *
 * @param data - The PCM to view.
 * @param channels - Channels per sample-frame, 1 or 2.
 * @returns The samples, interleaved; `length` is a multiple of `channels`.
 * @throws PatchbayError `INVALID_PCM_TYPE` for any other type (Float32Array, arrays, strings, null, ...);
 *   `INVALID_PCM_LENGTH` when the byte length is zero, odd, or not a multiple of `2 * channels`;
 *   `UNSUPPORTED_AUDIO_FORMAT` when `channels` is not 1 or 2.
 */
export function toInt16Samples(data: unknown, channels: number): Int16Array {
  if (channels !== 1 && channels !== 2) {
    throw new PatchbayError(
      ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
      `Unsupported channel count ${describe(channels)}: use 1 (mono) or 2 (interleaved stereo).`,
    );
  }
  if (data instanceof Int16Array) {
    checkByteLength(data.byteLength, channels);
    return data;
  }
  if (!(data instanceof Uint8Array)) {
    throw new PatchbayError(
      ErrorCode.INVALID_PCM_TYPE,
      `PCM must be a Buffer, Uint8Array or Int16Array of 16-bit little-endian samples; got ${describe(data)}.`,
    );
  }
  checkByteLength(data.byteLength, channels);
  const count = data.byteLength / 2;
  if (HOST_IS_LITTLE_ENDIAN && data.byteOffset % 2 === 0) {
    return new Int16Array(data.buffer, data.byteOffset, count);
  }
  const out = new Int16Array(count);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(data);
  } else {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
  }
  return out;
}

/**
 * Converts float PCM (-1..1) to 16-bit samples, checking every value first so that nothing is
 * written when one is bad. Allocates nothing.
 *
 * @param input - Float samples, interleaved.
 * @param out - Destination, at least `input.length` long; the first `input.length` entries are written.
 * @throws PatchbayError `INVALID_PCM_VALUE` for NaN, an infinity, or a value outside -1..1 (its index is in the message).
 */
export function floatToInt16(input: Float32Array, out: Int16Array): void {
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const v = input[i];
    if (!(v >= -1 && v <= 1)) {
      throw new PatchbayError(
        ErrorCode.INVALID_PCM_VALUE,
        `Float PCM sample ${i} is ${String(v)}: float samples must be finite numbers from -1 to 1.`,
      );
    }
  }
  for (let i = 0; i < n; i++) {
    const v = Math.round(input[i] * 32768);
    out[i] = v > 32767 ? 32767 : v;
  }
}
