/**
 * Costs: Node SDK CPU per pushed 48 kHz stereo stream (this process's CPU time over a window,
 * minus the same window idle, divided by the streams), and SFU memory per participant (RSS slope
 * over load-mode participants).
 */
import { createClient, type NodeClient } from '@patchbay/node';
import { LoadRun } from '../LoadRun.js';
import { spawnSfu } from '../sfu.js';
import { processCpuSeconds, sleep } from '../util.js';

export interface CostsResult {
  streams: number;
  sdkCpuPctPerStream: number;
  idleCpuPct: number;
  sfuIdleRssMb: number;
  sfuRssMbAt: { participants: number; streams: number; rssMb: number }[];
  sfuKbPerParticipant: number;
}

const STEREO = (() => {
  const f = new Int16Array(480 * 2);
  for (let i = 0; i < 480; i++) {
    const v = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 440 * i) / 48000));
    f[2 * i] = v;
    f[2 * i + 1] = -v;
  }
  return f;
})();

async function cpuOver(ms: number): Promise<number> {
  const c0 = processCpuSeconds('self');
  const t0 = performance.now();
  await sleep(ms);
  return (processCpuSeconds('self') - c0) / ((performance.now() - t0) / 1000);
}

export async function runCosts(root: string, streams = 4, windowMs = 5000): Promise<CostsResult> {
  const sfu = await spawnSfu(root);
  const clients: NodeClient[] = [];
  let timer: NodeJS.Timeout | null = null;
  try {
    await sleep(500);
    const sfuIdleRssMb = sfu.rssBytes() / 2 ** 20;
    const idle = await cpuOver(2000);
    for (let i = 0; i < streams; i++) {
      const c = createClient({ server: sfu.url });
      c.setExternalAudioSource(true, 48000, 2);
      await c.join('bench', `cost-${i}`, null, null);
      clients.push(c);
    }
    // Push in real time on a drift-corrected 10 ms clock, one stereo frame per client per tick.
    const start = performance.now();
    let frame = 0;
    const tick = () => {
      while (start + frame * 10 <= performance.now()) {
        for (const c of clients) void c.pushExternalAudioFrame(STEREO).catch(() => undefined);
        frame++;
      }
      timer = setTimeout(tick, Math.max(0, start + frame * 10 - performance.now()));
    };
    tick();
    await sleep(2000);
    const busy = await cpuOver(windowMs);
    if (timer) clearTimeout(timer);
    timer = null;
    await Promise.allSettled(clients.map((c) => c.leave()));
    clients.length = 0;

    // SFU memory: load-mode participants in steps, RSS after each.
    const run = new LoadRun(sfu.url, 'mem');
    const at: CostsResult['sfuRssMbAt'] = [];
    try {
      for (const [p, s] of [
        [2, 20],
        [4, 60],
        [4, 100],
      ]) {
        if (p > run.publishers.length) await run.addPublishers(p - run.publishers.length);
        if (s > run.subscribers.length) await run.addSubscribers(s - run.subscribers.length);
        await sleep(1500);
        at.push({ participants: p + s, streams: p * s, rssMb: sfu.rssBytes() / 2 ** 20 });
      }
    } finally {
      run.close();
    }
    const first = at[0];
    const last = at[at.length - 1];
    return {
      streams,
      sdkCpuPctPerStream: (100 * (busy - idle)) / streams,
      idleCpuPct: 100 * idle,
      sfuIdleRssMb,
      sfuRssMbAt: at,
      sfuKbPerParticipant: ((last.rssMb - first.rssMb) * 1024) / (last.participants - first.participants),
    };
  } finally {
    if (timer) clearTimeout(timer);
    await Promise.allSettled(clients.map((c) => c.leave()));
    await sfu.stop();
  }
}
