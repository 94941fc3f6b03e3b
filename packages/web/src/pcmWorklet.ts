/**
 * The AudioWorkletProcessor behind createPcmAudioTrack(), as source text: it is loaded from a Blob
 * URL, so the bundles stay one file each.
 *
 * The worklet owns the ring buffer (Float32, interleaved, at the pushed rate). Each render quantum
 * (128 frames of the AudioContext clock) it reads the ring, resampling linearly to the context
 * rate, and zero-fills what is missing (counted). Playout starts, and restarts after an underrun,
 * once PRIME_MS are queued or the audio has waited as long (a short tail still plays).
 *
 * Messages in: { type: 'data', samples: Float32Array } (the main thread never sends more than
 * fits), { type: 'clear' }, { type: 'close' }. Out, about every 5 ms and at once after a clear: a status object.
 */
export const PCM_WORKLET_NAME = 'patchbay-pcm-source';

export const PCM_WORKLET_SOURCE = `
const PRIME_MS = 20;
class PatchbayPcmSource extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions;
    this.ch = o.channels;
    this.inRate = o.sampleRate;
    this.step = o.sampleRate / sampleRate;
    this.ring = new Float32Array(o.capacityFrames * o.channels);
    this.capFrames = o.capacityFrames;
    this.readFrame = 0;
    this.count = 0;
    this.frac = 0;
    this.prev = new Float32Array(o.channels);
    this.primed = false;
    this.primeFrames = Math.max(1, Math.round((PRIME_MS * o.sampleRate) / 1000));
    this.waited = 0;
    this.taken = 0;
    this.played = 0;
    this.silence = 0;
    this.underruns = 0;
    this.cleared = 0;
    this.firstOutputFrame = -1;
    this.quanta = 0;
    this.closed = false;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }
  onMessage(m) {
    if (m.type === 'data') this.write(m.samples);
    else if (m.type === 'clear') {
      this.taken += this.count;
      this.cleared += this.count;
      this.count = 0;
      this.readFrame = 0;
      this.frac = 0;
      this.primed = false;
      this.waited = 0;
      this.report();
    } else if (m.type === 'close') this.closed = true;
  }
  write(s) {
    const ch = this.ch;
    const cap = this.capFrames;
    const frames = Math.min(s.length / ch, cap - this.count);
    let pos = this.readFrame + this.count;
    if (pos >= cap) pos -= cap;
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < ch; c++) this.ring[pos * ch + c] = s[f * ch + c];
      if (++pos === cap) pos = 0;
    }
    this.count += frames;
  }
  report() {
    this.port.postMessage({
      type: 'status',
      taken: this.taken,
      played: this.played,
      silence: this.silence,
      underruns: this.underruns,
      cleared: this.cleared,
      queued: this.count,
      firstOutputFrame: this.firstOutputFrame,
      frame: currentFrame,
    });
  }
  process(_inputs, outputs) {
    if (this.closed) return false;
    const out = outputs[0];
    const n = out[0].length;
    const ch = this.ch;
    if (!this.primed && this.count > 0) {
      this.waited += n;
      if (this.count >= this.primeFrames || this.waited * this.step >= this.primeFrames) {
        this.primed = true;
        this.waited = 0;
      }
    }
    let i = 0;
    if (this.primed) {
      const cap = this.capFrames;
      const ring = this.ring;
      for (; i < n; i++) {
        // Linear interpolation between prev (frame before readFrame) and ring[readFrame].
        if (this.count === 0) break;
        const t = this.frac;
        const base = this.readFrame * ch;
        for (let c = 0; c < out.length; c++) {
          const k = c < ch ? c : ch - 1;
          const cur = ring[base + k];
          out[c][i] = this.step === 1 ? cur : this.prev[k] + (cur - this.prev[k]) * t;
        }
        this.frac += this.step;
        while (this.frac >= 1 && this.count > 0) {
          this.frac -= 1;
          for (let c = 0; c < ch; c++) this.prev[c] = ring[this.readFrame * ch + c];
          if (++this.readFrame === cap) this.readFrame = 0;
          this.count--;
          this.taken++;
        }
        if (this.firstOutputFrame < 0) this.firstOutputFrame = currentFrame + i;
      }
      this.played += i;
      if (i < n) {
        this.underruns++;
        this.primed = false;
        this.waited = 0;
      }
    }
    if (i < n) {
      this.silence += n - i;
      for (let c = 0; c < out.length; c++) out[c].fill(0, i);
    }
    if (++this.quanta % 2 === 0) this.report();
    return true;
  }
}
registerProcessor(${JSON.stringify(PCM_WORKLET_NAME)}, PatchbayPcmSource);
`;
