/**
 * Push-to-ear latency: a Node SDK publisher pushes 10 ms frames in real time with a 1 kHz burst
 * every 250 ms; a Node SDK subscriber finds each burst onset (threshold after ≥100 ms of quiet,
 * sample-accurate inside the frame). Latency = onset arrival − push time of the onset frame.
 * The direct wrtc ↔ wrtc baseline (same signal, same detector, no SFU) runs in the same process.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import wrtc from '@roamhq/wrtc';
import { createClient, type NodeClient } from '@patchbay/node';
import { markdownTable, printTable, type Table } from '../report.js';
import { spawnSfu } from '../sfu.js';
import { percentile, round, sleep, withTimeout } from '../util.js';

const RATE = 48000;
const FRAME = 480; // 10 ms
const PERIOD_FRAMES = 25; // one burst every 250 ms
const BURST_FRAMES = 6; // 60 ms
const THRESHOLD = 0.1 * 32767;
const QUIET_SAMPLES = 4800; // 100 ms

export interface LatencyStats {
  events: number;
  p50Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

/** Frames of the probe signal: silence, then a 1 kHz burst starting at sample 0 of frame 0 of each period. */
function probeFrame(frameIndex: number, channels: number): Int16Array {
  const out = new Int16Array(FRAME * channels);
  const inPeriod = frameIndex % PERIOD_FRAMES;
  if (inPeriod < BURST_FRAMES) {
    for (let i = 0; i < FRAME; i++) {
      const n = inPeriod * FRAME + i;
      const v = Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * 1000 * n) / RATE));
      for (let c = 0; c < channels; c++) out[i * channels + c] = v;
    }
  }
  return out;
}

/** Matches onsets to push times. */
class OnsetDetector {
  readonly pushTimes: number[] = [];
  readonly latencies: number[] = [];
  #quiet = QUIET_SAMPLES;
  #matched = -1;
  warmupUntil = 0;

  /** A received frame: `now` is its delivery time; sample k plays at now + k/48 ms. */
  frame(samples: Int16Array, channels: number, now: number): void {
    const n = samples.length / channels;
    for (let k = 0; k < n; k++) {
      const v = Math.abs(samples[k * channels]);
      if (v > THRESHOLD) {
        if (this.#quiet >= QUIET_SAMPLES) this.#onset(now + (k * 1000) / RATE);
        this.#quiet = 0;
      } else {
        this.#quiet++;
      }
    }
  }

  #onset(at: number): void {
    // The latest pushed burst at or before `at`.
    let idx = -1;
    for (let i = this.pushTimes.length - 1; i >= 0; i--) {
      if (this.pushTimes[i] <= at) {
        idx = i;
        break;
      }
    }
    if (idx < 0 || idx === this.#matched) return;
    this.#matched = idx;
    if (this.pushTimes[idx] >= this.warmupUntil) this.latencies.push(at - this.pushTimes[idx]);
  }

  stats(): LatencyStats {
    const l = this.latencies;
    return {
      events: l.length,
      p50Ms: percentile(l, 50),
      p95Ms: percentile(l, 95),
      minMs: l.length ? Math.min(...l) : NaN,
      maxMs: l.length ? Math.max(...l) : NaN,
    };
  }
}

/** Calls `push(frameIndex)` every 10 ms on a drift-corrected clock until `stop()`. */
function realtimeClock(push: (frame: number) => void): { stop(): void } {
  const start = performance.now();
  let frame = 0;
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    const now = performance.now();
    while (start + frame * 10 <= now) push(frame++);
    timer = setTimeout(tick, Math.max(0, start + frame * 10 - performance.now()));
  };
  tick();
  return {
    stop: () => {
      if (timer) clearTimeout(timer);
    },
  };
}

export interface LatencyOptions {
  warmupMs?: number;
  measureMs?: number;
}

async function measureSdk(url: string, options: Required<LatencyOptions>): Promise<LatencyStats> {
  const detector = new OnsetDetector();
  const sub = createClient({ server: url });
  const pub = createClient({ server: url });
  let clock: { stop(): void } | null = null;
  try {
    const subscribed = new Promise<void>((resolveSub) => {
      sub.on('user-published', (user) => {
        void sub.subscribe(user, 'audio').then((track) => {
          track.onAudioFrame((f) => detector.frame(f.samples, f.channels, performance.now()));
          resolveSub();
        });
      });
    });
    await sub.join('bench', 'latency', null, null);
    pub.setExternalAudioSource(true, RATE, 1);
    await pub.join('bench', 'latency', null, null);
    await withTimeout(subscribed, 10000, 'subscription');
    const t0 = performance.now();
    detector.warmupUntil = t0 + options.warmupMs;
    clock = realtimeClock((frame) => {
      if (frame % PERIOD_FRAMES === 0) detector.pushTimes.push(performance.now());
      void pub.pushExternalAudioFrame(probeFrame(frame, 1)).catch(() => undefined);
    });
    await sleep(options.warmupMs + options.measureMs + 500);
  } finally {
    clock?.stop();
    await Promise.allSettled([pub.leave(), sub.leave()]);
  }
  return detector.stats();
}

/** Direct wrtc ↔ wrtc in one process: RTCAudioSource → PC → PC → RTCAudioSink. */
async function measureDirect(options: Required<LatencyOptions>): Promise<LatencyStats> {
  const { RTCPeerConnection, nonstandard } = wrtc as unknown as {
    RTCPeerConnection: new (c?: object) => any;
    nonstandard: { RTCAudioSource: new () => any; RTCAudioSink: new (t: unknown) => any };
  };
  const detector = new OnsetDetector();
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  const source = new nonstandard.RTCAudioSource();
  const track = source.createTrack();
  let sink: any = null;
  let clock: { stop(): void } | null = null;
  const gathered = (pc: any) =>
    new Promise<void>((r) => {
      if (pc.iceGatheringState === 'complete') r();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
    });
  try {
    a.addTrack(track);
    const got = new Promise<void>((r) => {
      b.ontrack = (e: any) => {
        sink = new nonstandard.RTCAudioSink(e.track);
        sink.ondata = (d: any) => detector.frame(d.samples, d.channelCount, performance.now());
        r();
      };
    });
    await a.setLocalDescription(await a.createOffer());
    await gathered(a);
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await gathered(b);
    await a.setRemoteDescription(b.localDescription);
    await withTimeout(got, 10000, 'direct track');
    const t0 = performance.now();
    detector.warmupUntil = t0 + options.warmupMs;
    clock = realtimeClock((frame) => {
      if (frame % PERIOD_FRAMES === 0) detector.pushTimes.push(performance.now());
      source.onData({
        samples: probeFrame(frame, 1),
        sampleRate: RATE,
        bitsPerSample: 16,
        channelCount: 1,
        numberOfFrames: FRAME,
      });
    });
    await sleep(options.warmupMs + options.measureMs + 500);
  } finally {
    clock?.stop();
    sink?.stop();
    track.stop();
    a.close();
    b.close();
  }
  return detector.stats();
}

export interface LatencyResult {
  sdkViaSfu: LatencyStats;
  direct: LatencyStats;
  chromium: LatencyStats | { skipped: string };
}

export async function runLatency(root: string, opts: LatencyOptions = {}): Promise<LatencyResult> {
  const options = { warmupMs: opts.warmupMs ?? 5000, measureMs: opts.measureMs ?? 8000 };
  const sfu = await spawnSfu(root);
  let sdkViaSfu: LatencyStats;
  try {
    sdkViaSfu = await measureSdk(sfu.url, options);
  } finally {
    await sfu.stop();
  }
  const direct = await measureDirect(options);
  const bundle = resolve(root, 'packages/web/bundle/patchbay.js');
  const chromium = {
    skipped: existsSync(bundle)
      ? 'not measured in this round: the browser SDK bundle and /usr/bin/chromium exist, but the Node → SFU → Chromium probe is not written yet'
      : `browser SDK bundle ${bundle} not built`,
  };
  return { sdkViaSfu, direct, chromium };
}

function row(name: string, s: LatencyStats | { skipped: string }): (string | number)[] {
  if ('skipped' in s) return [name, 0, 'skipped', '', '', s.skipped];
  return [
    name,
    s.events,
    round(s.p50Ms, 1),
    round(s.p95Ms, 1),
    `${round(s.minMs, 1)}–${round(s.maxMs, 1)}`,
    '',
  ];
}

export function latencyTable(r: LatencyResult): Table {
  return {
    title: 'Push-to-ear latency (1 kHz burst every 250 ms, onset by threshold, 5 s warm-up)',
    columns: ['path', 'events', 'p50 ms', 'p95 ms', 'min–max ms', 'note'],
    rows: [
      row('Node SDK → SFU → Node SDK', r.sdkViaSfu),
      row('wrtc ↔ wrtc direct (floor)', r.direct),
      row('Node SDK → SFU → Chromium', r.chromium),
    ],
    notes: [
      'push time = when pushExternalAudioFrame (or RTCAudioSource.onData) is called with the frame whose sample 0 starts the burst; arrival = onAudioFrame delivery time + offset of the onset sample inside the frame',
    ],
  };
}

export const latencyMarkdown = (r: LatencyResult) => markdownTable(latencyTable(r));
export const printLatency = (r: LatencyResult) => printTable(latencyTable(r));
export type { NodeClient };
