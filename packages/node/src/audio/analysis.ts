/**
 * Small measurements on 16-bit PCM, for tests and for checking what a subscriber receives.
 * None of these are meant for a real-time hot path.
 */

/**
 * Estimates the frequency of a tone from the rising zero crossings of its first channel.
 *
 * Only the region between the first and last sample whose magnitude exceeds 10% of the peak is
 * used (so leading/trailing silence and fades do not count), its DC offset is removed, crossings
 * are located by linear interpolation between samples, and a crossing only counts after the
 * signal went below -10% of the peak (hysteresis against noise around zero). The result is the
 * number of whole periods between the first and last crossing divided by their distance, which
 * is accurate to well under 0.1% for a clean tone of 0.5 s or more.
 *
 * @param samples - Interleaved 16-bit PCM.
 * @param sampleRate - Sample rate of `samples`, Hz.
 * @param channels - Interleaved channels in `samples`. Default 1.
 * @returns Frequency in Hz, or 0 when fewer than two crossings are found (silence, DC, too short).
 */
export function estimateFrequency(samples: Int16Array, sampleRate: number, channels = 1): number {
  const frames = Math.floor(samples.length / channels);
  if (frames < 2 || !(sampleRate > 0)) return 0;
  let peak = 0;
  for (let i = 0; i < frames; i++) {
    const a = Math.abs(samples[i * channels]);
    if (a > peak) peak = a;
  }
  if (peak === 0) return 0;
  const level = 0.1 * peak;
  let start = -1;
  let end = -1;
  for (let i = 0; i < frames; i++) {
    if (Math.abs(samples[i * channels]) > level) {
      if (start < 0) start = i;
      end = i;
    }
  }
  let sum = 0;
  for (let i = start; i <= end; i++) sum += samples[i * channels];
  const dc = sum / (end - start + 1);

  let armed = false;
  let first = -1;
  let last = -1;
  let count = 0;
  let prev = samples[start * channels] - dc;
  for (let i = start + 1; i <= end; i++) {
    const cur = samples[i * channels] - dc;
    if (cur < -level) {
      armed = true;
    } else if (armed && prev < 0 && cur >= 0) {
      const t = i - 1 + prev / (prev - cur);
      if (first < 0) first = t;
      last = t;
      count++;
      armed = false;
    }
    prev = cur;
  }
  return count >= 2 && last > first ? ((count - 1) * sampleRate) / (last - first) : 0;
}

/**
 * Root mean square of 16-bit samples, as a fraction of full scale (32768).
 *
 * @param samples - Samples (all channels are pooled).
 * @returns 0 for silence or an empty array; about 0.707 for a full-scale sine; at most 1.
 */
export function rms(samples: Int16Array): number {
  const n = samples.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / n) / 32768;
}

/**
 * Finds where a signal is audible: the first and last window whose RMS (all channels pooled)
 * exceeds `threshold`.
 *
 * @param samples - Interleaved 16-bit PCM.
 * @param sampleRate - Sample rate of `samples`, Hz.
 * @param channels - Interleaved channels in `samples`. Default 1.
 * @param threshold - RMS level, as a fraction of full scale, a window must exceed. Default 0.05 (about -26 dBFS).
 * @param windowMs - Window length in ms; windows do not overlap and the last may be shorter. Default 10.
 * @returns The start of the first active window and the end of the last one, in ms from the start
 *   of `samples` (so precise to one window), or `null` when no window exceeds the threshold.
 */
export function findActiveRegion(
  samples: Int16Array,
  sampleRate: number,
  channels = 1,
  threshold = 0.05,
  windowMs = 10,
): { startMs: number; endMs: number } | null {
  const frames = Math.floor(samples.length / channels);
  const window = Math.max(1, Math.round((sampleRate * windowMs) / 1000));
  const limit = threshold * 32768;
  let firstFrame = -1;
  let lastEnd = -1;
  for (let f = 0; f < frames; f += window) {
    const e = Math.min(f + window, frames);
    let sum = 0;
    for (let i = f * channels; i < e * channels; i++) sum += samples[i] * samples[i];
    if (Math.sqrt(sum / ((e - f) * channels)) > limit) {
      if (firstFrame < 0) firstFrame = f;
      lastEnd = e;
    }
  }
  if (firstFrame < 0) return null;
  return { startMs: (firstFrame * 1000) / sampleRate, endMs: (lastEnd * 1000) / sampleRate };
}

/**
 * Generates a sine tone as interleaved 16-bit PCM, the same value on every channel, starting at phase 0.
 *
 * @param freqHz - Tone frequency, Hz.
 * @param sampleRate - Sample rate, Hz.
 * @param channels - 1 (mono) or 2 (interleaved stereo).
 * @param seconds - Duration; the frame count is `round(seconds * sampleRate)`.
 * @param amplitude - Peak level as a fraction of full scale, 0..1. Default 0.5 (-6 dBFS).
 * @returns A new array of `round(seconds * sampleRate) * channels` samples.
 */
export function generateTone(
  freqHz: number,
  sampleRate: number,
  channels: 1 | 2,
  seconds: number,
  amplitude = 0.5,
): Int16Array {
  const frames = Math.round(seconds * sampleRate);
  const out = new Int16Array(frames * channels);
  const step = (2 * Math.PI * freqHz) / sampleRate;
  const scale = amplitude * 32767;
  for (let i = 0; i < frames; i++) {
    const v = Math.round(scale * Math.sin(step * i));
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}
