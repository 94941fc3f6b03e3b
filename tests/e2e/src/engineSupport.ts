import assert from 'node:assert/strict';
import {
  createClient,
  createRtcEngine,
  estimateFrequency,
  findActiveRegion,
  type NodeClient,
  type RtcEngine,
  rms,
} from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { FrameRecorder, waitFor } from './support.js';

/** A Web-SDK-style listener that subscribes to everyone and records the mix (48 kHz mono). */
export async function listen(server: PatchbayServer, channel: string, uid: string) {
  const client = createClient({ server: server.url });
  const recorder = new FrameRecorder();
  const stop = client.onMixedAudioFrame(recorder.push);
  const flowing = { frames: 0 };
  client.on('user-published', (user) => {
    client
      .subscribe(user, 'audio')
      .then((track) => track.onAudioFrame(() => flowing.frames++))
      .catch((error) => assert.fail(error));
  });
  await client.join('test-app', channel, null, uid);
  return { client, recorder, stop, flowing };
}

/** An initialized engine on the test server. */
export function engineFor(server: PatchbayServer, extra: { audioBufferMs?: number } = {}): RtcEngine {
  const engine = createRtcEngine();
  engine.initialize({ appId: 'test-app', server: server.url, ...extra });
  return engine;
}

/** Power of one frequency in a signal (Goertzel), as RMS relative to full scale. */
export function toneLevel(samples: Int16Array, sampleRate: number, freq: number, channels = 1): number {
  const n = Math.floor(samples.length / channels);
  if (n === 0) return 0;
  const w = (2 * Math.PI * freq) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i * channels] / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (Math.sqrt(power) / n) * Math.SQRT2;
}

/** Milliseconds of 10 ms windows louder than 5% RMS. */
export function audibleMs(samples: Int16Array, sampleRate = 48000): number {
  const win = sampleRate / 100;
  let ms = 0;
  for (let i = 0; i + win <= samples.length; i += win) if (rms(samples.subarray(i, i + win)) > 0.05) ms += 10;
  return ms;
}

/**
 * Pitch, heard length and span of the tone in a 48 kHz mono recording. The pitch is measured on
 * the longest run of audible 10 ms windows: a shared 2-core test machine can stall the sender's
 * clock for tens of ms, and a gap (delayed audio, not lost audio) must not read as a pitch change.
 */
export function analyse(samples: Int16Array, sampleRate = 48000) {
  const region = findActiveRegion(samples, sampleRate, 1);
  assert.ok(region, 'the listener heard something');
  const win = sampleRate / 100;
  let map = '';
  let best = { start: 0, length: 0 };
  let runStart = -1;
  const first = Math.max(0, Math.floor((region.startMs * sampleRate) / 1000 / win) - 20);
  const last = Math.min(
    Math.floor(samples.length / win),
    Math.ceil((region.endMs * sampleRate) / 1000 / win) + 20,
  );
  for (let w = first; w <= last; w++) {
    const loud = w < last && rms(samples.subarray(w * win, (w + 1) * win)) > 0.05;
    map += w < last ? (loud ? '#' : '.') : '';
    if (loud && runStart < 0) runStart = w;
    if (!loud && runStart >= 0) {
      if (w - runStart > best.length) best = { start: runStart, length: w - runStart };
      runStart = -1;
    }
  }
  const from = (best.start + 3) * win;
  const to = (best.start + best.length - 3) * win;
  return {
    map,
    startMs: region.startMs,
    spanMs: region.endMs - region.startMs,
    audibleMs: audibleMs(samples, sampleRate),
    longestRunMs: best.length * 10,
    frequency: to > from ? estimateFrequency(samples.subarray(from, to), sampleRate, 1) : 0,
  };
}

export function assertPitch(frequency: number, want: number, map = ''): void {
  assert.ok(
    Math.abs(frequency - want) / want < 0.01,
    `pitch ${frequency.toFixed(1)} Hz, want ${want} Hz ±1% ${map}`,
  );
}

/** Waits until the listener receives the publisher's stream. */
export function waitForFlow(l: { flowing: { frames: number } }): Promise<void> {
  return waitFor(() => l.flowing.frames > 30, 10000, 'audio flowing to the listener');
}

/** Leaves/releases everything, ignoring errors. */
export async function cleanUp(clients: NodeClient[], engines: RtcEngine[]): Promise<void> {
  for (const e of engines) {
    await e.leaveChannel().catch(() => undefined);
    e.release();
  }
  for (const c of clients) await c.leave().catch(() => undefined);
}

/**
 * Measures how long this process's event loop was stalled (a 10 ms timer that fired more than
 * 15 ms late): on a loaded shared machine the sender's clock stops for that long, which delays
 * (never drops) the audio. Timing checks allow for it.
 */
export class StallMeter {
  #last = performance.now();
  stalledMs = 0;
  readonly #timer = setInterval(() => {
    const now = performance.now();
    const late = now - this.#last - 10;
    if (late > 15) this.stalledMs += late;
    this.#last = now;
  }, 10);

  stop(): number {
    clearInterval(this.#timer);
    return this.stalledMs;
  }
}
