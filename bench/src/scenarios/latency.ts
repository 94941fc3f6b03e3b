/**
 * Push-to-ear latency: a Node SDK publisher pushes 10 ms frames in real time with a 1 kHz burst
 * every 250 ms; a Node SDK subscriber finds each burst onset (threshold after ≥100 ms of quiet,
 * sample-accurate inside the frame). Latency = onset arrival − push time of the onset frame.
 * The direct wrtc ↔ wrtc baseline (same signal, same detector, no SFU) runs in the same process.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** Mean jitter-buffer (NetEq) delay of the receiver over the run, from its inbound-rtp stats. */
  jitterBufferMs?: number;
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

async function measureSdk(
  url: string,
  options: Required<LatencyOptions>,
  bufferMs = 200,
): Promise<LatencyStats> {
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
    pub.setExternalAudioSource(true, RATE, 1, bufferMs);
    await pub.join('bench', 'latency', null, null);
    await withTimeout(subscribed, 10000, 'subscription');
    const t0 = performance.now();
    detector.warmupUntil = t0 + options.warmupMs;
    clock = realtimeClock((frame) => {
      if (frame % PERIOD_FRAMES === 0) detector.pushTimes.push(performance.now());
      void pub.pushExternalAudioFrame(probeFrame(frame, 1)).catch(() => undefined);
    });
    await sleep(options.warmupMs + options.measureMs + 500);
    const remote = Object.values(sub.getRemoteAudioStats())[0];
    return { ...detector.stats(), jitterBufferMs: remote?.receiveDelay };
  } finally {
    clock?.stop();
    await Promise.allSettled([pub.leave(), sub.leave()]);
  }
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
    return { ...detector.stats(), jitterBufferMs: await inboundJitterBufferMs(b) };
  } finally {
    clock?.stop();
    sink?.stop();
    track.stop();
    a.close();
    b.close();
  }
}

/** Mean jitter-buffer delay (ms) of a wrtc connection's audio inbound-rtp, or undefined. */
async function inboundJitterBufferMs(pc: {
  getStats(): Promise<Map<string, any>>;
}): Promise<number | undefined> {
  for (const s of (await pc.getStats()).values()) {
    if (s.type === 'inbound-rtp' && s.jitterBufferEmittedCount > 0)
      return (s.jitterBufferDelay / s.jitterBufferEmittedCount) * 1000;
  }
  return undefined;
}

const CHROMIUM = process.env.PATCHBAY_CHROMIUM || '/usr/bin/chromium';

/**
 * Node SDK → SFU → headless Chromium running the browser SDK bundle (served by `patchbay serve` at
 * /sdk/). The page subscribes and finds onsets in setAudioFrameCallback buffers (256 samples),
 * dated with Date.now() like the push times on the Node side (same machine clock).
 */
async function measureChromium(
  httpUrl: string,
  url: string,
  options: Required<LatencyOptions>,
): Promise<LatencyStats> {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'pb-bench-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
  const pub = createClient({ server: url });
  let clock: { stop(): void } | null = null;
  const pushTimes: number[] = [];
  try {
    const page = await context.newPage();
    await page.goto(`${httpUrl}/sdk/`).catch(() => undefined);
    await page.addScriptTag({ url: `${httpUrl}/sdk/patchbay.js` });
    await page.evaluate(async () => {
      const g = globalThis as any;
      const P = g.Patchbay;
      const client = P.createClient({ mode: 'rtc', codec: 'vp8' });
      g.onsets = [] as number[];
      let quiet = 4800;
      client.on('user-published', async (user: any) => {
        const remote = await client.subscribe(user, 'audio');
        remote.setAudioFrameCallback((buffer: any) => {
          const now = Date.now();
          const data = buffer.getChannelData(0) as Float32Array;
          for (let k = 0; k < data.length; k++) {
            if (Math.abs(data[k]) > 0.1) {
              if (quiet >= 4800) g.onsets.push(now - ((data.length - k) / buffer.sampleRate) * 1000);
              quiet = 0;
            } else {
              quiet++;
            }
          }
        }, 256);
      });
      await client.join('bench', 'latency-chromium', null, null);
    });
    pub.setExternalAudioSource(true, RATE, 1);
    await pub.join('bench', 'latency-chromium', null, null);
    await sleep(1000);
    const t0 = Date.now();
    clock = realtimeClock((frame) => {
      if (frame % PERIOD_FRAMES === 0) pushTimes.push(Date.now());
      void pub.pushExternalAudioFrame(probeFrame(frame, 1)).catch(() => undefined);
    });
    await sleep(options.warmupMs + options.measureMs + 500);
    clock.stop();
    clock = null;
    const onsets = (await page.evaluate(() => (globalThis as any).onsets)) as number[];
    const latencies: number[] = [];
    let last = -1;
    for (const at of onsets) {
      let idx = -1;
      for (let i = pushTimes.length - 1; i >= 0; i--) {
        if (pushTimes[i] <= at) {
          idx = i;
          break;
        }
      }
      if (idx < 0 || idx === last) continue;
      last = idx;
      if (pushTimes[idx] >= t0 + options.warmupMs) latencies.push(at - pushTimes[idx]);
    }
    return {
      events: latencies.length,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      minMs: latencies.length ? Math.min(...latencies) : NaN,
      maxMs: latencies.length ? Math.max(...latencies) : NaN,
    };
  } finally {
    clock?.stop();
    await pub.leave().catch(() => undefined);
    await context.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LatencyResult {
  sdkViaSfu: LatencyStats;
  /** Tuning, same run: the publisher in synchronous mode (bufferMs 0: no queue cushion). */
  sdkSync: LatencyStats;
  /** Tuning, same run: synchronous publisher and 10 ms Opus frames (server opusPtimeMs 10). */
  sdkSyncPtime10: LatencyStats;
  direct: LatencyStats;
  chromium: LatencyStats | { skipped: string };
}

export async function runLatency(root: string, opts: LatencyOptions = {}): Promise<LatencyResult> {
  const options = { warmupMs: opts.warmupMs ?? 5000, measureMs: opts.measureMs ?? 8000 };
  const sfu = await spawnSfu(root);
  let sdkViaSfu: LatencyStats;
  let chromium: LatencyStats | { skipped: string };
  const bundle = resolve(root, 'packages/web/bundle/patchbay.js');
  try {
    sdkViaSfu = await measureSdk(sfu.url, options);
    if (!existsSync(bundle)) chromium = { skipped: `browser SDK bundle ${bundle} not built` };
    else if (!existsSync(CHROMIUM)) chromium = { skipped: `${CHROMIUM} not found` };
    else {
      try {
        chromium = await withTimeout(measureChromium(sfu.httpUrl, sfu.url, options), 60000, 'Chromium run');
        if (chromium.events < 20)
          chromium = { skipped: `only ${chromium.events} onsets detected in Chromium` };
      } catch (error) {
        chromium = { skipped: `Chromium run failed: ${(error as Error).message.split('\n')[0]}` };
      }
    }
  } finally {
    await sfu.stop();
  }
  const direct = await measureDirect(options);
  const sdkSync = await withSfu(root, {}, (url) => measureSdk(url, options, 0));
  const sdkSyncPtime10 = await withSfu(root, { PATCHBAY_OPUS_PTIME_MS: '10' }, (url) =>
    measureSdk(url, options, 0),
  );
  return { sdkViaSfu, sdkSync, sdkSyncPtime10, direct, chromium };
}

async function withSfu<T>(
  root: string,
  env: Record<string, string>,
  run: (url: string) => Promise<T>,
): Promise<T> {
  const sfu = await spawnSfu(root, { env });
  try {
    return await run(sfu.url);
  } finally {
    await sfu.stop();
  }
}

function row(name: string, s: LatencyStats | { skipped: string }): (string | number)[] {
  if ('skipped' in s) return [name, 0, 'skipped', '', '', '', s.skipped];
  return [
    name,
    s.events,
    round(s.p50Ms, 1),
    round(s.p95Ms, 1),
    `${round(s.minMs, 1)}–${round(s.maxMs, 1)}`,
    s.jitterBufferMs === undefined ? '—' : round(s.jitterBufferMs, 1),
    '',
  ];
}

export function latencyTable(r: LatencyResult): Table {
  return {
    title: 'Push-to-ear latency (1 kHz burst every 250 ms, onset by threshold, 5 s warm-up)',
    columns: ['path', 'events', 'p50 ms', 'p95 ms', 'min–max ms', 'jitter buffer ms', 'note'],
    rows: [
      row('Node SDK → SFU → Node SDK (default: 200 ms queue, 20 ms Opus)', r.sdkViaSfu),
      row('  tuned: synchronous push (bufferMs 0)', r.sdkSync),
      row('  tuned: synchronous push + 10 ms Opus frames (opusPtimeMs 10)', r.sdkSyncPtime10),
      row('wrtc ↔ wrtc direct (floor)', r.direct),
      row('Node SDK → SFU → Chromium', r.chromium),
    ],
    notes: [
      'push time = when pushExternalAudioFrame (or RTCAudioSource.onData) is called with the frame whose sample 0 starts the burst; arrival = onAudioFrame delivery time + offset of the onset sample inside the frame',
      'jitter buffer = the receiver’s mean NetEq delay over the run (inbound-rtp jitterBufferDelay ÷ jitterBufferEmittedCount); the rest of push-to-ear is the sender (send clock, Opus framing and look-ahead) and the receiver’s 10 ms playout pulls',
      'Chromium: headless /usr/bin/chromium, browser SDK bundle from the SFU’s /sdk/, onset found in setAudioFrameCallback buffers of 256 samples; both sides date with Date.now() (same machine clock, ~1 ms resolution); includes the page’s Web Audio processing buffer, not a sound card',
    ],
  };
}

export const latencyMarkdown = (r: LatencyResult) => markdownTable(latencyTable(r));
export const printLatency = (r: LatencyResult) => printTable(latencyTable(r));
export type { NodeClient };
