import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { processCpuSeconds, processRssBytes, withTimeout } from './util.js';

/** `pid` and its descendants (the workers of `serve --workers`), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // exited
    }
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').split(' '))
          if (c.trim()) out.push(Number(c));
      } catch {
        // thread gone
      }
    }
  }
  return out;
}

function sumOver(pids: number[], read: (pid: number) => number): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += read(pid);
    } catch {
      // exited between listing and reading
    }
  }
  return total;
}

export interface SfuProcess {
  readonly pid: number;
  /** Signaling URL, ws://127.0.0.1:<port>. */
  readonly url: string;
  /** HTTP base URL (serves /sdk/ when the browser bundle exists). */
  readonly httpUrl: string;
  /** The one UDP port carrying all media (the first worker's with `workers`). */
  readonly rtcPort: number;
  /** Every media port (one per worker with `workers`). */
  readonly rtcPorts: number[];
  /** HTTP base URL of each process that forwards media (the workers' own ports with `workers`). */
  readonly mediaHttpUrls: string[];
  /** CPU seconds of the SFU: the process and, with `workers`, every worker (all threads). */
  cpuSeconds(): number;
  /** CPU seconds of each process that forwards media (the one process, or each worker). */
  mediaCpuSeconds(): number[];
  rssBytes(): number;
  stop(): Promise<void>;
}

/**
 * Node flags of the production setting for `patchbay serve` (docs/deployment.md, "Node flags"):
 * V8's young generation fixed at 16 MB semi-spaces, so it is not resized with the allocation rate
 * (each resize moves RSS by up to ~25 MB at once). Node refuses --min-semi-space-size in
 * NODE_OPTIONS and v8.setFlagsFromString after start-up does not resize it: it has to be on node's
 * command line.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

/**
 * Starts `patchbay serve` as a child process on free ports, media bound to the namespace's veth
 * address, and reads its URL from stdout; `env` is added to its environment, `extraArgs` go to `serve` (e.g. --redis),
 * `nodeArgs` to node. BENCH_SFU_NODE_ARGS adds node flags after those (e.g. --cpu-prof); BENCH_SFU_CPUS
 * (e.g. "0") pins the SFU process to those CPUs.
 * `workers`: `serve --workers N` on a fixed free port (N + 1 TCP ports) instead of one process.
 */
export async function spawnSfu(
  root: string,
  extra: {
    args?: string[];
    env?: Record<string, string>;
    nodeArgs?: readonly string[];
    workers?: number;
  } = {},
): Promise<SfuProcess> {
  const workers = extra.workers ?? 0;
  const port = workers > 0 ? await freePortRun(workers + 1) : 0;
  const rtcBind = process.env.PATCHBAY_TEST_IP || '127.0.0.1';
  const nodeArgs = [
    ...(extra.nodeArgs ?? []),
    ...(process.env.BENCH_SFU_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  // BENCH_SFU_CPUS (run.ts --pin): the SFU runs on these CPUs only (taskset execs node: same pid).
  const cpus = process.env.BENCH_SFU_CPUS;
  const child: ChildProcess = spawn(
    cpus ? 'taskset' : process.execPath,
    [
      ...(cpus ? ['-c', cpus, process.execPath] : []),
      ...nodeArgs,
      resolve(root, 'packages/cli/bin/patchbay.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--rtc-port',
      '0',
      '--rtc-bind',
      rtcBind,
      '--log-level',
      'warn',
      ...(workers > 0 ? ['--workers', String(workers)] : []),
      ...(extra.args ?? []),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extra.env } },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20000) stderr = stderr.slice(-10000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let rtcPorts: number[] = [];
  let httpUrl = '';
  let workerUrls: string[] = [];
  const url = await withTimeout(
    new Promise<string>((resolveUrl, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /signaling (wss?:\/\/[^\s,)]+)/.exec(out);
        const p = /media udp [^\s]+:([\d,]+)/.exec(out);
        const h = /listening on (https?:\/\/[^\s,)]+)/.exec(out);
        const w = /own port for redirects: ([^;]+);/.exec(out);
        if (m && p && (workers === 0 || w)) {
          rtcPorts = p[1].split(',').map(Number);
          httpUrl = h?.[1] ?? '';
          workerUrls = w
            ? w[1]
                .trim()
                .split(/\s+/)
                .map((u) => u.replace(/^ws/, 'http'))
            : [];
          resolveUrl(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`patchbay serve exited (${code}): ${stderr.trim()}`)));
    }),
    15000,
    'patchbay serve to start',
  );
  const pid = child.pid as number;
  const mediaPids = () => (workers > 0 ? processTree(pid).slice(1) : [pid]);
  return {
    pid,
    url,
    httpUrl,
    rtcPort: rtcPorts[0],
    rtcPorts,
    mediaHttpUrls: workers > 0 ? workerUrls : [httpUrl],
    cpuSeconds: () => sumOver(processTree(pid), processCpuSeconds),
    mediaCpuSeconds: () => mediaPids().map((p) => sumOver([p], processCpuSeconds)),
    rssBytes: () => sumOver(processTree(pid), processRssBytes),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** A TCP port p on 127.0.0.1 with p .. p + n - 1 all free (for `serve --workers`). */
async function freePortRun(n: number): Promise<number> {
  const { createServer } = await import('node:net');
  const tryListen = (p: number) =>
    new Promise<boolean>((ok) => {
      const server = createServer();
      server.once('error', () => ok(false));
      server.listen(p, '127.0.0.1', () => server.close(() => ok(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    let free = true;
    for (let i = 0; i < n && free; i++) free = await tryListen(base + i);
    if (free) return base;
  }
  throw new Error(`no ${n} consecutive free TCP ports found`);
}
