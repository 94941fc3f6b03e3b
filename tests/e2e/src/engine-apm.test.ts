import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AudioExternalSourcePosition,
  AudioTrackType,
  audioProcessingInfo,
  type NodeClient,
  type RtcEngine,
} from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { cleanUp, engineFor, listen, toneLevel, waitForFlow } from './engineSupport.js';
import { startServer } from './support.js';

const RATE = 48000;
const info = audioProcessingInfo();
const skip = info.engine === 'apm' ? false : `libwebrtc APM not available: ${info.reason}`;

/** RMS (full scale 1) above `cutoff` Hz: an 8th-order Butterworth high-pass (4 biquads). */
function highBandRms(s: Int16Array, cutoff: number): number {
  let x = Float64Array.from(s, (v) => v / 32768);
  for (const q of [0.5098, 0.6013, 0.9, 2.5629]) {
    const w = (2 * Math.PI * cutoff) / RATE;
    const alpha = Math.sin(w) / (2 * q);
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    const [b0, b1, a1, a2] = [(1 + cos) / 2 / a0, -(1 + cos) / a0, (-2 * cos) / a0, (1 - alpha) / a0];
    const y = new Float64Array(x.length);
    let [x1, x2, y1, y2] = [0, 0, 0, 0];
    for (let i = 0; i < x.length; i++) {
      const v = b0 * x[i] + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2;
      [x2, x1, y2, y1] = [x1, x[i], y1, v];
      y[i] = v;
    }
    x = y;
  }
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / x.length);
}

/** The far end (what this app plays locally): a repeating 1 s chirp, 900 -> 3000 Hz, with a 3 Hz envelope. */
function farEnd(seconds: number): Int16Array {
  const out = new Int16Array(RATE * seconds);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    phase += (2 * Math.PI * (900 + 2100 * ((i % RATE) / RATE))) / RATE;
    out[i] = Math.round(0.5 * (0.6 + 0.4 * Math.sin((2 * Math.PI * 3 * i) / RATE)) * Math.sin(phase) * 32767);
  }
  return out;
}

/** The "microphone": near-end 300 Hz bursts (400 ms on/off) plus the far end's echo, 40 ms late at -9 dB. */
function capture(far: Int16Array): Int16Array {
  const delay = (RATE * 40) / 1000;
  const out = new Int16Array(far.length);
  for (let i = 0; i < out.length; i++) {
    const on = Math.floor(i / (RATE * 0.4)) % 2 === 0;
    const near = on ? 0.25 * Math.sin((2 * Math.PI * 300 * i) / RATE) * 32767 : 0;
    out[i] = Math.round(near + (i >= delay ? far[i - delay] * 0.35 : 0));
  }
  return out;
}

describe('engine: the before-processing position through libwebrtc APM', { skip }, () => {
  let server: PatchbayServer;
  const clients: NodeClient[] = [];
  const engines: RtcEngine[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await cleanUp(clients, engines);
    await server.close();
  });

  it('cancels the echo of locally played custom audio (AEC reference), keeps the near end', async () => {
    const l = await listen(server, 'apm', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    assert.equal(engine.getAudioProcessing().engine, 'apm');
    // The far end: a custom track played locally, never sent. Its local playback is the echo reference.
    const far = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, {
      enableLocalPlayback: false,
      sampleRate: 48000,
      channels: 1,
    });
    // The "microphone": near end + echo, in the before-processing position (APM: AEC, NS, AGC).
    const mic = engine.createCustomAudioTrack(AudioTrackType.AudioTrackDirect, {
      enableLocalPlayback: false,
      position: AudioExternalSourcePosition.AudioExternalRecordSourcePreProcess,
      sampleRate: 48000,
      channels: 1,
    });
    await engine.joinChannel('', 'apm', 0, { publishCustomAudioTrackId: mic });
    await waitForFlow(l);
    const seconds = 8;
    const farPcm = farEnd(seconds);
    const micPcm = capture(farPcm);
    /** Pushes both at once (the queues fill and drain in step), waits, returns where the listener's recording was. */
    const phase = async (): Promise<number> => {
      const a = engine.pushExternalAudioFrame(farPcm, 0, 48000, 1, 2, far);
      const b = engine.pushExternalAudioFrame(micPcm, 0, 48000, 1, 2, mic);
      await Promise.all([a, b]);
      await Promise.all([engine.waitForPlayout(far), engine.waitForPlayout(mic)]);
      return l.recorder.samples.length;
    };
    // 1) Control: the far end is not played, so the AEC has no reference: the echo goes through.
    engine.enableCustomAudioLocalPlayback(far, false);
    const controlEnd = await phase();
    // 2) The far end is played locally: it is fed to the AEC as the echo reference.
    engine.enableCustomAudioLocalPlayback(far, true);
    const cancelEnd = await phase();
    l.stop();
    const s = l.recorder.samples;
    // The last 3 s of each phase, ending 0.5 s before its end (network and jitter buffer delay).
    const window = (end: number) => s.subarray(end - RATE * 3.5, end - RATE * 0.5);
    const control = window(controlEnd);
    const cancelled = window(cancelEnd);
    const echoControl = highBandRms(control, 700);
    const echoCancelled = highBandRms(cancelled, 700);
    const nearControl = toneLevel(control, RATE, 300);
    const nearCancelled = toneLevel(cancelled, RATE, 300);
    const echoDb = 20 * Math.log10(echoControl / echoCancelled);
    const nearDb = 20 * Math.log10(nearCancelled / nearControl);
    // Echo relative to the near end: independent of the AGC's gain at the time.
    const ratioDb = 20 * Math.log10(echoControl / nearControl / (echoCancelled / nearCancelled));
    console.log(
      `# heard echo: ${echoControl.toFixed(4)} RMS without reference, ${echoCancelled.toFixed(4)} with (${echoDb.toFixed(1)} dB less); ` +
        `near end 300 Hz ${nearControl.toFixed(4)} -> ${nearCancelled.toFixed(4)} (${nearDb.toFixed(1)} dB); echo-to-near ${ratioDb.toFixed(1)} dB better`,
    );
    assert.ok(echoControl > 0.02, `the echo is heard without a reference (${echoControl.toFixed(4)})`);
    assert.ok(echoDb >= 15, `AEC removed ${echoDb.toFixed(1)} dB of echo, want >= 15`);
    assert.ok(ratioDb >= 15, `echo-to-near-end ratio improved by ${ratioDb.toFixed(1)} dB, want >= 15`);
    assert.ok(nearCancelled > 0.02, `the near end is heard (${nearCancelled.toFixed(4)})`);
    assert.ok(nearDb > -12, `the near end lost ${(-nearDb).toFixed(1)} dB, want < 12`);
    await engine.leaveChannel();
    await l.client.leave();
  });
});
