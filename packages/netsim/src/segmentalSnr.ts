/**
 * Objective quality of received audio against what was sent: segmental SNR after alignment.
 * (PESQ is not available; STOI would need a filterbank for little gain on this signal.)
 *
 * Alignment: the received recording starts at an unknown delay, and the receiver's jitter buffer
 * stretches or shrinks time as it adapts, so one global lag is not enough. A coarse lag comes from
 * cross-correlating 1 ms envelopes; then each 100 ms block of the reference finds its own lag,
 * at full rate, within ±10 ms of the previous block's, or failing that within ±150 ms (at a
 * quarter rate, then refined); blocks that correlate poorly (concealed audio) keep the previous
 * lag. Each 20 ms frame with signal (above -40 dB of the loudest frame) refines its lag within
 * ±1.5 ms of its block's (time stretching is not counted as error, only what it does to the
 * waveform) and scores 10·log10(Σref² / Σ(ref − g·rec)²), clamped to [-10, 35] dB, with one
 * least-squares gain g; the result is their mean.
 */

export interface SegmentalSnr {
  /** Mean per-frame SNR, dB. */
  segSnrDb: number;
  /** Frames scored (those with signal). */
  frames: number;
  /** Lag of the received audio behind the reference at the first block, samples. */
  lagSamples: number;
  /** Share of blocks whose best normalized correlation was at least 0.5. */
  alignedShare: number;
}

const BLOCK = 4800;
const FRAME = 960;
const SEARCH = 480;
const WIDE_SEARCH = 7200;
const FRAME_SEARCH = 72;
const MIN_DB = -10;
const MAX_DB = 35;

/** Lag (in samples) at which `received` best matches `reference`, from 1 ms envelopes. */
export function coarseLag(
  reference: Int16Array,
  received: Int16Array,
  maxLagSamples: number,
  step = 48,
): number {
  const env = (x: Int16Array) => {
    const out = new Float64Array(Math.floor(x.length / step));
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let j = 0; j < step; j++) s += Math.abs(x[i * step + j]);
      out[i] = s / step;
    }
    return out;
  };
  const a = env(reference);
  const b = env(received);
  const meanA = a.reduce((s, v) => s + v, 0) / (a.length || 1);
  const meanB = b.reduce((s, v) => s + v, 0) / (b.length || 1);
  let best = 0;
  let bestScore = -Infinity;
  const maxLag = Math.min(Math.floor(maxLagSamples / step), b.length - 1);
  for (let lag = 0; lag <= maxLag; lag++) {
    let s = 0;
    const n = Math.min(a.length, b.length - lag);
    for (let i = 0; i < n; i++) s += (a[i] - meanA) * (b[i + lag] - meanB);
    if (s > bestScore) {
      bestScore = s;
      best = lag;
    }
  }
  return best * step;
}

/** Normalized cross-correlation of ref[from, from+n) with rec[from+lag, ...), every `step`-th sample. */
function correlation(
  ref: Int16Array,
  rec: Int16Array,
  from: number,
  n: number,
  lag: number,
  step = 1,
): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < n; i += step) {
    const x = ref[from + i];
    const y = rec[from + lag + i];
    xy += x * y;
    xx += x * x;
    yy += y * y;
  }
  return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
}

export function segmentalSnr(
  reference: Int16Array,
  received: Int16Array,
  maxLagSamples = 96000,
): SegmentalSnr {
  const first = coarseLag(reference, received, maxLagSamples);
  const blocks = Math.floor(reference.length / BLOCK);
  const lags = new Int32Array(blocks);
  let lag = first;
  let aligned = 0;
  let loudest = 0;
  for (let f = 0; f + FRAME <= reference.length; f += FRAME)
    loudest = Math.max(loudest, energy(reference, f, FRAME));
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK;
    let best = lag;
    let bestC = -1;
    if (energy(reference, from, BLOCK) > loudest * 1e-3) {
      for (let l = lag - SEARCH; l <= lag + SEARCH; l++) {
        if (from + l < 0 || from + l + BLOCK > received.length) continue;
        const c = correlation(reference, received, from, BLOCK, l);
        if (c > bestC) {
          bestC = c;
          best = l;
        }
      }
    }
    if (bestC < 0.5 && energy(reference, from, BLOCK) > loudest * 1e-3) {
      // Lost track (a big stretch): search wider at a quarter rate, then refine.
      let wide = lag;
      let wideC = -1;
      for (let l = lag - WIDE_SEARCH; l <= lag + WIDE_SEARCH; l += 4) {
        if (from + l < 0 || from + l + BLOCK > received.length) continue;
        const c = correlation(reference, received, from, BLOCK, l, 4);
        if (c > wideC) {
          wideC = c;
          wide = l;
        }
      }
      for (let l = wide - 4; l <= wide + 4; l++) {
        if (from + l < 0 || from + l + BLOCK > received.length) continue;
        const c = correlation(reference, received, from, BLOCK, l);
        if (c > bestC) {
          bestC = c;
          best = l;
        }
      }
    }
    if (bestC >= 0.5) {
      aligned++;
      lag = best;
    }
    lags[b] = lag;
  }
  // One least-squares gain over the aligned signal.
  let xy = 0;
  let yy = 0;
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK;
    const l = lags[b];
    if (from + l < 0 || from + l + BLOCK > received.length) continue;
    for (let i = 0; i < BLOCK; i++) {
      const y = received[from + l + i];
      xy += reference[from + i] * y;
      yy += y * y;
    }
  }
  const g = yy > 0 ? xy / yy : 1;
  let sum = 0;
  let frames = 0;
  for (let b = 0; b < blocks; b++) {
    for (let f = b * BLOCK; f + FRAME <= (b + 1) * BLOCK; f += FRAME) {
      const signal = energy(reference, f, FRAME);
      if (signal < loudest * 1e-4) continue;
      let l = lags[b];
      let bestC = -2;
      for (let d = lags[b] - FRAME_SEARCH; d <= lags[b] + FRAME_SEARCH; d++) {
        if (f + d < 0 || f + d + FRAME > received.length) continue;
        const c = correlation(reference, received, f, FRAME, d);
        if (c > bestC) {
          bestC = c;
          l = d;
        }
      }
      let noise = 0;
      for (let i = 0; i < FRAME; i++) {
        const at = f + l + i;
        const y = at >= 0 && at < received.length ? received[at] : 0;
        const d = reference[f + i] - g * y;
        noise += d * d;
      }
      const db = noise > 0 ? 10 * Math.log10(signal / noise) : MAX_DB;
      sum += Math.min(MAX_DB, Math.max(MIN_DB, db));
      frames++;
    }
  }
  return {
    segSnrDb: frames > 0 ? sum / frames : MIN_DB,
    frames,
    lagSamples: first,
    alignedShare: blocks > 0 ? aligned / blocks : 0,
  };
}

function energy(x: Int16Array, from: number, n: number): number {
  let s = 0;
  for (let i = from; i < from + n && i < x.length; i++) s += x[i] * x[i];
  return s;
}
