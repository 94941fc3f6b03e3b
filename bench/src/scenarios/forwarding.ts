import { spawn } from 'node:child_process';
import { DirectRun, LoadRun, type WindowResult } from '../LoadRun.js';
import { markdownTable, printTable, type Table } from '../report.js';
import { spawnSfu } from '../sfu.js';
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
}

export interface ForwardingResult {
  levels: LevelResult[];
  /** Highest packets/s per SFU core among levels with loss ≤ 0.1 %. */
  capacityPpsPerCore: number | null;
  /** CPU µs per forwarded packet at the largest level with loss ≤ 0.1 %. */
  usPerPacket: number | null;
  stopReason: string;
  sfuIdleRssMb: number;
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
  const sfu = await spawnSfu(root);
  await sleep(500);
  const sfuIdleRssMb = sfu.rssBytes() / 2 ** 20;
  const run = new LoadRun(sfu.url, 'fwd');
  const results: LevelResult[] = [];
  let stopReason = 'all levels done';
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
      const sfu0 = sfu.cpuSeconds();
      const self0 = processCpuSeconds('self');
      const busy0 = machineBusySeconds();
      const drops0 = udpDropsByPort();
      const w0 = performance.now();
      const win = await run.measure(windowMs);
      const wall = (performance.now() - w0 - 500) / 1000; // measure() adds a 500 ms grace
      const sfuCpu = sfu.cpuSeconds() - sfu0;
      const selfCpu = processCpuSeconds('self') - self0;
      const drops1 = udpDropsByPort();
      const isSfu = (port: number) => port === sfu.rtcPort;
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
      };
      results.push(r);
      console.log(
        `  ${level.p}×${level.s}: ${Math.round(forwardedPps)} pps, loss ${round(win.lossPct, 3)} %, ` +
          `SFU ${round(r.sfuCpuPct)} % (${round(r.sfuUsPerPacket, 2)} µs/pkt), bench ${round(r.benchCpuPct)} %, ` +
          `delay p50 ${round(win.delayP50Ms, 2)} p99 ${round(win.delayP99Ms, 2)} ms, setup ${Math.round(setupMs)} ms`,
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
  };
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
      round(r.sfuRssMb, 1),
      Math.round(r.machineBusyPct),
    ]),
    notes: [
      `ramp stopped: ${result.stopReason}`,
      'pps/core = forwarded packets/s ÷ SFU CPU (utime+stime of the SFU process, all its threads, /proc/<pid>/stat) — the load generator shares the 2 cores, so wall throughput is not the capacity',
      'delay = receive time − send time embedded in the packet, same process (includes both peers’ SRTP and the bench’s event loop); direct = the same peers connected without the SFU at the same receive rate',
    ],
  };
}

export function forwardingMarkdown(result: ForwardingResult): string {
  return markdownTable(forwardingTable(result));
}

export function printForwarding(result: ForwardingResult): void {
  printTable(forwardingTable(result));
}
