import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APM_APT_PACKAGE, AudioProcessor, apmUnavailableReason, isApmAvailable } from './index.js';

const RATE = 48000;
const FRAME = 480;
const available = isApmAvailable();
// CI installs the library and sets PATCHBAY_REQUIRE_APM=1: there a missing addon is a failure, not a skip.
if (process.env.PATCHBAY_REQUIRE_APM === '1' && !available) {
  throw new Error(`PATCHBAY_REQUIRE_APM=1 but the APM addon is not built: ${apmUnavailableReason()}`);
}
const skip = available
  ? false
  : `libwebrtc audio processing not built (${apmUnavailableReason()}): install ${APM_APT_PACKAGE}`;

/** Power of one frequency (Goertzel), as the RMS of that sinusoid relative to full scale. */
function toneLevel(s: Int16Array, freq: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < s.length; i++) {
    const s0 = s[i] / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / s.length) * Math.SQRT2;
}

/** RMS (full scale 1) of what is above `cutoff` Hz: an 8th-order Butterworth high-pass (4 biquads). */
function highBandRms(s: Int16Array, cutoff: number): number {
  const qs = [0.5098, 0.6013, 0.9, 2.5629];
  let x = Float64Array.from(s, (v) => v / 32768);
  for (const q of qs) {
    const w = (2 * Math.PI * cutoff) / RATE;
    const alpha = Math.sin(w) / (2 * q);
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    const b0 = (1 + cos) / 2 / a0;
    const b1 = -(1 + cos) / a0;
    const a1 = (-2 * cos) / a0;
    const a2 = (1 - alpha) / a0;
    const y = new Float64Array(x.length);
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < x.length; i++) {
      const v = b0 * x[i] + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x[i];
      y2 = y1;
      y1 = v;
      y[i] = v;
    }
    x = y;
  }
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / x.length);
}

const db = (a: number, b: number): number => 20 * Math.log10(a / b);

/** A repeating 1 s chirp, 900 -> 3000 Hz, with a syllable-like envelope: the far end. */
function farEnd(seconds: number, amplitude: number): Int16Array {
  const out = new Int16Array(RATE * seconds);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const t = (i % RATE) / RATE;
    const f = 900 + 2100 * t;
    phase += (2 * Math.PI * f) / RATE;
    const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * (i / RATE));
    out[i] = Math.round(amplitude * env * Math.sin(phase) * 32767);
  }
  return out;
}

/** Near end: 300 Hz bursts, 400 ms on, 400 ms off. */
function nearEnd(seconds: number, amplitude: number): Int16Array {
  const out = new Int16Array(RATE * seconds);
  for (let i = 0; i < out.length; i++) {
    const on = Math.floor(i / (RATE * 0.4)) % 2 === 0;
    out[i] = on ? Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / RATE) * 32767) : 0;
  }
  return out;
}

describe('@patchbay/apm', { skip }, () => {
  it('reports itself available and checks its input', () => {
    assert.equal(isApmAvailable(), true);
    const apm = new AudioProcessor({ sampleRate: 48000, channels: 1 });
    assert.equal(apm.frameLength, 480);
    assert.throws(() => apm.processCapture(new Int16Array(479)), { code: 'INVALID_PCM_LENGTH' });
    assert.throws(() => apm.processCapture(new Float32Array(480) as unknown as Int16Array), {
      code: 'INVALID_PCM_TYPE',
    });
    assert.throws(() => new AudioProcessor({ sampleRate: 44100 as 48000 }), {
      code: 'UNSUPPORTED_AUDIO_FORMAT',
    });
    apm.close();
    assert.throws(() => apm.processCapture(new Int16Array(480)), { code: 'INVALID_OPERATION' });
    apm.close();
  });

  it('AEC removes the echo of what processReverse() was given and keeps the near end', () => {
    const seconds = 10;
    const delay = (RATE * 40) / 1000; // 40 ms from render to capture
    const far = farEnd(seconds, 0.5);
    const near = nearEnd(seconds, 0.25);
    const echo = new Int16Array(far.length);
    for (let i = delay; i < far.length; i++) echo[i] = Math.round(far[i - delay] * 0.35);
    const capture = new Int16Array(far.length);
    for (let i = 0; i < capture.length; i++) capture[i] = near[i] + echo[i];
    const out = capture.slice();
    const apm = new AudioProcessor({ sampleRate: 48000, channels: 1, aec: true, agc: false, ns: false });
    apm.setStreamDelayMs(40);
    for (let at = 0; at + FRAME <= out.length; at += FRAME) {
      apm.processReverse(far.subarray(at, at + FRAME));
      apm.processCapture(out.subarray(at, at + FRAME));
    }
    const stats = apm.stats();
    apm.close();
    // Measure the last 4 s (10 whole near-end periods): echo above 700 Hz, near end at 300 Hz.
    const from = (seconds - 4) * RATE;
    const echoIn = highBandRms(capture.subarray(from), 700);
    const echoOut = highBandRms(out.subarray(from), 700);
    const nearIn = toneLevel(capture.subarray(from), 300);
    const nearOut = toneLevel(out.subarray(from), 300);
    const echoDb = db(echoIn, echoOut);
    const nearDb = db(nearOut, nearIn);
    console.log(
      `# AEC: echo ${echoDb.toFixed(1)} dB less (${echoIn.toFixed(4)} -> ${echoOut.toFixed(4)} RMS); ` +
        `near end ${nearDb >= 0 ? '+' : ''}${nearDb.toFixed(1)} dB (${nearIn.toFixed(4)} -> ${nearOut.toFixed(4)}); stats ${JSON.stringify(stats)}`,
    );
    assert.ok(echoDb >= 15, `echo reduced by ${echoDb.toFixed(1)} dB, want >= 15`);
    assert.ok(Math.abs(nearDb) <= 4, `near end changed by ${nearDb.toFixed(1)} dB, want within 4`);
  });

  it('AGC raises a quiet (-40 dBFS) input', () => {
    // The adaptive digital AGC holds its gain for ~4 s, then ramps it up: measure after 10 s.
    const seconds = 12;
    const amp = 10 ** (-40 / 20) * Math.SQRT2; // RMS -40 dBFS
    const input = new Int16Array(RATE * seconds);
    for (let i = 0; i < input.length; i++) {
      const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * (i / RATE));
      input[i] = Math.round(amp * env * Math.sin((2 * Math.PI * 440 * i) / RATE) * 32767);
    }
    const out = input.slice();
    const apm = new AudioProcessor({ sampleRate: 48000, channels: 1, aec: false, agc: true, ns: false });
    for (let at = 0; at + FRAME <= out.length; at += FRAME) apm.processCapture(out.subarray(at, at + FRAME));
    apm.close();
    const from = (seconds - 2) * RATE;
    const before = toneLevel(input.subarray(from), 440);
    const after = toneLevel(out.subarray(from), 440);
    const gain = db(after, before);
    console.log(
      `# AGC: ${db(before, 1).toFixed(1)} dBFS in, ${db(after, 1).toFixed(1)} dBFS out (+${gain.toFixed(1)} dB)`,
    );
    assert.ok(gain >= 10, `AGC gain ${gain.toFixed(1)} dB, want >= 10`);
  });
});

describe('@patchbay/apm without the library', () => {
  it(
    'constructing throws NOT_SUPPORTED naming the package when unavailable',
    { skip: available ? 'the library is installed here' : false },
    () => {
      assert.throws(
        () => new AudioProcessor(),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'NOT_SUPPORTED');
          assert.match(e.message, /libwebrtc-audio-processing-dev/);
          return true;
        },
      );
    },
  );
});
