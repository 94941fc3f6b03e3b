import { cpus } from 'node:os';
import { LoadRun } from '../LoadRun.js';
import type { Table } from '../report.js';
import { spawnSfu } from '../sfu.js';
import { machineBusySeconds, processCpuSeconds, round, sleep } from '../util.js';
import { fmtSpan, type ProbeFigures, probeFigures, probeSnapshots } from './forwarding.js';

export interface WorkersRow {
  /** "serve" (one process) or "--workers N". */
  setup: string;
  workers: number;
  channels: number;
  streams: number;
  forwardedPps: number;
  lossPct: number;
  /** CPU of all SFU processes (primary + workers), % of one core. */
  sfuCpuPct: number;
  /** CPU of each media process (the one process, or each worker), % of one core. */
  mediaCpuPct: number[];
  /** Channels on each media process (/health). */
  mediaChannels: number[];
  /** All SFU CPU per forwarded packet. */
  usPerPacket: number;
  /** Forwarded packets/s ÷ cores used by all SFU processes. */
  ppsPerCore: number;
  benchCpuPct: number;
  machineBusyPct: number;
  probe: ProbeFigures | null;
}

export interface WorkersOptions {
  channels?: number;
  publishers?: number;
  subscribers?: number;
  windowMs?: number;
  /** Worker counts to run; 0 = plain `serve` (one process, no primary). Default [0, 1, 2]. */
  setups?: number[];
}

/**
 * The same load (C channels of P publishers × S subscribers, every subscriber takes every
 * publisher of its channel) against `serve`, `serve --workers 1` and `serve --workers 2`. Channels
 * are joined one after the other through the shared port, so the placement (least loaded worker,
 * from 500 ms heartbeats) sees the previous channel's tracks.
 */
export async function runWorkers(root: string, options: WorkersOptions = {}): Promise<WorkersRow[]> {
  const o = { channels: 2, publishers: 5, subscribers: 40, windowMs: 8000, setups: [0, 1, 2], ...options };
  const rows: WorkersRow[] = [];
  for (const workers of o.setups) {
    const sfu = await spawnSfu(root, { workers, env: { PATCHBAY_DELAY_PROBE: '1' } });
    const runs: LoadRun[] = [];
    try {
      await sleep(1200); // past the workers' start-up CPU samples
      for (let c = 0; c < o.channels; c++) {
        const run = new LoadRun(sfu.url, `workers-bench-${c}`);
        runs.push(run);
        await run.addPublishers(o.publishers);
        await run.addSubscribers(o.subscribers);
        await sleep(600); // a heartbeat, so the next channel sees this one's load
      }
      await sleep(2000);
      await probeSnapshots(sfu, 'reset=1');
      const cpu0 = sfu.cpuSeconds();
      const media0 = sfu.mediaCpuSeconds();
      const self0 = processCpuSeconds('self');
      const busy0 = machineBusySeconds();
      const t0 = performance.now();
      const windows = await Promise.all(runs.map((r) => r.measure(o.windowMs)));
      const seconds = (performance.now() - t0) / 1000; // window + grace, over which CPU was read
      const cpu = sfu.cpuSeconds() - cpu0;
      const media = sfu.mediaCpuSeconds().map((c, i) => c - (media0[i] ?? 0));
      const selfCpu = processCpuSeconds('self') - self0;
      const busy = machineBusySeconds() - busy0;
      const probe = await probeSnapshots(sfu).then(probeFigures, () => null);
      const mediaChannels = await Promise.all(
        sfu.mediaHttpUrls.map(
          async (u) => ((await (await fetch(`${u}/health`)).json()) as { channels: number }).channels,
        ),
      );
      const expected = windows.reduce((a, w) => a + w.expected, 0);
      const received = windows.reduce((a, w) => a + w.received, 0);
      const forwardedPps = windows.reduce((a, w) => a + w.receivedRate, 0);
      const row: WorkersRow = {
        setup: workers === 0 ? 'serve (one process)' : `serve --workers ${workers}`,
        workers,
        channels: o.channels,
        streams: windows.reduce((a, w) => a + w.streams, 0),
        forwardedPps,
        lossPct: expected > 0 ? (100 * (expected - received)) / expected : NaN,
        sfuCpuPct: (100 * cpu) / seconds,
        mediaCpuPct: media.map((c) => (100 * c) / seconds),
        mediaChannels,
        usPerPacket: (cpu * 1e6) / (forwardedPps * seconds),
        ppsPerCore: forwardedPps / (cpu / seconds),
        benchCpuPct: (100 * selfCpu) / seconds,
        machineBusyPct: (100 * busy) / seconds / cpus().length,
        probe,
      };
      rows.push(row);
      console.log(
        `  ${row.setup}: ${Math.round(forwardedPps)} pps, loss ${round(row.lossPct, 3)} %, SFU ${round(row.sfuCpuPct, 1)} % ` +
          `(${row.mediaCpuPct.map((c) => round(c, 1)).join(' + ')}), ${round(row.usPerPacket, 2)} µs/pkt, ` +
          `channels ${mediaChannels.join('/')}, in-SFU ${probe ? fmtSpan(probe.total) : '—'} ms`,
      );
    } finally {
      for (const r of runs) r.close();
      await sfu.stop();
    }
  }
  return rows;
}

export function workersTable(rows: WorkersRow[]): Table {
  const first = rows[0];
  return {
    title:
      `One process against \`serve --workers N\` (one SFU worker per core): the same ${first?.channels ?? '?'} channels, ` +
      `${first ? first.streams / first.channels : '?'} streams each, entered through the shared port`,
    columns: [
      'setup',
      'streams',
      'fwd pps',
      'loss %',
      'channels per worker',
      'SFU CPU % (all processes)',
      'per worker %',
      'µs/pkt (all processes)',
      'pps/core (all processes)',
      'in-SFU p50/p99/p99.9 ms',
      'bench CPU %',
      'machine busy %',
    ],
    rows: rows.map((r) => [
      r.setup,
      r.streams,
      Math.round(r.forwardedPps),
      round(r.lossPct, 3),
      r.mediaChannels.join(' / '),
      round(r.sfuCpuPct, 1),
      r.mediaCpuPct.map((c) => round(c, 1)).join(' / '),
      round(r.usPerPacket, 2),
      Math.round(r.ppsPerCore),
      r.probe ? fmtSpan(r.probe.total) : '—',
      round(r.benchCpuPct, 1),
      Math.round(r.machineBusyPct),
    ]),
    notes: [
      'SFU CPU = utime+stime of every SFU process (with --workers: the primary, which only keeps the placement map, plus each worker), over the measuring window; µs/pkt and pps/core divide that by the packets forwarded',
      'in-SFU: the delay probe (sender’s CLOCK_MONOTONIC stamp → last consumer send), merged over the workers',
      'one machine with 2 cores: the load generator (one bench process sending and receiving every packet) runs on the same cores, so two workers cannot each have a core to themselves; the figures compare cost per packet and delay at a load all setups carry, not capacity',
    ],
  };
}
