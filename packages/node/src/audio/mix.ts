import { PatchbayError } from '../errors.js';

/**
 * Adds a frame of 16-bit samples into a 32-bit accumulator: `acc[i] += round(frame[i] * gain)`.
 * Mix any number of sources into one zeroed accumulator, then call {@link saturateTo}. Allocates nothing.
 *
 * Sums stay exact while they fit in int32 (over 65 000 full-scale sources at gain 1); beyond
 * that they wrap, as Int32Array stores do.
 *
 * @param acc - Accumulator; only its first `frame.length` entries are touched.
 * @param frame - Samples to add (interleaved or not; positions are matched one to one).
 * @param gain - Linear factor applied to `frame`. Default 1 (added as is).
 * @throws PatchbayError `INVALID_PARAMS` when `frame` is longer than `acc`.
 */
export function mixInto(acc: Int32Array, frame: Int16Array, gain = 1): void {
  const n = frame.length;
  if (n > acc.length) {
    throw PatchbayError.invalidParams(
      `mixInto: frame has ${n} samples but the accumulator only ${acc.length}.`,
    );
  }
  if (gain === 1) {
    for (let i = 0; i < n; i++) acc[i] += frame[i];
  } else {
    for (let i = 0; i < n; i++) acc[i] += Math.round(frame[i] * gain);
  }
}

/**
 * Writes an accumulator back as 16-bit samples, clipping each value to -32768..32767.
 * Does not clear `acc` (call `acc.fill(0)` before mixing the next frame). Allocates nothing.
 *
 * @param acc - Mixed samples.
 * @param out - Destination; its first `acc.length` entries are written.
 * @throws PatchbayError `INVALID_PARAMS` when `out` is shorter than `acc`.
 */
export function saturateTo(acc: Int32Array, out: Int16Array): void {
  const n = acc.length;
  if (out.length < n) {
    throw PatchbayError.invalidParams(`saturateTo: out has ${out.length} samples but the accumulator ${n}.`);
  }
  for (let i = 0; i < n; i++) {
    const v = acc[i];
    out[i] = Math.min(32767, Math.max(-32768, v));
  }
}
