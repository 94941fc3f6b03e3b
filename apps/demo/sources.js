// Patchbay demo: the Web Audio sources (tone, ring-modulated microphone, generated voice, PCM
// feeder, a chime WAV). Plain browser JavaScript, loaded before common.js, which re-exports them.
'use strict';

window.DemoSources = (() => {

  function toneSource(ctx, frequency, type) {
    const osc = new OscillatorNode(ctx, { frequency, type });
    const gain = new GainNode(ctx, { gain: type === 'sine' ? 0.5 : 0.25 });
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    return {
      track: dest.stream.getAudioTracks()[0],
      setFrequency: (f) => osc.frequency.setTargetAtTime(f, ctx.currentTime, 0.02),
      setType: (t) => (osc.type = t),
      dispose() {
        osc.stop();
        osc.disconnect();
        dest.stream.getTracks().forEach((t) => t.stop());
      },
    };
  }

  /** Microphone through a ring modulator: the input multiplied by a sine carrier (the classic robot voice). */
  async function ringModulatorSource(ctx, carrierHz) {
    const mic = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
    });
    const input = ctx.createMediaStreamSource(mic);
    const ring = new GainNode(ctx, { gain: 0 });
    const carrier = new OscillatorNode(ctx, { frequency: carrierHz });
    const boost = new GainNode(ctx, { gain: 1.6 });
    const dest = ctx.createMediaStreamDestination();
    carrier.connect(ring.gain);
    input.connect(ring).connect(boost).connect(dest);
    carrier.start();
    return {
      track: dest.stream.getAudioTracks()[0],
      setCarrier: (f) => carrier.frequency.setTargetAtTime(f, ctx.currentTime, 0.02),
      dispose() {
        carrier.stop();
        input.disconnect();
        boost.disconnect();
        mic.getTracks().forEach((t) => t.stop());
        dest.stream.getTracks().forEach((t) => t.stop());
      },
    };
  }

  /** A voice-like signal: a gliding glottal pulse train shaped by vowel formants, in syllables. */
  class VoiceGenerator {
    constructor(sampleRate) {
      this.rate = sampleRate;
      this.t = 0;
      this.phase = 0;
      this.formants = [
        [730, 1090, 2440],
        [270, 2290, 3010],
        [300, 870, 2240],
        [530, 1840, 2480],
      ];
      this.state = this.formants[0].map(() => [0, 0]);
    }
    /** `frames` samples of Int16 PCM. */
    next(frames) {
      const out = new Int16Array(frames);
      const r = this.rate;
      for (let i = 0; i < frames; i++) {
        const t = this.t++ / r;
        const syllable = Math.floor(t * 3.2);
        const within = (t * 3.2) % 1;
        const envelope = syllable % 5 === 4 ? 0 : Math.sin(Math.PI * Math.min(1, within * 1.25)) ** 2;
        const f0 = 125 + 25 * Math.sin(2 * Math.PI * 0.4 * t) + 4 * Math.sin(2 * Math.PI * 5.5 * t);
        this.phase += f0 / r;
        let pulse = 0;
        if (this.phase >= 1) {
          this.phase -= 1;
          pulse = 1;
        }
        const vowel = this.formants[syllable % this.formants.length];
        let y = 0;
        vowel.forEach((fc, k) => {
          // Two-pole resonator per formant.
          const bw = 80 + 40 * k;
          const rr = Math.exp((-Math.PI * bw) / r);
          const a1 = 2 * rr * Math.cos((2 * Math.PI * fc) / r);
          const a2 = -rr * rr;
          const s = this.state[k];
          const v = pulse * (1 - rr) * 6 + a1 * s[0] + a2 * s[1];
          s[1] = s[0];
          s[0] = v;
          y += v / (k + 1);
        });
        out[i] = Math.max(-32767, Math.min(32767, Math.round(y * envelope * 9000)));
      }
      return out;
    }
  }

  /** Feeds `track` (a PCM push track: push/clearBuffer/queuedDurationMs) until stop(); interrupt() barges in. */
  function pcmFeeder(track, sampleRate, onStats) {
    const gen = new VoiceGenerator(sampleRate);
    let running = true;
    let pausedUntil = 0;
    (async () => {
      while (running) {
        if (Date.now() < pausedUntil) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        try {
          await track.push(gen.next(sampleRate / 10));
        } catch (error) {
          if (running) window.Demo.toast(window.Demo.describeError(error));
          return;
        }
      }
    })();
    const timer = setInterval(() => onStats && onStats(track), 250);
    return {
      interrupt() {
        const dropped = track.clearBuffer();
        pausedUntil = Date.now() + 800;
        window.Demo.toast(`clearBuffer(): dropped ${Math.round(dropped)} ms of queued speech`);
      },
      stop() {
        running = false;
        clearInterval(timer);
      },
    };
  }

  /** A 4 s chime (C5-E5-G5-C6) as a WAV Blob: the file source when no file is chosen. */
  function chimeWav(rate = 48000) {
    const notes = [523.25, 659.25, 783.99, 1046.5];
    const n = rate * 4;
    const view = new DataView(new ArrayBuffer(44 + n * 2));
    const text = (at, s) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
    text(0, 'RIFF');
    view.setUint32(4, 36 + n * 2, true);
    text(8, 'WAVEfmt ');
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true);
    view.setUint16(22, 1, true);
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * 2, true);
    view.setUint16(32, 2, true);
    view.setUint16(34, 16, true);
    text(36, 'data');
    view.setUint32(40, n * 2, true);
    for (let i = 0; i < n; i++) {
      const t = i / rate;
      const k = Math.floor(t);
      const local = t - k;
      const v = Math.sin(2 * Math.PI * notes[k] * t) * Math.exp(-2.2 * local) * Math.min(1, local * 200);
      view.setInt16(44 + i * 2, Math.round(v * 20000), true);
    }
    return new Blob([view.buffer], { type: 'audio/wav' });
  }

  return { toneSource, ringModulatorSource, VoiceGenerator, pcmFeeder, chimeWav };
})();
