import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { LoadRun } from '../LoadRun.js';
import type { Table } from '../report.js';
import { type SfuProcess, spawnSfu } from '../sfu.js';
import { round, sleep } from '../util.js';

export interface ClusterRow {
  setup: string;
  nodes: number;
  channels: number;
  streams: number;
  forwardedPps: number;
  lossPct: number;
  /** CPU of each node over the window, % of one core. */
  nodeCpuPct: number[];
  /** Channels on each node (from /health). */
  nodeChannels: number[];
  /** Forwarded packets/s at which the busiest node would use a whole core (linear extrapolation). */
  ppsAtFullBusiestNode: number;
}

export interface ClusterOptions {
  channels?: number;
  publishers?: number;
  subscribers?: number;
  windowMs?: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

async function channelsOn(node: SfuProcess): Promise<number> {
  const res = await fetch(`${node.httpUrl}/health`);
  return ((await res.json()) as { channels: number }).channels;
}

/** The same channels (each P publishers × S subscribers), entered through the first node, measured once. */
async function measure(setup: string, nodes: SfuProcess[], o: Required<ClusterOptions>): Promise<ClusterRow> {
  const runs: LoadRun[] = [];
  try {
    for (let c = 0; c < o.channels; c++) {
      const run = new LoadRun(nodes[0].url, `cluster-bench-${c}`);
      runs.push(run);
      await run.addPublishers(o.publishers);
      await run.addSubscribers(o.subscribers);
    }
    await sleep(2000);
    const cpu0 = nodes.map((n) => n.cpuSeconds());
    const t0 = performance.now();
    const windows = await Promise.all(runs.map((r) => r.measure(o.windowMs)));
    const seconds = (performance.now() - t0) / 1000;
    const nodeCpuPct = nodes.map((n, i) => (100 * (n.cpuSeconds() - cpu0[i])) / seconds);
    const expected = windows.reduce((a, w) => a + w.expected, 0);
    const received = windows.reduce((a, w) => a + w.received, 0);
    const forwardedPps = windows.reduce((a, w) => a + w.receivedRate, 0);
    const busiest = Math.max(...nodeCpuPct);
    return {
      setup,
      nodes: nodes.length,
      channels: o.channels,
      streams: windows.reduce((a, w) => a + w.streams, 0),
      forwardedPps,
      lossPct: expected > 0 ? (100 * (expected - received)) / expected : NaN,
      nodeCpuPct,
      nodeChannels: await Promise.all(nodes.map(channelsOn)),
      ppsAtFullBusiestNode: busiest > 0 ? (forwardedPps * 100) / busiest : NaN,
    };
  } finally {
    for (const r of runs) r.close();
  }
}

/**
 * One node against a two-node cluster (Redis placement) under the same multi-channel load.
 * A node is one Node.js process whose forwarding runs on its main thread, so one node tops out
 * at about one core; a cluster spreads channels over processes (and machines).
 */
export async function runCluster(root: string, options: ClusterOptions = {}): Promise<ClusterRow[]> {
  const o: Required<ClusterOptions> = {
    channels: 4,
    publishers: 5,
    subscribers: 20,
    windowMs: 8000,
    ...options,
  };
  const rows: ClusterRow[] = [];
  const single = await spawnSfu(root);
  try {
    rows.push(await measure('one node', [single], o));
  } finally {
    await single.stop();
  }
  const redis = await startRedis();
  const nodes: SfuProcess[] = [];
  try {
    for (let i = 0; i < 2; i++) nodes.push(await spawnSfu(root, { args: ['--redis', redis.url] }));
    await sleep(1200); // past the nodes' start-up CPU samples
    rows.push(await measure('two nodes, Redis placement', nodes, o));
  } finally {
    for (const n of nodes) await n.stop();
    redis.child.kill('SIGKILL');
  }
  return rows;
}

export function clusterTable(rows: ClusterRow[], o: ClusterOptions = {}): Table {
  const single = rows[0];
  return {
    title: `Two nodes against one: ${single?.channels ?? o.channels} channels of ${o.publishers ?? 5} publishers × ${o.subscribers ?? 20} subscribers, entered through the first node`,
    columns: [
      'setup',
      'streams',
      'fwd pps',
      'loss %',
      'channels per node',
      'CPU per node %',
      'pps at a full core on the busiest node',
    ],
    rows: rows.map((r) => [
      r.setup,
      r.streams,
      Math.round(r.forwardedPps),
      round(r.lossPct, 2),
      r.nodeChannels.join(' / '),
      r.nodeCpuPct.map((c) => round(c, 1)).join(' / '),
      Math.round(r.ppsAtFullBusiestNode),
    ]),
    notes: [
      'the same load peers (one bench process) drive both setups; placement spreads the channels by load (tracks, channels, CPU in quarter-core steps)',
      'last column = fwd pps × 100 ÷ CPU % of the busiest node: the forwarding rate at which that node would fill one core (forwarding is on each node’s main thread). On this 2-core machine the load generator saturates first, so this is an extrapolation, not a measured saturation point',
    ],
  };
}
