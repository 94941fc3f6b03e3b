import {
  createServer,
  type PatchbayServer,
  type ResolvedServerOptions,
  resolveServerOptions,
  ServerError,
  type ServerOptions,
} from '@patchbay/server';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT_USAGE } from '../errors.js';

/** The browser SDK bundles at /sdk/ and the demo app at / (from this repository's layout, when present). */
function demoRoutes(): Record<string, string> {
  const routes: Record<string, string> = {};
  const sdk = fileURLToPath(new URL('../../../web/bundle', import.meta.url));
  const demo = fileURLToPath(new URL('../../../../apps/demo', import.meta.url));
  if (existsSync(sdk)) routes['/sdk/'] = sdk;
  if (existsSync(demo)) routes['/'] = demo;
  return routes;
}

/** What `patchbay serve` passes on to createServer(); anything left out comes from env or defaults. */
export type ServeOptions = Partial<
  Pick<
    ServerOptions,
    | 'host'
    | 'port'
    | 'rtcPort'
    | 'rtcBind'
    | 'announcedIp'
    | 'announcedPort'
    | 'logLevel'
    | 'tlsCert'
    | 'tlsKey'
    | 'appsFile'
    | 'redis'
    | 'nodeUrl'
    | 'adminToken'
    | 'sharedPort'
    | 'placementStore'
  >
>;

export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The two lines `patchbay serve` prints once listening (the first is parsed by scripts and tests). */
export function describeServer(server: PatchbayServer): string {
  const { rtcBind, announcedIp, announcedPort } = server.options;
  const apps = Object.keys(server.options.apps).length;
  return (
    `Patchbay listening on ${server.httpUrl} (signaling ${server.url}, ` +
    `media udp ${rtcBind}:${server.rtcPort} announced as ${announcedIp}:${announcedPort})\n` +
    (server.testingMode
      ? 'Testing mode: any app id is accepted and tokens are not checked (pass null); ' +
        'for development only, do not expose this server to untrusted networks.\n'
      : `Token checks on for ${apps} app${apps === 1 ? '' : 's'}: joins need a token (patchbay token).\n`) +
    (server.cluster ? `Cluster node ${server.cluster.id} advertised as ${server.cluster.url}\n` : '')
  );
}

/** Starts a server (options map 1:1 to createServer's) and prints where it listens (unless `quiet`). */
export async function serve(options: ServeOptions = {}, quiet = false): Promise<PatchbayServer> {
  // Bad PATCHBAY_* values are a usage error, not a crash.
  let resolved: ResolvedServerOptions;
  try {
    resolved = resolveServerOptions(options);
  } catch (error) {
    throw error instanceof TypeError ? new CliError(error.message, EXIT_USAGE) : error;
  }
  if (!LOG_LEVELS.includes(resolved.logLevel)) {
    throw new CliError(
      `log level must be one of ${LOG_LEVELS.join(', ')}, got "${resolved.logLevel}"`,
      EXIT_USAGE,
    );
  }
  const server = await createServer({ staticRoutes: demoRoutes(), ...options }).catch((error: unknown) => {
    if (error instanceof ServerError) throw new CliError(error.message);
    // node-datachannel's error for a UDP port it cannot bind carries no code; recognise its message.
    if (error instanceof Error && /UDP mux/i.test(error.message)) {
      throw new CliError(
        `cannot open UDP port ${resolved.rtcPort} on ${resolved.rtcBind} for media (in use?); ` +
          'pick another with --rtc-port, or 0 for a free one',
      );
    }
    throw error;
  });
  if (!quiet) process.stdout.write(describeServer(server));
  return server;
}

/**
 * `patchbay serve`: runs until SIGINT or SIGTERM, then closes the server. In cluster mode SIGTERM
 * drains first (channels move to other nodes, their clients follow). Returns the exit code.
 */
export async function serveCommand(
  options: ServeOptions,
  worker?: { onReady(server: PatchbayServer): void; stop: Promise<NodeJS.Signals> },
): Promise<number> {
  // Listen for signals before starting, so one that comes during start-up still closes cleanly.
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // A second signal while closing ends the process at once.
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const server = await serve(options, worker !== undefined);
    worker?.onReady(server);
    const signal = await (worker ? Promise.race([stopRequested, worker.stop]) : stopRequested);
    if (signal === 'SIGTERM' && server.cluster) await drainBeforeExit(server);
    await server.close();
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** How long SIGTERM waits, after draining, for the bye messages to go out before closing. */
const DRAIN_GRACE_MS = 200;

async function drainBeforeExit(server: PatchbayServer): Promise<void> {
  try {
    await server.drain();
    await new Promise((resolve) => setTimeout(resolve, DRAIN_GRACE_MS));
  } catch (error) {
    server.log.warn({ err: error }, 'drain failed; closing');
  }
}
