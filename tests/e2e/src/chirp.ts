/** A 20 ms Hann-windowed linear chirp (300 -> 3000 Hz) for delay measurement by cross-correlation. */
export function makeChirp(rate: number, ms = 20, amplitude = 16000): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  const out = new Int16Array(n);
  const f0 = 300;
  const f1 = 3000;
  const seconds = n / rate;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * seconds));
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    out[i] = Math.round(amplitude * window * Math.sin(phase));
  }
  return out;
}

/**
 * Where `template` best matches `signal` with its start in [from, to): the start index and the
 * normalized cross-correlation there (1 = identical shape).
 */
export function findChirp(
  signal: Int16Array,
  template: Int16Array,
  from: number,
  to: number,
): { at: number; score: number } {
  let tEnergy = 0;
  for (const v of template) tEnergy += v * v;
  let best = { at: -1, score: 0 };
  const end = Math.min(to, signal.length - template.length);
  for (let p = Math.max(0, from); p < end; p++) {
    let dot = 0;
    let sEnergy = 0;
    for (let i = 0; i < template.length; i++) {
      const s = signal[p + i];
      dot += s * template[i];
      sEnergy += s * s;
    }
    if (sEnergy === 0) continue;
    const score = dot / Math.sqrt(sEnergy * tEnergy);
    if (score > best.score) best = { at: p, score };
  }
  return best;
}
