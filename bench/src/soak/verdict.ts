/**
 * What a soak run must show: forwarding loss ≤ 0.1 %, RSS growth ≤ 5 % over the steady window,
 * file descriptors, handles and listeners back to their idle values once everyone has left (and no
 * growth while churning), and every room and internal gauge back to 0.
 */
import type { HealthSample } from './ServerHealth.js';
import type { SoakRunResult } from './SoakRun.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakVerdict {
  ok: boolean;
  checks: Check[];
  /** RSS at the start and the end of the steady window (least-squares line), and the growth. */
  rssStartMb: number;
  rssEndMb: number;
  rssGrowthPct: number;
  /** Medians of the first and last 10 % of the steady samples, and the lowest and highest RSS. */
  rssHeadMedianMb: number;
  rssTailMedianMb: number;
  rssMinMb: number;
  rssMaxMb: number;
  heapStartMb: number;
  heapEndMb: number;
  heapTotalStartMb: number;
  heapTotalEndMb: number;
  externalStartMb: number;
  externalEndMb: number;
  steadyFromS: number;
  steadyToS: number;
  idle: HealthSample;
  after: HealthSample;
  /** SFU CPU µs per forwarded packet over the first and the last part of the steady window. */
  usPerPacketStart: number;
  usPerPacketEnd: number;
}

export const LIMITS = {
  lossPct: 0.1,
  rssGrowthPct: 5,
  /** The steady window starts after this fraction of the run ... */
  warmupFraction: 0.25,
  /** ... and at least this long after the channels were full (the allocator's working set grows
   * over the first minute of churn, then flattens: see docs/resilience.md). */
  warmupAfterFillS: 60,
  edgeFraction: 0.1,
};
/** Slack for fds/handles between the start and end of the steady window (sockets mid-churn). */
const CHURN_SLACK = 6;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Least-squares line through (x, y) points. */
function lineFit(points: [number, number][]): { at(x: number): number } {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { at: (x) => my + slope * (x - mx) };
}

function usPerPacket(a: HealthSample, b: HealthSample): number {
  return ((b.cpuSeconds - a.cpuSeconds) * 1e6) / Math.max(1, b.packetsOut - a.packetsOut);
}

/**
 * The steady window is the run phase after its first 25 % (joins, JIT, allocator warm-up), and at
 * least a minute after the channels were full. RSS growth is read on the least-squares line
 * through its samples; fds and handles compare medians of its first and last 10 % (at least 3 each).
 */
export function judge(r: SoakRunResult): SoakVerdict {
  const idle = r.samples.find((s) => s.phase === 'idle');
  const after = r.samples.filter((s) => s.phase === 'after').at(-1);
  const run = r.samples.filter((s) => s.phase === 'run');
  if (!idle || !after || run.length < 6) throw new Error(`too few samples (${run.length} while running)`);
  const first = run[0].t;
  const last = run[run.length - 1].t;
  const steadyFrom = Math.max(
    first + (last - first) * LIMITS.warmupFraction,
    r.filledAtS + LIMITS.warmupAfterFillS,
  );
  const steady = run.filter((s) => s.t >= steadyFrom);
  if (steady.length < 6) {
    throw new Error(
      `too short: ${steady.length} samples in the steady window (from ${steadyFrom.toFixed(0)} s, the fill ended at ${r.filledAtS.toFixed(0)} s); run longer or sample more often`,
    );
  }
  const k = Math.max(3, Math.round(steady.length * LIMITS.edgeFraction));
  const head = steady.slice(0, k);
  const tail = steady.slice(-k);
  const mb = (x: number) => x / 2 ** 20;
  // RSS saws up and down (V8 and malloc return memory in steps), so its trend is the least-squares
  // line through every steady sample, read at the window's start and end.
  const fit = lineFit(steady.map((s) => [s.t, s.rssBytes]));
  const rssStart = fit.at(steady[0].t);
  const rssEnd = fit.at(last);
  const growth = (100 * (rssEnd - rssStart)) / rssStart;
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  check(
    'forwarding loss ≤ 0.1 %',
    r.loss.expected > 0 && r.loss.lossPct <= LIMITS.lossPct,
    `${r.loss.lossPct.toFixed(4)} % (${r.loss.expected - r.loss.received} of ${r.loss.expected} packets, ${r.loss.subscriptions} subscriptions)`,
  );
  check(
    'RSS growth ≤ 5 % over the steady window',
    growth <= LIMITS.rssGrowthPct,
    `${mb(rssStart).toFixed(1)} → ${mb(rssEnd).toFixed(1)} MB (${growth.toFixed(2)} %), trend over t ${steady[0].t.toFixed(0)}-${last.toFixed(0)} s`,
  );
  for (const key of ['openFds', 'activeHandles'] as const) {
    const a = median(head.map((s) => s[key]));
    const b = median(tail.map((s) => s[key]));
    check(`${key}: no growth while churning`, b <= a + CHURN_SLACK, `steady start ${a}, end ${b}`);
    check(
      `${key}: back to idle after everyone left`,
      after[key] <= idle[key],
      `idle ${idle[key]}, after ${after[key]}`,
    );
  }
  check(
    'listeners back to idle after everyone left',
    after.listeners === idle.listeners,
    `idle ${idle.listeners}, after ${after.listeners}; while running ${median(tail.map((s) => s.listeners))}`,
  );
  const zero = [
    'channels',
    'participants',
    'publishers',
    'tracks',
    'connections',
    'sessions',
    'memberships',
    'peerConnections',
    'consumers',
  ] as const;
  const left = zero.filter((key) => after[key] !== 0);
  check(
    'rooms, sessions and media connections back to 0',
    left.length === 0,
    left.length ? left.map((key) => `${key} ${after[key]}`).join(', ') : zero.join(', ') + ': 0',
  );
  check(
    'every participant joined and left',
    r.joins > 0 && r.leaves === r.joins + r.joinFailures,
    `${r.joins} joins, ${r.leaves} leaves, ${r.joinFailures} failed joins retried`,
  );
  return {
    ok: checks.every((c) => c.ok),
    checks,
    rssStartMb: mb(rssStart),
    rssEndMb: mb(rssEnd),
    rssGrowthPct: growth,
    rssHeadMedianMb: mb(median(head.map((s) => s.rssBytes))),
    rssTailMedianMb: mb(median(tail.map((s) => s.rssBytes))),
    rssMinMb: mb(Math.min(...steady.map((s) => s.rssBytes))),
    rssMaxMb: mb(Math.max(...steady.map((s) => s.rssBytes))),
    heapStartMb: mb(median(head.map((s) => s.heapUsedBytes))),
    heapEndMb: mb(median(tail.map((s) => s.heapUsedBytes))),
    heapTotalStartMb: mb(median(head.map((s) => s.heapTotalBytes))),
    heapTotalEndMb: mb(median(tail.map((s) => s.heapTotalBytes))),
    externalStartMb: mb(median(head.map((s) => s.externalBytes))),
    externalEndMb: mb(median(tail.map((s) => s.externalBytes))),
    steadyFromS: steady[0].t,
    steadyToS: last,
    idle,
    after,
    usPerPacketStart: usPerPacket(head[0], head[head.length - 1]),
    usPerPacketEnd: usPerPacket(tail[0], tail[tail.length - 1]),
  };
}
