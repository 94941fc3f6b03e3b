import { MAX_MESSAGE_BYTES } from '@patchbay/protocol';

/** Options of `createServer()` / `patchbay serve`. Every field is optional; defaults below. */
export interface ServerOptions {
  /** Address for HTTP and WebSocket. Default "127.0.0.1" (env PATCHBAY_HOST). */
  host: string;
  /** TCP port for HTTP and WebSocket; 0 picks a free one. Default 7080 (env PATCHBAY_PORT). */
  port: number;
  /** The one UDP port that carries all media (ICE UDP mux); 0 picks a free one. Default: same number as `port` (env PATCHBAY_RTC_PORT). */
  rtcPort: number | null;
  /** Address the media socket binds to. Default: `host` (env PATCHBAY_RTC_BIND). */
  rtcBind: string | null;
  /** The address announced to clients as the ICE candidate. Default: `rtcBind` (env PATCHBAY_ANNOUNCED_IP). */
  announcedIp: string | null;
  /** Largest signaling frame accepted, in bytes. Default 65536. */
  maxMessageBytes: number;
  /** pino level for the server's logs. Default "info" (env PATCHBAY_LOG_LEVEL). */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Extra static files: URL prefix (e.g. "/sdk/") -> directory. The CLI serves the browser SDK and demo this way. Default none. */
  staticRoutes: Record<string, string>;
  /** Interval of RTCP sender reports on each forwarded stream, ms. Default 1000. */
  senderReportIntervalMs: number;
}

export type ResolvedServerOptions = ServerOptions & { rtcPort: number; rtcBind: string; announcedIp: string };

const DEFAULTS: ServerOptions = {
  host: '127.0.0.1',
  port: 7080,
  rtcPort: null,
  rtcBind: null,
  announcedIp: null,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  logLevel: 'info',
  senderReportIntervalMs: 1000,
  staticRoutes: {},
};

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new TypeError(`${name} must be a port number, got "${v}"`);
  return n;
}

function clean<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Resolves options once: explicit option, then environment, then default. */
export function resolveServerOptions(options: Partial<ServerOptions> = {}): ResolvedServerOptions {
  const env = clean({
    host: process.env.PATCHBAY_HOST || undefined,
    port: envInt('PATCHBAY_PORT'),
    rtcPort: envInt('PATCHBAY_RTC_PORT'),
    rtcBind: process.env.PATCHBAY_RTC_BIND || undefined,
    announcedIp: process.env.PATCHBAY_ANNOUNCED_IP || undefined,
    logLevel: (process.env.PATCHBAY_LOG_LEVEL as ServerOptions['logLevel']) || undefined,
  });
  const o: ServerOptions = { ...DEFAULTS, ...env, ...clean(options) };
  for (const key of ['port', 'rtcPort'] as const) {
    const v = o[key];
    if (v !== null && (!Number.isInteger(v) || v < 0 || v > 65535)) {
      throw new TypeError(`${key} must be an integer port 0..65535, got ${v}`);
    }
  }
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(o.logLevel)) {
    throw new TypeError(`logLevel must be one of ${levels.join(', ')}, got "${String(o.logLevel)}"`);
  }
  const rtcBind = o.rtcBind ?? o.host;
  const wildcard = rtcBind === '0.0.0.0' || rtcBind === '::';
  return {
    ...o,
    rtcPort: o.rtcPort ?? o.port,
    rtcBind,
    announcedIp: o.announcedIp ?? (wildcard ? '127.0.0.1' : rtcBind),
  };
}
