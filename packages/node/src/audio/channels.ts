import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';

/**
 * Converts interleaved 16-bit PCM between mono and stereo.
 *
 * Mono to stereo copies each sample to both channels; stereo to mono averages left and right
 * (rounding toward negative infinity). When `from === to` the input itself is returned (no copy,
 * `out` untouched).
 *
 * @param input - Interleaved samples with `from` channels.
 * @param from - Channels of `input`, 1 or 2.
 * @param to - Channels wanted, 1 or 2.
 * @param out - Optional destination, to avoid allocating: at least `frames * to` samples long.
 *   Default: a new array. When longer than needed, the result is written at its start and a
 *   `subarray` of it is returned.
 * @returns The converted samples (`out`, a view of it, a new array, or `input` when `from === to`).
 * @throws PatchbayError `INVALID_PCM_LENGTH` when stereo input has an odd length;
 *   `INVALID_PARAMS` when `out` is too short.
 */
export function convertChannels(input: Int16Array, from: 1 | 2, to: 1 | 2, out?: Int16Array): Int16Array {
  if (from === to) return input;
  if (from === 2 && input.length % 2 !== 0) {
    throw new PatchbayError(
      ErrorCode.INVALID_PCM_LENGTH,
      `Stereo PCM must hold an even number of samples; got ${input.length}.`,
    );
  }
  const frames = from === 2 ? input.length / 2 : input.length;
  const needed = frames * to;
  let dst: Int16Array;
  if (out === undefined) {
    dst = new Int16Array(needed);
  } else if (out.length < needed) {
    throw PatchbayError.invalidParams(
      `convertChannels: out holds ${out.length} samples but ${needed} are needed (${frames} frames x ${to}).`,
    );
  } else {
    dst = out;
  }
  if (to === 2) {
    for (let i = 0, j = 0; i < frames; i++, j += 2) {
      const s = input[i];
      dst[j] = s;
      dst[j + 1] = s;
    }
  } else {
    for (let i = 0, j = 0; i < frames; i++, j += 2) {
      dst[i] = (input[j] + input[j + 1]) >> 1;
    }
  }
  return dst.length === needed ? dst : dst.subarray(0, needed);
}
