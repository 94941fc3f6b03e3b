import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { processCpuSeconds, processRssBytes, withTimeout } from './util.js';

export interface SfuProcess {
  readonly pid: number;
  /** Signaling URL, ws://127.0.0.1:<port>. */
  readonly url: string;
  /** HTTP base URL (serves /sdk/ when the browser bundle exists). */
  readonly httpUrl: string;
  /** The one UDP port carrying all media. */
  readonly rtcPort: number;
  cpuSeconds(): number;
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
 * `nodeArgs` to node. BENCH_SFU_NODE_ARGS adds node flags after those (e.g. --cpu-prof).
 */
export async function spawnSfu(
  root: string,
  extra: { args?: string[]; env?: Record<string, string>; nodeArgs?: readonly string[] } = {},
): Promise<SfuProcess> {
  const rtcBind = process.env.PATCHBAY_TEST_IP || '127.0.0.1';
  const nodeArgs = [
    ...(extra.nodeArgs ?? []),
    ...(process.env.BENCH_SFU_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...nodeArgs,
      resolve(root, 'packages/cli/bin/patchbay.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--rtc-port',
      '0',
      '--rtc-bind',
      rtcBind,
      '--log-level',
      'warn',
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
  let rtcPort = 0;
  let httpUrl = '';
  const url = await withTimeout(
    new Promise<string>((resolveUrl, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /signaling (wss?:\/\/[^\s,)]+)/.exec(out);
        const p = /media udp [^\s]+:(\d+)/.exec(out);
        const h = /listening on (https?:\/\/[^\s,)]+)/.exec(out);
        if (m && p) {
          rtcPort = Number(p[1]);
          httpUrl = h?.[1] ?? '';
          resolveUrl(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`patchbay serve exited (${code}): ${stderr.trim()}`)));
    }),
    15000,
    'patchbay serve to start',
  );
  const pid = child.pid as number;
  return {
    pid,
    url,
    httpUrl,
    rtcPort,
    cpuSeconds: () => processCpuSeconds(pid),
    rssBytes: () => processRssBytes(pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
