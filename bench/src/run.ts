/**
 * `npm run bench`: every scenario in the private network namespace, each printing a table,
 * writing bench/results/<scenario>.json and its section of BENCHMARKS.md.
 *
 *   node bench/dist/run.js [--only forwarding,workers,cluster,latency,join,costs,janus,loss] [--levels 1x10,5x40] [--joins 50] [--window ms]
 *     [--workers-load CxPxS (default 2x5x40)] [--workers-setups 0,1,2]
 *     [--pin] (with --only forwarding: the SFU on CPU 0, the load generator on the other CPUs)
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, printTable, stamp, type Table, updateBenchmarksMd, writeJson } from './report.js';
import { spawnSfu } from './sfu.js';
import { clusterTable, runCluster } from './scenarios/cluster.js';
import { runCosts } from './scenarios/costs.js';
import {
  DEFAULT_LEVELS,
  type ForwardingResult,
  forwardingMarkdown,
  type Level,
  printForwarding,
  runForwarding,
} from './scenarios/forwarding.js';
import { runJanus } from './scenarios/janusScenario.js';
import { joinRow, loadJoinTimes, sdkJoinTimes } from './scenarios/join.js';
import { latencyMarkdown, printLatency, runLatency } from './scenarios/latency.js';
import { lossTable, runLoss } from './scenarios/loss.js';
import { runWorkers, workersTable } from './scenarios/workers.js';
import { machineInfo, round } from './util.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function parseLevels(text: string | undefined): Level[] | undefined {
  if (!text) return undefined;
  return text.split(',').map((l) => {
    const [p, s] = l.split('x').map(Number);
    return { p, s };
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const only = arg('only')?.split(',');
  const want = (name: string) => !only || only.includes(name);
  const joins = Number(arg('joins') ?? 50);
  const levels = parseLevels(arg('levels')) ?? DEFAULT_LEVELS;
  const machine = machineInfo(root);
  console.log(stamp(machine));
  if (!process.env.PATCHBAY_NETNS) {
    console.log(
      'note: not inside scripts/netns-run.sh; media uses 127.0.0.1 and the wrtc/Janus scenarios may fail',
    );
  }
  const section = (name: string, heading: string, body: string) =>
    updateBenchmarksMd(root, name, heading, `${stamp(machine)}\n\n${body}`);

  // --pin: the SFU on core 0, this process (the load generator) on the others, so that the SFU has
  // a core of its own as on a dedicated server. Forwarding only; its own section and JSON.
  const pin = process.argv.includes('--pin');
  if (pin) {
    if (only?.join() !== 'forwarding') throw new Error('--pin goes with --only forwarding');
    const n = cpus().length;
    if (n < 2) throw new Error('--pin needs at least 2 CPUs');
    const r = spawnSync('taskset', ['-a', '-p', '-c', `1-${n - 1}`, String(process.pid)], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr || r.error?.message}`);
    process.env.BENCH_SFU_CPUS = '0';
    console.log(`pinned: SFU on CPU 0, load generator on CPUs 1-${n - 1}`);
  }

  let forwarding: ForwardingResult | null = null;
  if (want('forwarding')) {
    console.log(`\n== forwarding capacity${pin ? ' (SFU pinned to CPU 0)' : ''}`);
    forwarding = await runForwarding(root, { levels, windowMs: Number(arg('window') ?? 8000) });
    printForwarding(forwarding);
    writeJson(root, pin ? 'forwarding-pinned' : 'forwarding', { machine, ...forwarding });
    if (pin) {
      section(
        'forwarding-pinned',
        'Forwarding capacity, SFU on a core of its own (--pin)',
        `The SFU process (all its threads) pinned to CPU 0 with taskset, the load generator to the other CPUs: ` +
          `as on a dedicated server, the SFU does not share its core with the load.\n\n${forwardingMarkdown(forwarding)}`,
      );
    } else section('forwarding', 'Forwarding capacity', forwardingMarkdown(forwarding));
  }

  // Not in the default run (it starts three servers); ask for it with --only workers.
  if (only?.includes('workers')) {
    console.log('\n== one process against --workers N');
    const [channels, publishers, subscribers] = (arg('workers-load') ?? '2x5x40').split('x').map(Number);
    const setups = (arg('workers-setups') ?? '0,1,2').split(',').map(Number);
    const rows = await runWorkers(root, {
      channels,
      publishers,
      subscribers,
      setups,
      windowMs: Number(arg('window') ?? 8000),
    });
    const table = workersTable(rows);
    printTable(table);
    writeJson(root, 'workers', { machine, rows });
    section('workers', 'One SFU worker per core (serve --workers)', markdownTable(table));
  }

  if (want('cluster')) {
    console.log('\n== cluster: two nodes against one');
    const rows = await runCluster(root, { windowMs: Number(arg('window') ?? 8000) });
    const table = clusterTable(rows);
    printTable(table);
    writeJson(root, 'cluster', { machine, rows });
    section('cluster', 'Two nodes against one (cluster)', markdownTable(table));
  }

  if (want('latency')) {
    console.log('\n== push-to-ear latency');
    const r = await runLatency(root);
    printLatency(r);
    writeJson(root, 'latency', { machine, ...r });
    section('latency', 'Push-to-ear latency', latencyMarkdown(r));
  }

  let joinTable: Table | null = null;
  if (want('join')) {
    console.log('\n== join time');
    const sfu = await spawnSfu(root);
    let sdk;
    let load;
    try {
      sdk = await sdkJoinTimes(sfu.url, joins, 90_000);
      load = await loadJoinTimes(sfu.url, joins, 60_000);
    } finally {
      await sfu.stop();
    }
    joinTable = {
      title: `Join time: join() → first audio at a subscriber already in the channel (${joins} sequential joins)`,
      columns: ['client', 'joins', 'p50 ms', 'p95 ms', 'max ms', 'note'],
      rows: [
        joinRow('Node SDK (wrtc) → Node SDK, first non-silent frame', sdk),
        joinRow('load peers (node-datachannel), first RTP packet', load),
      ],
      notes: [
        'load peers: join + publish (offer/answer, ICE, DTLS) + the observer subscribes (server offer on its one connection, answer) + first packet; publishers stay, so each join renegotiates the observer’s connection — the same flow as the Janus row',
      ],
    };
    printTable(joinTable);
    writeJson(root, 'join', { machine, sdk, load });
    section('join', 'Join time', markdownTable(joinTable));
  }

  if (want('costs')) {
    console.log('\n== costs');
    const c = await runCosts(root);
    const t: Table = {
      title: 'Costs',
      columns: ['what', 'value', 'how'],
      rows: [
        [
          'Node SDK CPU per pushed 48 kHz stereo stream',
          `${round(c.sdkCpuPctPerStream, 2)} % of a core`,
          `${c.streams} publishing clients in one process pushing 10 ms frames in real time; process CPU over 5 s minus idle (${round(c.idleCpuPct, 2)} %), ÷ streams; includes Opus encode, SRTP, pacing, resampler bypass`,
        ],
        [
          'SFU memory per participant',
          `${round(c.sfuKbPerParticipant, 0)} KiB`,
          `RSS slope from ${c.sfuRssMbAt.map((a) => `${a.participants} participants / ${a.streams} streams: ${round(a.rssMb, 1)} MB`).join(', ')} (idle ${round(c.sfuIdleRssMb, 1)} MB)`,
        ],
      ],
    };
    printTable(t);
    writeJson(root, 'costs', { machine, ...c });
    section('costs', 'Costs', markdownTable(t));
  }

  if (want('janus')) {
    console.log('\n== Janus side by side');
    // The same levels the Patchbay ramp passed (or the defaults), to keep the run bounded.
    const passed = forwarding?.levels.map((l) => ({ p: l.publishers, s: l.subscribers })) ?? levels;
    const janusLevels = passed.filter((l) => l.p * l.s <= 1600).slice(0, 4);
    const r = await runJanus(janusLevels, Math.min(joins, 30));
    let t: Table;
    if ('skipped' in r) {
      t = { title: 'Janus VideoRoom side by side', columns: ['status'], rows: [[`skipped: ${r.skipped}`]] };
    } else {
      const ours = new Map(forwarding?.levels.map((l) => [`${l.publishers}×${l.subscribers}`, l]) ?? []);
      t = {
        title: `Janus ${r.version} VideoRoom vs Patchbay, same load peers and levels`,
        columns: [
          'P×S',
          'Janus fwd pps',
          'Janus loss %',
          'Janus CPU %',
          'Janus µs/pkt',
          'Patchbay µs/pkt',
          'Patchbay ÷ Janus',
          'Janus pps/core',
          'Janus delay p50/p99 ms',
          'sent/offered %',
        ],
        rows: r.levels.map((l) => {
          const key = `${l.publishers}×${l.subscribers}`;
          const o = ours.get(key);
          return [
            key,
            Math.round(l.forwardedPps),
            round(l.lossPct, 3),
            round(l.cpuPct, 1),
            round(l.usPerPacket, 2),
            o ? round(o.sfuUsPerPacket, 2) : '—',
            o ? `${round(o.sfuUsPerPacket / l.usPerPacket, 2)}×` : '—',
            Math.round(l.ppsPerCore),
            `${round(l.delayP50Ms, 2)} / ${round(l.delayP99Ms, 2)}`,
            round(l.sentPct, 1),
          ];
        }),
        notes: [
          `Janus join → first packet (load peers, ${r.join.joins} sequential joins, existing subscriber adds the feed to its one connection): p50 ${round(r.join.p50Ms, 1)} ms, p95 ${round(r.join.p95Ms, 1)} ms${r.join.failures ? `, ${r.join.failures} failed` : ''}`,
          'Janus: HTTP API on 127.0.0.1, ICE only on the namespace veth (-E), VideoRoom only, debug level 3; CPU from /proc/<pid>/stat like the SFU',
          'sent/offered: packets the load publishers got out in the window ÷ 50 per publisher per second; below 100 the machine (Janus + generator) could not keep pace, and the ramp stops under 95',
          ...(r.note ? [r.note] : []),
        ],
      };
    }
    printTable(t);
    writeJson(root, 'janus', { machine, ...r });
    section('janus', 'Side by side with Janus', markdownTable(t));
  }
  if (want('loss')) {
    console.log('\n== audio under loss');
    const rows = await runLoss(root);
    const t = lossTable(rows);
    printTable(t);
    writeJson(root, 'loss', { machine, rows });
    section('loss', 'Audio under loss', markdownTable(t));
  }
  console.log(`\nbench done in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
