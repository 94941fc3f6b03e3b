import cluster, { type Worker } from 'node:cluster';
import {
  IpcPlacementStore,
  MemoryPlacementStore,
  type ResolvedServerOptions,
  resolveServerOptions,
  servePlacementIpc,
} from '@patchbay/server';
import { CliError, EXIT_USAGE } from '../errors.js';
import { type ServeOptions, serveCommand } from './serve.js';

/** The environment variable that tells a forked worker its index. */
const WORKER_INDEX = 'PATCHBAY_WORKER_INDEX';

interface Ready {
  url: string;
  rtcPort: number;
}

/** IPC from the primary: stop (drain first on SIGTERM, as a single `serve` does). */
interface StopMessage {
  patchbayStop: NodeJS.Signals;
}

/**
 * Worker i's ports: it shares the public `port` with the others (node:cluster hands each new
 * connection to one of them), listens alone on `port + 1 + i` (the URL it advertises for redirects)
 * and carries its media on `rtcPort + i` (or a free UDP port when rtcPort is 0).
 */
function workerPorts(resolved: ResolvedServerOptions, i: number): Partial<ServeOptions> {
  return {
    port: resolved.port + 1 + i,
    sharedPort: resolved.port,
    rtcPort: resolved.rtcPort === 0 ? 0 : resolved.rtcPort + i,
  };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * `patchbay serve --workers N`: N worker processes (node:cluster) behind one signaling port, each
 * a cluster node with its own media port, placed by the same mechanism as a multi-machine cluster:
 * through Redis with `--redis`, else through a placement store the primary keeps in memory (over
 * IPC). A join that reaches a worker not owning the channel gets REDIRECT to the owner's own port.
 */
export async function serveWorkersCommand(options: ServeOptions, workers: number): Promise<number> {
  return cluster.isPrimary ? runPrimary(options, workers) : runWorker(options);
}

async function runWorker(options: ServeOptions): Promise<number> {
  const index = Number(process.env[WORKER_INDEX]);
  const resolved = resolveServerOptions(options); // the primary has validated these
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'patchbayStop' in m)
        resolve((m as StopMessage).patchbayStop);
    });
  });
  return serveCommand(
    {
      ...options,
      ...workerPorts(resolved, index),
      placementStore: resolved.redis === null ? new IpcPlacementStore(resolved.redisTimeoutMs) : null,
    },
    {
      stop,
      onReady: (server) =>
        process.send?.({ patchbayWorkerReady: { url: server.url, rtcPort: server.rtcPort } }),
    },
  );
}

async function runPrimary(options: ServeOptions, count: number): Promise<number> {
  let resolved: ResolvedServerOptions;
  try {
    resolved = resolveServerOptions(options);
  } catch (error) {
    throw error instanceof TypeError ? new CliError(error.message, EXIT_USAGE) : error;
  }
  if (resolved.port === 0 || resolved.port + count > 65535) {
    throw new CliError(
      `--workers needs a fixed --port with ${count} free ports after it (each worker's own port, for redirects)`,
      EXIT_USAGE,
    );
  }
  if (resolved.nodeUrl !== null) {
    throw new CliError(
      '--node-url does not go with --workers: each worker advertises its own port',
      EXIT_USAGE,
    );
  }
  const store = resolved.redis === null ? new MemoryPlacementStore() : null;
  const workers = new Map<number, Worker>();
  /** Workers that said they serve: they take the stop message; others (still loading) get SIGTERM. */
  const serving = new Set<Worker>();
  let stopping = false;

  const start = (index: number): Promise<Ready> =>
    new Promise<Ready>((resolve, reject) => {
      const worker = cluster.fork({ [WORKER_INDEX]: String(index) });
      workers.set(index, worker);
      if (store) servePlacementIpc(worker, store);
      let ready = false;
      worker.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && 'patchbayWorkerReady' in m) {
          ready = true;
          serving.add(worker);
          resolve((m as { patchbayWorkerReady: Ready }).patchbayWorkerReady);
        }
      });
      worker.once('exit', (code, signal) => {
        workers.delete(index);
        serving.delete(worker);
        reject(new Error(`worker ${index} exited (${signal ?? code})`));
        if (ready && !stopping) {
          // A crashed worker: its channels go to the others once its heartbeat expires; start a new one.
          process.stderr.write(`patchbay: worker ${index} exited (${signal ?? code}); starting a new one\n`);
          start(index).catch(() => undefined);
        }
      });
    });

  const stopAll = async (signal: NodeJS.Signals): Promise<void> => {
    stopping = true;
    const exits = [...workers.values()].map((w) => new Promise((resolve) => w.once('exit', resolve)));
    for (const w of workers.values())
      if (w.isConnected()) w.send({ patchbayStop: signal } satisfies StopMessage);
    await Promise.all(exits);
  };

  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => resolve(signal);
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let ready: Ready[];
    try {
      ready = await Promise.race([
        Promise.all(Array.from({ length: count }, (_, i) => start(i))),
        stopRequested.then(() => null),
      ]).then((r) => r ?? []);
    } catch {
      await stopAll('SIGINT');
      return 1; // the worker printed why
    }
    if (ready.length === count) {
      const scheme = resolved.tlsCert !== null ? ['https', 'wss'] : ['http', 'ws'];
      const host = hostForUrl(resolved.host);
      const apps = Object.keys(resolved.apps).length;
      process.stdout.write(
        `Patchbay listening on ${scheme[0]}://${host}:${resolved.port} (signaling ${scheme[1]}://${host}:${resolved.port}, ` +
          `media udp ${resolved.rtcBind}:${ready.map((r) => r.rtcPort).join(',')} announced as ${resolved.announcedIp})\n` +
          `${count} workers, each also on its own port for redirects: ${ready.map((r) => r.url).join(' ')}; ` +
          `channels placed through ${resolved.redis === null ? 'the primary process' : 'Redis'}\n` +
          (apps === 0
            ? 'Testing mode: any app id is accepted and tokens are not checked (pass null); ' +
              'for development only, do not expose this server to untrusted networks.\n'
            : `Token checks on for ${apps} app${apps === 1 ? '' : 's'}: joins need a token (patchbay token).\n`),
      );
    }
    await stopAll(await stopRequested);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
