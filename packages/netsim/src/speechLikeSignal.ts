import { mulberry32 } from './mulberry32.js';

/**
 * A deterministic speech-like test signal, 48 kHz mono Int16: "syllables" of 120-300 ms, each a
 * harmonic tone whose pitch glides between 100 and 250 Hz, with 12 harmonics shaped by one
 * formant-like peak (500-2000 Hz) and a raised-cosine envelope, separated by 40-160 ms pauses.
 * Nothing repeats, so cross-correlation finds one alignment; Opus treats it as voiced speech.
 */
export function speechLikeSignal(seconds: number, seed = 1, peak = 0.5, sampleRate = 48000): Int16Array {
  const rand = mulberry32(seed);
  const out = new Int16Array(Math.round(seconds * sampleRate));
  const harmonics = 12;
  const amps = new Float64Array(harmonics + 1);
  const phases = new Float64Array(harmonics + 1);
  let at = Math.round(0.05 * sampleRate);
  while (at < out.length) {
    const length = Math.round((0.12 + rand() * 0.18) * sampleRate);
    const f0From = 100 + rand() * 150;
    const f0To = 100 + rand() * 150;
    const formant = 500 + rand() * 1500;
    let norm = 0;
    for (let k = 1; k <= harmonics; k++) {
      const f = k * f0From;
      amps[k] = 1 / Math.sqrt(k) / (1 + ((f - formant) / 400) ** 2) + 0.15 / k;
      norm += amps[k];
      phases[k] = rand() * 2 * Math.PI;
    }
    const fade = Math.round(0.02 * sampleRate);
    for (let i = 0; i < length && at + i < out.length; i++) {
      const f0 = f0From + ((f0To - f0From) * i) / length;
      let v = 0;
      for (let k = 1; k <= harmonics; k++) {
        phases[k] += (2 * Math.PI * k * f0) / sampleRate;
        if (k * f0 < sampleRate / 2) v += amps[k] * Math.sin(phases[k]);
      }
      const edge = Math.min(i, length - 1 - i);
      const env = edge >= fade ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / fade);
      out[at + i] = Math.round(((peak * v) / norm) * env * 32767);
    }
    at += length + Math.round((0.04 + rand() * 0.12) * sampleRate);
  }
  return out;
}
