import { spawn } from 'node:child_process';
import { DelayHistogram, type DelayProbeSnapshot } from '@patchbay/server';
import { DirectRun, LoadRun, type WindowResult } from '../LoadRun.js';
import { markdownTable, printTable, type Table } from '../report.js';
import { type SfuProcess, spawnSfu } from '../sfu.js';
import { machineBusySeconds, processCpuSeconds, round, sleep, sumDrops, udpDropsByPort } from '../util.js';
import { cpus } from 'node:os';

export interface Level {
  p: number;
  s: number;
}

export interface LevelResult extends WindowResult {
  offeredPps: number;
  forwardedPps: number;
  sfuCpuPct: number;
  benchCpuPct: number;
  sfuUsPerPacket: number;
  ppsPerCore: number;
  sfuRssMb: number;
  /** Whole machine busy, % of all cores (SFU + load generator + anything else running). */
  machineBusyPct: number;
  /** Datagrams dropped by the kernel at the SFU's UDP socket during the window (SFU-induced). */
  sfuSocketDrops: number;
  /** ... at the load generator's sockets (generator-induced). */
  loadSocketDrops: number;
  floorP50Ms: number | null;
  floorP99Ms: number | null;
  addedP50Ms: number | null;
  addedP99Ms: number | null;
  setupMs: number;
  /** The SFU's delay probe over the window (PATCHBAY_DELAY_PROBE=1); null if it could not be read. */
  probe: ProbeFigures | null;
}

/** Percentiles (µs, 10 µs buckets: the upper edge) of one probe span. */
export interface SpanFigures {
  count: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export interface ProbeFigures {
  /** Sender's stamp → the last consumer's send returned (upper bound of the SFU-added delay). */
  total: SpanFigures;
  /** Sender's stamp → the packet callback in JS (sender SRTP, veth, libdatachannel, native→JS queue). */
  beforeJs: SpanFigures;
  /** Packet callback → last consumer's send (the JS span). */
  js: SpanFigures;
  packets: number;
  unstamped: number;
}

/** The probe's µs of SFU CPU per forwarded packet, recording off and on, alternating windows. */
export interface ProbeOverhead {
  level: string;
  windowMs: number;
  offUsPerPacket: number[];
  onUsPerPacket: number[];
  /** mean(on) ÷ mean(off). */
  ratio: number;
}

export interface ForwardingResult {
  levels: LevelResult[];
  /** Highest packets/s per SFU core among levels with loss ≤ 0.1 %. */
  capacityPpsPerCore: number | null;
  /** CPU µs per forwarded packet at the largest level with loss ≤ 0.1 %. */
  usPerPacket: number | null;
  stopReason: string;
  sfuIdleRssMb: number;
  probeOverhead: ProbeOverhead | null;
}

function span(h: DelayHistogram): SpanFigures {
  return {
    count: h.count,
    p50Us: h.percentile(50),
    p99Us: h.percentile(99),
    p999Us: h.percentile(99.9),
    maxUs: h.maxUs,
  };
}

/** GET /debug/delay-probe of every media process; `query` e.g. "reset=1" or "enable=0". */
export async function probeSnapshots(sfu: SfuProcess, query = ''): Promise<DelayProbeSnapshot[]> {
  return Promise.all(
    sfu.mediaHttpUrls.map(async (u) => {
      const res = await fetch(`${u}/debug/delay-probe${query ? `?${query}` : ''}`);
      if (!res.ok) throw new Error(`delay probe: HTTP ${res.status} from ${u}`);
      return (await res.json()) as DelayProbeSnapshot;
    }),
  );
}

/** The probe's figures merged over processes. */
export function probeFigures(snapshots: DelayProbeSnapshot[]): ProbeFigures {
  return {
    total: span(DelayHistogram.fromSnapshots(snapshots.map((s) => s.ingressToEgress))),
    beforeJs: span(DelayHistogram.fromSnapshots(snapshots.map((s) => s.ingressToJs))),
    js: span(DelayHistogram.fromSnapshots(snapshots.map((s) => s.js))),
    packets: snapshots.reduce((a, s) => a + s.packets, 0),
    unstamped: snapshots.reduce((a, s) => a + s.unstamped, 0),
  };
}

/** Packets forwarded so far by every media process (/health). */
export async function forwardedPackets(sfu: SfuProcess): Promise<number> {
  let n = 0;
  for (const u of sfu.mediaHttpUrls) {
    const res = await fetch(`${u}/health`);
    n += ((await res.json()) as { packetsForwarded: number }).packetsForwarded;
  }
  return n;
}

/**
 * The probe's own cost: SFU CPU per forwarded packet with recording paused and on, in alternating
 * (ABBA) windows on the same SFU and load (the probe stays allocated; paused costs one more boolean check).
 */
async function measureProbeOverhead(
  sfu: SfuProcess,
  level: string,
  windowMs: number,
  pairs: number,
): Promise<ProbeOverhead> {
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < 2 * pairs; i++) {
    // ABBA order (off, on, on, off, off, on, ...): a drift over the run does not favour one side.
    const enabled = (i % 2 === 1) !== (Math.floor(i / 2) % 2 === 1);
    await probeSnapshots(sfu, `enable=${enabled ? 1 : 0}&reset=1`);
    await sleep(300);
    const cpu0 = sfu.cpuSeconds();
    const fwd0 = await forwardedPackets(sfu);
    await sleep(windowMs);
    const cpu = sfu.cpuSeconds() - cpu0;
    const fwd = (await forwardedPackets(sfu)) - fwd0;
    (enabled ? on : off).push((cpu * 1e6) / fwd);
  }
  await probeSnapshots(sfu, 'enable=1&reset=1');
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return { level, windowMs, offUsPerPacket: off, onUsPerPacket: on, ratio: mean(on) / mean(off) };
}

export const DEFAULT_LEVELS: Level[] = [
  { p: 1, s: 10 },
  { p: 5, s: 40 },
  { p: 10, s: 80 },
  { p: 10, s: 120 },
  { p: 10, s: 160 },
];

export interface ForwardingOptions {
  levels?: Level[];
  windowMs?: number;
  warmupMs?: number;
  /** Measure the direct (no SFU) floor for levels with at most this many streams. */
  floorMaxStreams?: number;
  /** Stop the ramp when the ramp has used this long. */
  budgetMs?: number;
  /** Window pairs (probe off / on) for the probe's overhead at the last level reached; 0: skip. Default 3. */
  overheadPairs?: number;
}

export async function runForwarding(
  root: string,
  options: ForwardingOptions = {},
): Promise<ForwardingResult> {
  const levels = options.levels ?? DEFAULT_LEVELS;
  const windowMs = options.windowMs ?? 8000;
  const warmupMs = options.warmupMs ?? 2000;
  const floorMax = options.floorMaxStreams ?? 200;
  const deadline = Date.now() + (options.budgetMs ?? 240_000);
  const sfu = await spawnSfu(root, { env: { PATCHBAY_DELAY_PROBE: '1' } });
  await sleep(500);
  const sfuIdleRssMb = sfu.rssBytes() / 2 ** 20;
  const run = new LoadRun(sfu.url, 'fwd');
  const results: LevelResult[] = [];
  let stopReason = 'all levels done';
  let probeOverhead: ProbeOverhead | null = null;
  try {
    for (const level of levels) {
      if (Date.now() > deadline) {
        stopReason = `time budget reached before ${level.p}×${level.s}`;
        break;
      }
      const t0 = performance.now();
      if (level.p > run.publishers.length) await run.addPublishers(level.p - run.publishers.length);
      if (level.s > run.subscribers.length) await run.addSubscribers(level.s - run.subscribers.length);
      const setupMs = performance.now() - t0;
      await sleep(warmupMs);
      // BENCH_PERF=<dir>: record the SFU with perf over each level's window (profiling aid).
      const perf = process.env.BENCH_PERF
        ? spawn(
            'perf',
            [
              'record',
              '-F',
              '999',
              '-g',
              '-p',
              String(sfu.pid),
              '-o',
              `${process.env.BENCH_PERF}/perf-${level.p}x${level.s}.data`,
              '--',
              'sleep',
              String(windowMs / 1000),
            ],
            { stdio: 'ignore' },
          )
        : null;
      await probeSnapshots(sfu, 'reset=1');
      const sfu0 = sfu.cpuSeconds();
      const self0 = processCpuSeconds('self');
      const busy0 = machineBusySeconds();
      const drops0 = udpDropsByPort();
      const w0 = performance.now();
      const win = await run.measure(windowMs);
      const probe = await probeSnapshots(sfu).then(probeFigures, (error: unknown) => {
        console.log(`  delay probe not read: ${(error as Error).message}`);
        return null;
      });
      const wall = (performance.now() - w0 - 500) / 1000; // measure() adds a 500 ms grace
      const sfuCpu = sfu.cpuSeconds() - sfu0;
      const selfCpu = processCpuSeconds('self') - self0;
      const drops1 = udpDropsByPort();
      const isSfu = (port: number) => sfu.rtcPorts.includes(port);
      const sfuDrops = sumDrops(drops1, isSfu) - sumDrops(drops0, isSfu);
      const genDrops = sumDrops(drops1, (p) => !isSfu(p)) - sumDrops(drops0, (p) => !isSfu(p));
      const machineBusyPct = (100 * (machineBusySeconds() - busy0)) / (wall + 0.5) / cpus().length;
      // CPU was read over window + grace; scale to the window (load is steady).
      const scale = win.windowMs / 1000 / (wall + 0.5);
      const sfuCpuWin = sfuCpu * scale;
      const forwardedPps = win.receivedRate;
      if (perf && perf.exitCode === null) await new Promise((r) => perf.once('exit', r));
      const r: LevelResult = {
        ...win,
        offeredPps: run.offeredRate,
        forwardedPps,
        sfuCpuPct: (100 * sfuCpuWin) / (win.windowMs / 1000),
        benchCpuPct: (100 * selfCpu * scale) / (win.windowMs / 1000),
        sfuUsPerPacket: (sfuCpuWin * 1e6) / (forwardedPps * (win.windowMs / 1000)),
        ppsPerCore: forwardedPps / (sfuCpuWin / (win.windowMs / 1000)),
        sfuRssMb: sfu.rssBytes() / 2 ** 20,
        machineBusyPct,
        sfuSocketDrops: sfuDrops,
        loadSocketDrops: genDrops,
        floorP50Ms: null,
        floorP99Ms: null,
        addedP50Ms: null,
        addedP99Ms: null,
        setupMs,
        probe,
      };
      results.push(r);
      console.log(
        `  ${level.p}×${level.s}: ${Math.round(forwardedPps)} pps, loss ${round(win.lossPct, 3)} %, ` +
          `SFU ${round(r.sfuCpuPct)} % (${round(r.sfuUsPerPacket, 2)} µs/pkt), bench ${round(r.benchCpuPct)} %, ` +
          `delay p50 ${round(win.delayP50Ms, 2)} p99 ${round(win.delayP99Ms, 2)} ms, setup ${Math.round(setupMs)} ms` +
          (probe
            ? `; in-SFU p50/p99/p99.9 ${fmtSpan(probe.total)} ms (JS ${fmtSpan(probe.js)}, before JS ${fmtSpan(probe.beforeJs)})`
            : ''),
      );
      if (win.lossPct > 0.1) {
        const who = genDrops > sfuDrops ? 'the load generator’s sockets' : 'the SFU’s socket';
        stopReason =
          `loss ${round(win.lossPct, 3)} % > 0.1 % at ${level.p}×${level.s} ` +
          `(kernel drops: SFU socket ${sfuDrops}, load generator ${genDrops}: mostly ${who})`;
        break;
      }
      if (win.delayP50Ms > 20 || win.generatorSkipped > 0.001 * win.expected) {
        stopReason =
          `load generator saturated at ${level.p}×${level.s} (delay p50 ${round(win.delayP50Ms, 1)} ms, ` +
          `${win.generatorSkipped} packets not sent on time: its event loop cannot keep up)`;
        break;
      }
      if (r.sfuCpuPct > 90) {
        stopReason = `SFU at ${round(r.sfuCpuPct)} % of a core at ${level.p}×${level.s}`;
        break;
      }
      if (r.benchCpuPct > 150) {
        stopReason = `load generator at ${round(r.benchCpuPct)} % CPU at ${level.p}×${level.s}`;
        break;
      }
    }
    const last = results[results.length - 1];
    const pairs = options.overheadPairs ?? 3;
    if (pairs > 0 && last && last.lossPct <= 0.1) {
      probeOverhead = await measureProbeOverhead(
        sfu,
        `${last.publishers}×${last.subscribers}`,
        Math.min(windowMs, 5000),
        pairs,
      );
      console.log(
        `  probe overhead at ${probeOverhead.level}: off ${probeOverhead.offUsPerPacket.map((x) => round(x, 2)).join(' / ')} µs/pkt, ` +
          `on ${probeOverhead.onUsPerPacket.map((x) => round(x, 2)).join(' / ')}: ratio ${round(probeOverhead.ratio, 3)}`,
      );
    }
  } finally {
    run.close();
    await sfu.stop();
  }
  // The transport floor at the same receive rate, for the smaller levels.
  for (const r of results) {
    if (r.streams > floorMax) continue;
    const direct = new DirectRun();
    try {
      await direct.add(r.streams);
      await sleep(warmupMs);
      const f = await direct.measure(Math.min(windowMs, 5000));
      r.floorP50Ms = f.delayP50Ms;
      r.floorP99Ms = f.delayP99Ms;
      r.addedP50Ms = r.delayP50Ms - f.delayP50Ms;
      r.addedP99Ms = r.delayP99Ms - f.delayP99Ms;
    } finally {
      direct.close();
    }
  }
  const ok = results.filter((r) => r.lossPct <= 0.1);
  const best = ok.length ? ok.reduce((a, b) => (b.forwardedPps > a.forwardedPps ? b : a)) : null;
  return {
    levels: results,
    capacityPpsPerCore: best ? best.ppsPerCore : null,
    usPerPacket: best ? best.sfuUsPerPacket : null,
    stopReason,
    sfuIdleRssMb,
    probeOverhead,
  };
}

/** "p50 / p99 / p99.9" of a span in ms (10 µs resolution); "> 200" past the histogram. */
export function fmtSpan(s: SpanFigures): string {
  const ms = (us: number) => (us === Infinity ? '> 200' : Number.isNaN(us) ? '—' : (us / 1000).toFixed(2));
  return `${ms(s.p50Us)} / ${ms(s.p99Us)} / ${ms(s.p999Us)}`;
}

export function forwardingTable(result: ForwardingResult): Table {
  return {
    title: 'Forwarding capacity (load mode: node-datachannel DTLS-SRTP peers, Opus-shaped RTP, 20 ms ptime)',
    columns: [
      'P×S',
      'streams',
      'fwd pps',
      'loss %',
      'drops SFU/gen',
      'SFU CPU %',
      'µs/pkt',
      'pps/core',
      'bench CPU %',
      'delay p50/p99 ms',
      'direct p50/p99 ms',
      'SFU-added p50/p99 ms',
      'in-SFU p50/p99/p99.9 ms',
      'of which JS p50/p99/p99.9 ms',
      'before JS p50/p99/p99.9 ms',
      'SFU RSS MB',
      'machine busy %',
    ],
    rows: result.levels.map((r) => [
      `${r.publishers}×${r.subscribers}`,
      r.streams,
      Math.round(r.forwardedPps),
      round(r.lossPct, 3),
      `${r.sfuSocketDrops} / ${r.loadSocketDrops}`,
      round(r.sfuCpuPct, 1),
      round(r.sfuUsPerPacket, 2),
      Math.round(r.ppsPerCore),
      round(r.benchCpuPct, 1),
      `${round(r.delayP50Ms, 2)} / ${round(r.delayP99Ms, 2)}`,
      r.floorP50Ms === null ? '—' : `${round(r.floorP50Ms, 2)} / ${round(r.floorP99Ms ?? NaN, 2)}`,
      r.addedP50Ms === null ? '—' : `${round(r.addedP50Ms, 2)} / ${round(r.addedP99Ms ?? NaN, 2)}`,
      r.probe ? fmtSpan(r.probe.total) : '—',
      r.probe ? fmtSpan(r.probe.js) : '—',
      r.probe ? fmtSpan(r.probe.beforeJs) : '—',
      round(r.sfuRssMb, 1),
      Math.round(r.machineBusyPct),
    ]),
    notes: [
      `ramp stopped: ${result.stopReason}`,
      'pps/core = forwarded packets/s ÷ SFU CPU (utime+stime of the SFU process, all its threads, /proc/<pid>/stat) — the load generator shares the 2 cores, so wall throughput is not the capacity',
      'delay = receive time − send time embedded in the packet, same process (includes both peers’ SRTP and the bench’s event loop); direct = the same peers connected without the SFU at the same receive rate',
      'in-SFU = the SFU’s delay probe (PATCHBAY_DELAY_PROBE=1), every forwarded packet of the window: the publisher’s CLOCK_MONOTONIC stamp, written just before its SRTP send, → the SFU’s last consumer send returning (SRTP-protected and handed to the kernel). An upper bound on SFU-added delay: it also holds the publisher’s SRTP and the veth hop. Split at the packet callback in JS: before JS (sender SRTP, veth, libdatachannel receive + SRTP, native→JS queue and event loop) and JS (parse → last send, all subscribers of that publisher). 10 µs buckets, nearest-rank percentiles as bucket upper edges; percentiles of the parts do not add up to those of the whole',
      ...(result.probeOverhead
        ? [
            `probe cost at ${result.probeOverhead.level} (same SFU and load, alternating (ABBA) ${result.probeOverhead.windowMs / 1000} s windows, recording off / on): ` +
              `${result.probeOverhead.offUsPerPacket.map((x) => round(x, 2)).join(', ')} / ${result.probeOverhead.onUsPerPacket.map((x) => round(x, 2)).join(', ')} µs of SFU CPU per forwarded packet: ` +
              `on ÷ off = ${round(result.probeOverhead.ratio, 3)}; the table’s CPU columns are with the probe recording`,
          ]
        : []),
    ],
  };
}

export function forwardingMarkdown(result: ForwardingResult): string {
  return markdownTable(forwardingTable(result));
}

export function printForwarding(result: ForwardingResult): void {
  printTable(forwardingTable(result));
}
