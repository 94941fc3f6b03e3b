import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  createClient,
  createCustomAudioTrack,
  estimateFrequency,
  generateTone,
  type NodeClient,
  type PcmAudioTrack,
  type RemoteAudioTrack,
  rms,
} from '@patchbay/node';
import { createServer, type PatchbayServer } from '@patchbay/server';
import { toneLevel } from './engineSupport.js';
import { concatSamples, TEST_IP } from './support.js';

/** A server on given (or free) ports, quiet, media on the test address. */
export function startServerOn(port = 0, rtcPort = 0): Promise<PatchbayServer> {
  return createServer({
    host: '127.0.0.1',
    port,
    rtcPort,
    rtcBind: TEST_IP,
    logLevel: (process.env.PATCHBAY_TEST_LOG_LEVEL as 'warn') || 'warn',
  });
}

const CLI = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));

/** A free TCP port on loopback (closed again; the caller binds it next). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** `patchbay serve` as a child process on fixed ports, so a test can kill and restart it. */
export class ServerProcess {
  #child: ChildProcess | null = null;
  readonly port: number;
  constructor(port: number) {
    this.port = port;
  }
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', String(this.port), '--rtc-bind', TEST_IP, '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    this.#child = child;
    const end = Date.now() + 10000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`patchbay serve exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${this.port}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      if (Date.now() > end) throw new Error('patchbay serve did not come up within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the process (SIGTERM: a clean shutdown with `bye`; SIGKILL: a crash) and waits for it. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }
}

/**
 * A TCP relay in front of the signaling port, so a test can cut a client's WebSocket (as a NAT
 * rebinding or a flaky proxy does) while the media path stays as it is.
 */
export class TcpRelay {
  readonly #server: net.Server;
  readonly #sockets: Set<net.Socket>;
  readonly #state: { downUntil: number };

  private constructor(server: net.Server, sockets: Set<net.Socket>, state: { downUntil: number }) {
    this.#server = server;
    this.#sockets = sockets;
    this.#state = state;
  }

  static async start(targetPort: number): Promise<TcpRelay> {
    const sockets = new Set<net.Socket>();
    const state = { downUntil: 0 };
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      const forward = (from: net.Socket, to: net.Socket): void => {
        // While the link is down, bytes wait (as in the kernel's buffers on a dead link) and go
        // through in order when it comes back; nothing is reset.
        let held: Buffer[] = [];
        let timer: NodeJS.Timeout | null = null;
        const flush = (): void => {
          timer = null;
          const wait = state.downUntil - Date.now();
          if (wait > 0) {
            timer = setTimeout(flush, wait);
            return;
          }
          for (const chunk of held) to.write(chunk);
          held = [];
        };
        from.on('data', (chunk: Buffer) => {
          if (held.length === 0 && Date.now() >= state.downUntil) {
            to.write(chunk);
            return;
          }
          held.push(chunk);
          timer ??= setTimeout(flush, Math.max(0, state.downUntil - Date.now()));
        });
      };
      forward(client, upstream);
      forward(upstream, client);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpRelay(server, sockets, state);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#server.address() as net.AddressInfo).port}`;
  }

  /** Cuts every relayed connection at once (both directions); returns how many sockets it cut. */
  dropAll(): number {
    const n = this.#sockets.size;
    for (const s of this.#sockets) s.destroy();
    return n;
  }

  /** The link goes down for `ms`: nothing passes, nothing is reset; held bytes follow afterwards. */
  stall(ms: number): void {
    this.#state.downUntil = Date.now() + ms;
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A publisher that pushes a tone for as long as it runs, paced by the track's back-pressure. */
export async function tonePublisher(url: string | string[], channel: string, uid: string, freq: number) {
  const client = createClient({ server: url });
  const track: PcmAudioTrack = createCustomAudioTrack({ sampleRate: 48000, channels: 1 });
  const chunk = generateTone(freq, 48000, 1, 0.1, 0.5);
  let running = true;
  await client.join('test-app', channel, null, uid);
  await client.publish(track);
  const pushing = (async () => {
    while (running && !track.closed) await track.push(chunk);
  })();
  return {
    client,
    track,
    async stop() {
      running = false;
      track.close();
      await pushing.catch(() => undefined);
      await client.leave().catch(() => undefined);
    },
  };
}

/** A subscriber that subscribes to every publisher and times each audible 10 ms frame it receives. */
export async function timingListener(url: string | string[], channel: string, uid: string) {
  const client = createClient({ server: url });
  const audibleAt: number[] = [];
  const tracks: RemoteAudioTrack[] = [];
  const recent: Int16Array[] = [];
  client.on('user-published', (user) => {
    client
      .subscribe(user, 'audio')
      .then((track) => {
        tracks.push(track);
        track.onAudioFrame((f) => {
          if (rms(f.samples) > 0.05) audibleAt.push(performance.now());
          recent.push(Int16Array.from(f.samples));
          if (recent.length > 100) recent.shift();
        });
      })
      .catch(() => undefined);
  });
  await client.join('test-app', channel, null, uid);
  const lastSecond = (): Int16Array => concatSamples(recent);
  return {
    client,
    tracks,
    audibleAt,
    /** Audible frames received after `t` (performance.now() ms). */
    audibleSince(t: number): number {
      return audibleAt.filter((x) => x > t).length;
    },
    /** The first audible frame after `t`, or undefined. */
    firstAudibleAfter(t: number): number | undefined {
      return audibleAt.find((x) => x > t);
    },
    /** The longest time between audible frames within [from, to]. */
    longestGap(from: number, to: number): number {
      let last = from;
      let longest = 0;
      for (const x of audibleAt) {
        if (x < from || x > to) continue;
        longest = Math.max(longest, x - last);
        last = x;
      }
      return Math.max(longest, to - last);
    },
    /** Pitch of the last second received (zero crossings). */
    pitch(): number {
      return estimateFrequency(lastSecond(), 48000, 1);
    },
    /**
     * The strongest frequency of the last second within [lo, hi] Hz (0.1 Hz resolution), from its
     * spectrum: unlike zero crossings, not misled by the splices NetEq's time-stretching leaves.
     */
    peakFrequency(lo: number, hi: number): number {
      return spectralPeak(lastSecond(), 48000, lo, hi);
    },
  };
}

export type TimingListener = Awaited<ReturnType<typeof timingListener>>;

type Events = import('@patchbay/client').ChannelSessionEvents<RemoteAudioTrack>;

/** Resolves with the next `event` of `client` (rejects after `timeoutMs`). */
export function nextEvent<K extends 'reconnected' | 'reconnect-failed' | 'local-audio-outage'>(
  client: NodeClient,
  event: K,
  timeoutMs = 15000,
): Promise<Events[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeoutMs} ms`)), timeoutMs);
    client.once(event, ((arg: Events[K][0]) => {
      clearTimeout(timer);
      resolve(arg);
    }) as never);
  });
}

/** The frequency in [lo, hi] with the most power: 1 Hz steps, then 0.1 Hz around the best. */
export function spectralPeak(x: Int16Array, rate: number, lo: number, hi: number): number {
  let best = lo;
  let bestPower = -1;
  const scan = (from: number, to: number, step: number) => {
    for (let f = from; f <= to + 1e-9; f += step) {
      const p = toneLevel(x, rate, f);
      if (p > bestPower) {
        bestPower = p;
        best = f;
      }
    }
  };
  scan(lo, hi, 1);
  const coarse = best;
  scan(Math.max(lo, coarse - 1), Math.min(hi, coarse + 1), 0.1);
  return best;
}
