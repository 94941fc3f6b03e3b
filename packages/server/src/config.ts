import { readFileSync } from 'node:fs';
import { MAX_MESSAGE_BYTES } from '@patchbay/protocol';
import type { PlacementStore } from './cluster/PlacementStore.js';

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
  /**
   * The UDP port announced to clients in that candidate. Default: the media port `rtcPort` (env
   * PATCHBAY_ANNOUNCED_PORT). Set it when clients reach the media port through a port-forwarding
   * NAT or a UDP relay (the tests' impairment proxy) that listens on another port.
   */
  announcedPort: number | null;
  /** Largest signaling frame accepted, in bytes. Default 65536. */
  maxMessageBytes: number;
  /** pino level for the server's logs. Default "info" (env PATCHBAY_LOG_LEVEL). */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Extra static files: URL prefix (e.g. "/sdk/") -> directory. The CLI serves the browser SDK and demo this way. Default none. */
  staticRoutes: Record<string, string>;
  /** Interval of RTCP receiver reports to each publisher, ms. Default 1000. */
  receiverReportIntervalMs: number;
  /**
   * The loss fraction in receiver reports to a publisher is the worst of its uplink and every
   * subscriber's reported loss, so its Opus encoder turns in-band FEC up for the worst listener.
   * false: report the uplink only (FEC then protects only the publisher's own leg). Default true
   * (env PATCHBAY_REPORT_SUBSCRIBER_LOSS=0 turns it off).
   */
  reportSubscriberLoss: boolean;
  /**
   * RED (RFC 2198) for Opus: publishers that offer it send each packet with the previous one as
   * redundancy; the SFU forwards RED to subscribers that accept it and strips it (primary only)
   * for the others. It about doubles a publisher's audio bitrate. Default true (env
   * PATCHBAY_RED=0 turns it off). See docs/resilience.md, "Audio under loss".
   */
  red: boolean;
  /**
   * Apps this server accepts: app id -> app certificate (the HS256 secret of its tokens, at least
   * 16 characters). When there are none the server runs in **testing mode**: any app id, no token
   * checks (a warning is logged). Default {} (env: PATCHBAY_APP_ID + PATCHBAY_APP_CERTIFICATE for
   * one app, and/or a file in `appsFile`).
   */
  apps: Record<string, string>;
  /** A JSON file `{ "<app id>": "<certificate>", ... }` merged under `apps`. Default none (env PATCHBAY_APPS_FILE). */
  appsFile: string | null;
  /** Seconds before a token privilege expires that `token-privilege-will-expire` is sent. Default 30. */
  tokenWarnSeconds: number;
  /** Signaling messages per second one connection may send (token bucket rate). Default 100. */
  maxMessagesPerSecond: number;
  /** Burst size of that bucket. Default 200. */
  messageBurst: number;
  /** Joins per second one IP address may attempt (token bucket rate). Default 10. */
  maxJoinsPerSecondPerIp: number;
  /** Burst size of that bucket. Default 20. */
  joinBurstPerIp: number;
  /** Participants one channel may hold (hosts and audience). Default 200. */
  maxParticipantsPerChannel: number;
  /** Audio tracks one participant may have at once, its published track plus each subscription. Default 64. */
  maxTracksPerParticipant: number;
  /** A connection that has not joined a channel this long after connecting (or leaving) is closed; it also bounds how long HTTP request headers may take. Default 10000 ms. */
  joinTimeoutMs: number;
  /**
   * When a client's WebSocket drops without `leave`, its participant and media stay this long
   * for the client to `resume` on a new socket (no republish, no resubscribe); then it leaves
   * with reason ServerTimeOut. 0: leave at once. Default 10000 ms (env PATCHBAY_RESUME_GRACE_MS).
   */
  resumeGraceMs: number;
  /**
   * Opus frame length asked of publishers, ms: 10, 20, 40 or 60. 10 cuts about 10 ms of
   * packetization delay at twice the packets per second (SFU load and header overhead).
   * Default 20 (env PATCHBAY_OPUS_PTIME_MS).
   */
  opusPtimeMs: number;
  /** PEM certificate file: serve https/wss instead of http/ws. Needs `tlsKey`. Default none (env PATCHBAY_TLS_CERT). */
  tlsCert: string | null;
  /** PEM private key file of `tlsCert`. Default none (env PATCHBAY_TLS_KEY). */
  tlsKey: string | null;
  /**
   * Cluster mode: the Redis that places channels on nodes, `redis://[user:pass@]host:port[/db]`
   * (`rediss://` for TLS). Default none: one process, no Redis (env PATCHBAY_REDIS).
   */
  redis: string | null;
  /**
   * Cluster mode: the WebSocket URL other nodes redirect clients to for channels this node owns; it
   * must reach this node from the clients. Default: this server's own URL (env PATCHBAY_NODE_URL).
   */
  nodeUrl: string | null;
  /** Cluster mode: prefix of every Redis key, so clusters can share a Redis. Default "patchbay:" (env PATCHBAY_REDIS_PREFIX). */
  redisKeyPrefix: string;
  /** Cluster mode: how often the node sends its load heartbeat. Default 500 ms. */
  heartbeatMs: number;
  /**
   * Cluster mode: a node whose last heartbeat is older than this is dead and its channels are placed
   * again; the main part of the failover time. At least twice `heartbeatMs`. Default 2000 ms.
   */
  nodeTtlMs: number;
  /** Cluster mode: how long one Redis command may take before it counts as Redis unreachable. Default 1000 ms. */
  redisTimeoutMs: number;
  /** Bearer token of the admin calls (`POST /admin/drain`); none = no admin calls. Default none (env PATCHBAY_ADMIN_TOKEN). */
  adminToken: string | null;
  /** Cluster mode without Redis: a placement store given in code (the workers of `serve --workers`). Default none. */
  placementStore: PlacementStore | null;
  /**
   * A second TCP port for HTTP and WebSocket, which several processes may share (the workers of
   * `serve --workers` share the public port through node:cluster; `port` is then each worker's
   * own, for redirects). Default none.
   */
  sharedPort: number | null;
  /**
   * The ingress→egress delay probe, a benchmarking aid. On: for every forwarded packet whose
   * payload carries a sender's CLOCK_MONOTONIC stamp (the bench's load publishers write one; see
   * metrics/DelayProbe.ts for the format), the SFU records stamp → last consumer's send, stamp →
   * packet callback in JS, and the JS span, in histograms (10 µs buckets up to 200 ms) served as JSON at
   * `GET /debug/delay-probe` (`?reset=1` clears after reading, `?enable=0|1` pauses or resumes
   * recording). The sender and the SFU must share CLOCK_MONOTONIC (one Linux machine). The endpoint
   * needs no token: do not turn this on for a public server. Off: no endpoint and one null check
   * per packet. Default false (env PATCHBAY_DELAY_PROBE=1 on).
   */
  delayProbe: boolean;
}

export type ResolvedServerOptions = ServerOptions & {
  rtcPort: number;
  rtcBind: string;
  announcedIp: string;
  /** The resolved port, or 0 while `rtcPort` is 0: then createServer() sets it to the port it picked. */
  announcedPort: number;
};

const DEFAULTS: ServerOptions = {
  host: '127.0.0.1',
  port: 7080,
  rtcPort: null,
  rtcBind: null,
  announcedIp: null,
  announcedPort: null,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  logLevel: 'info',
  receiverReportIntervalMs: 1000,
  reportSubscriberLoss: true,
  red: true,
  staticRoutes: {},
  apps: {},
  appsFile: null,
  tokenWarnSeconds: 30,
  maxMessagesPerSecond: 100,
  messageBurst: 200,
  maxJoinsPerSecondPerIp: 10,
  joinBurstPerIp: 20,
  maxParticipantsPerChannel: 200,
  maxTracksPerParticipant: 64,
  joinTimeoutMs: 10000,
  resumeGraceMs: 10000,
  opusPtimeMs: 20,
  tlsCert: null,
  tlsKey: null,
  redis: null,
  nodeUrl: null,
  redisKeyPrefix: 'patchbay:',
  heartbeatMs: 500,
  nodeTtlMs: 2000,
  redisTimeoutMs: 1000,
  adminToken: null,
  placementStore: null,
  sharedPort: null,
  delayProbe: false,
};

const POSITIVE_NUMBERS = [
  'tokenWarnSeconds',
  'maxMessagesPerSecond',
  'messageBurst',
  'maxJoinsPerSecondPerIp',
  'joinBurstPerIp',
  'maxParticipantsPerChannel',
  'maxTracksPerParticipant',
  'joinTimeoutMs',
  'maxMessageBytes',
  'heartbeatMs',
  'nodeTtlMs',
  'redisTimeoutMs',
] as const;

function readAppsFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TypeError(`cannot read the apps file ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError(`the apps file ${path} must hold a JSON object { "<app id>": "<certificate>" }`);
  }
  return parsed as Record<string, string>;
}

function checkApps(apps: Record<string, unknown>): Record<string, string> {
  for (const [id, cert] of Object.entries(apps)) {
    if (id.length < 1 || id.length > 128)
      throw new TypeError(`app id "${id.slice(0, 20)}" must have 1-128 characters`);
    if (typeof cert !== 'string' || cert.length < 16) {
      throw new TypeError(`the certificate of app "${id}" must be a string of at least 16 characters`);
    }
  }
  return apps as Record<string, string>;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new TypeError(`${name} must be a port number, got "${v}"`);
  return n;
}

function envBool(name: string): boolean | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new TypeError(`${name} must be 1/true or 0/false, got "${v}"`);
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
    announcedPort: envInt('PATCHBAY_ANNOUNCED_PORT'),
    reportSubscriberLoss: envBool('PATCHBAY_REPORT_SUBSCRIBER_LOSS'),
    red: envBool('PATCHBAY_RED'),
    delayProbe: envBool('PATCHBAY_DELAY_PROBE'),
    logLevel: (process.env.PATCHBAY_LOG_LEVEL as ServerOptions['logLevel']) || undefined,
    appsFile: process.env.PATCHBAY_APPS_FILE || undefined,
    tlsCert: process.env.PATCHBAY_TLS_CERT || undefined,
    tlsKey: process.env.PATCHBAY_TLS_KEY || undefined,
    redis: process.env.PATCHBAY_REDIS || undefined,
    nodeUrl: process.env.PATCHBAY_NODE_URL || undefined,
    redisKeyPrefix: process.env.PATCHBAY_REDIS_PREFIX || undefined,
    adminToken: process.env.PATCHBAY_ADMIN_TOKEN || undefined,
    opusPtimeMs: process.env.PATCHBAY_OPUS_PTIME_MS ? Number(process.env.PATCHBAY_OPUS_PTIME_MS) : undefined,
    resumeGraceMs: process.env.PATCHBAY_RESUME_GRACE_MS
      ? Number(process.env.PATCHBAY_RESUME_GRACE_MS)
      : undefined,
  });
  const o: ServerOptions = { ...DEFAULTS, ...env, ...clean(options) };
  for (const key of POSITIVE_NUMBERS) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new TypeError(`${key} must be a positive number, got ${String(v)}`);
    }
  }
  if (![10, 20, 40, 60].includes(o.opusPtimeMs)) {
    throw new TypeError(`opusPtimeMs must be 10, 20, 40 or 60, got ${String(o.opusPtimeMs)}`);
  }
  if (!Number.isFinite(o.resumeGraceMs) || o.resumeGraceMs < 0) {
    throw new TypeError(`resumeGraceMs must be a number >= 0, got ${String(o.resumeGraceMs)}`);
  }
  if ((o.tlsCert === null) !== (o.tlsKey === null)) {
    throw new TypeError('TLS needs both a certificate (tlsCert) and its key (tlsKey)');
  }
  if (o.redis !== null && !/^rediss?:\/\//.test(o.redis)) {
    throw new TypeError(`redis must be a redis:// or rediss:// URL, got "${o.redis}"`);
  }
  if (o.nodeUrl !== null && !/^wss?:\/\/[^/]/.test(o.nodeUrl)) {
    throw new TypeError(`nodeUrl must be a ws:// or wss:// URL, got "${o.nodeUrl}"`);
  }
  if (o.nodeTtlMs < 2 * o.heartbeatMs) {
    throw new TypeError(`nodeTtlMs (${o.nodeTtlMs}) must be at least twice heartbeatMs (${o.heartbeatMs})`);
  }
  if (o.adminToken !== null && o.adminToken.length < 16) {
    throw new TypeError('adminToken must have at least 16 characters');
  }
  const envApp =
    process.env.PATCHBAY_APP_ID && process.env.PATCHBAY_APP_CERTIFICATE
      ? { [process.env.PATCHBAY_APP_ID]: process.env.PATCHBAY_APP_CERTIFICATE }
      : {};
  o.apps = checkApps({ ...(o.appsFile ? readAppsFile(o.appsFile) : {}), ...envApp, ...o.apps });
  for (const key of ['port', 'rtcPort', 'sharedPort', 'announcedPort'] as const) {
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
  if (o.announcedPort === 0) throw new TypeError('announcedPort must be a port 1..65535, got 0');
  const rtcPort = o.rtcPort ?? o.port;
  return {
    ...o,
    rtcPort,
    announcedPort: o.announcedPort ?? rtcPort,
    rtcBind,
    announcedIp: o.announcedIp ?? (wildcard ? '127.0.0.1' : rtcBind),
  };
}
