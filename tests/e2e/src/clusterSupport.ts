import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient, estimateFrequency, generateTone, type NodeClient, rms } from '@patchbay/node';
import { type Msg, type RawPeer, rawPeer } from './rawPeer.js';
import { freePort } from './reconnectSupport.js';
import { sleep, TEST_IP, waitFor } from './support.js';

/** The repository root: this file runs as tests/e2e/dist/clusterSupport.js. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'patchbay.js');
export const ADMIN_TOKEN = 'cluster-test-admin-token';

/** A throw-away redis-server on 127.0.0.1 (no persistence), started and stopped by the test. */
export class RedisProcess {
  readonly port: number;
  #child: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(port?: number): Promise<RedisProcess> {
    const redis = new RedisProcess(port ?? (await freePort()));
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again, on the same port) and waits until it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr?.resume();
    await waitFor(() => /Ready to accept connections/.test(out) || child.exitCode !== null, 10000, 'redis');
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** One `patchbay serve` process of a cluster. */
export class NodeProcess {
  readonly child: ChildProcess;
  /** Its WebSocket URL (what it advertises in redirects). */
  readonly url: string;
  readonly httpUrl: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  /** Set by a test that drained it. */
  drained = false;

  private constructor(child: ChildProcess, url: string, httpUrl: string) {
    this.child = child;
    this.url = url;
    this.httpUrl = httpUrl;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Runs `patchbay serve --redis <redisUrl>` on free ports; resolves once it listens. */
  static async start(redisUrl: string, extra: string[] = []): Promise<NodeProcess> {
    const { child, stderr } = spawnServe(['--redis', redisUrl, '--admin-token', ADMIN_TOKEN, ...extra]);
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      // libdatachannel may print a warning of its own first.
      lines.on('line', (line) => {
        if (line.startsWith('Patchbay listening')) resolve(line);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr()}`)));
    });
    const m = /^Patchbay listening on (\S+) \(signaling (ws:\/\/\S+),/.exec(first);
    if (!m) throw new Error(`unexpected first line: ${first}`);
    const node = new NodeProcess(child, m[2], m[1]);
    child.stderr?.on('data', (s: string) => (node.stderr += s));
    return node;
  }

  async health(): Promise<{
    channels: number;
    participants: number;
    cluster: { node: string; draining: boolean };
  }> {
    const res = await fetch(`${this.httpUrl}/health`);
    return (await res.json()) as Awaited<ReturnType<NodeProcess['health']>>;
  }

  /** POST /admin/drain. */
  async drain(token = ADMIN_TOKEN): Promise<{ status: number; body: Msg }> {
    const res = await fetch(`${this.httpUrl}/admin/drain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Msg };
  }

  async kill(
    signal: NodeJS.Signals = 'SIGKILL',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Spawns `patchbay serve` on free ports with media on the test address; stdout/stderr piped. */
export function spawnServe(args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--rtc-port',
      '0',
      '--rtc-bind',
      TEST_IP,
      '--log-level',
      process.env.PATCHBAY_TEST_LOG_LEVEL || 'warn',
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATCHBAY_REDIS: '' } },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout?.setEncoding('utf8');
  return { child, stderr: () => stderr };
}

/** A raw join through `entry`, following one REDIRECT. The peer stays joined until closed. */
export async function rawJoin(
  entry: string,
  channel: string,
  uid: string,
): Promise<{ peer: RawPeer; url: string; reply: Msg; redirected: string | null }> {
  const join = { type: 'join', appId: 'test-app', channel, token: null, uid };
  let peer = await rawPeer(entry);
  let reply = await peer.request(join);
  let redirected: string | null = null;
  let url = entry;
  if (reply.type === 'error' && reply.code === 'REDIRECT') {
    redirected = String(reply.redirect);
    peer.close();
    url = redirected;
    peer = await rawPeer(url);
    reply = await peer.request(join);
  }
  return { peer, url, reply, redirected };
}

interface HeardFrame {
  at: number;
  samples: Int16Array;
}

/**
 * A Node SDK client that joins through an entry node, publishes a continuous tone and records what
 * it hears (the mix of everyone else), with arrival times, to check pitch and measure gaps.
 */
export class Talker {
  client!: NodeClient;
  readonly freq: number;
  readonly frames: HeardFrame[] = [];
  /** Connection events with their times, for a test's diagnostics. */
  readonly events: string[] = [];
  #pushing = false;

  constructor(freq: number) {
    this.freq = freq;
  }

  /** The node it is (or was last) connected to: the channel's owner, after redirects. */
  get url(): string {
    return this.client.serverUrl;
  }

  /** Joins through `entry` (a list: tried in turn), following the redirect to the channel's owner. */
  async join(entry: string | string[], channel: string, uid: string): Promise<void> {
    const client = createClient({ server: entry });
    this.client = client;
    client.setExternalAudioSource(true, 48000, 1);
    client.on('user-published', (user) => {
      client.subscribe(user, 'audio').catch(() => undefined);
    });
    client.on('connection-state-change', (state) => this.events.push(`${Date.now()} ${state}`));
    client.on('reconnected', (r) =>
      this.events.push(`${Date.now()} reconnected ${JSON.stringify(r)} to ${client.serverUrl}`),
    );
    client.on('user-published', (u) => this.events.push(`${Date.now()} published ${String(u.uid)}`));
    client.on('user-joined', (u) => this.events.push(`${Date.now()} joined ${String(u.uid)}`));
    client.on('user-left', (u, why) => this.events.push(`${Date.now()} left ${String(u.uid)} ${why}`));
    client.onMixedAudioFrame((frame) =>
      this.frames.push({ at: Date.now(), samples: Int16Array.from(frame.samples) }),
    );
    await client.join('test-app', channel, null, uid);
    if (!this.#pushing) void this.#push();
  }

  /** Pushes 100 ms chunks (whole cycles, so the phase is continuous) until leave. */
  async #push(): Promise<void> {
    this.#pushing = true;
    const chunk = generateTone(this.freq, 48000, 1, 0.1, 0.5);
    while (this.#pushing) {
      try {
        await this.client.pushExternalAudioFrame(chunk);
      } catch {
        await sleep(50); // not connected right now (reconnecting): try again
      }
    }
  }

  /** The pitch heard over the last `ms`, counting only frames from `since` on (0 when silent or too short). */
  heardFrequency(ms = 1000, since = 0): number {
    const from = Math.max(Date.now() - ms, since);
    const recent = this.frames.filter((f) => f.at >= from);
    if (recent.length < Math.min(40, ms / 10 - 10)) return 0;
    const samples = new Int16Array(recent.length * 480);
    recent.forEach((f, i) => samples.set(f.samples.subarray(0, 480), i * 480));
    if (rms(samples) < 0.05) return 0;
    return estimateFrequency(samples, 48000, 1);
  }

  /** Waits until it hears `freq` (±1%) steadily over the last 500 ms (after `since`); resolves with the time. */
  async waitToHear(freq: number, timeoutMs: number, since = 0): Promise<number> {
    await waitFor(
      () => Math.abs(this.heardFrequency(500, since) - freq) / freq < 0.01,
      timeoutMs,
      `hearing ${freq} Hz`,
    );
    return Date.now();
  }

  /** Waits for a gap (a silent frame) after `since`, as a move to another node makes; resolves with its time. */
  async waitForGap(since: number, timeoutMs: number): Promise<number> {
    let at = 0;
    await waitFor(
      () => {
        at = this.frames.find((f) => f.at >= since && rms(f.samples) < 0.01)?.at ?? 0;
        return at > 0;
      },
      timeoutMs,
      'a gap in the audio',
    );
    return at;
  }

  async leave(): Promise<void> {
    this.#pushing = false;
    this.client.externalAudioTrack?.clearBuffer();
    await this.client.leave().catch(() => undefined);
  }
}
