import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { type ChannelView, channelView } from './admin/channelView.js';
import { adminDrain } from './admin/adminDrain.js';
import { ClusterNode } from './cluster/ClusterNode.js';
import { LoadSampler } from './cluster/LoadSampler.js';
import type { PlacementStore } from './cluster/PlacementStore.js';
import { connectRedisStore } from './cluster/connectRedisStore.js';
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './config.js';
import { Counters } from './limits/Counters.js';
import { KeyedRateLimiter } from './limits/RateLimiter.js';
import { createRootLogger, type Logger } from './logger.js';
import { DelayProbe, serveDelayProbe } from './metrics/DelayProbe.js';
import { ForwardingTotals } from './metrics/ForwardingTotals.js';
import { type InternalCounts, listenerTotal } from './metrics/Internals.js';
import { Metrics } from './metrics/Metrics.js';
import { DatachannelEngine } from './media/DatachannelEngine.js';
import type { MediaEngine } from './media/MediaEngine.js';
import type { Channel } from './room/Channel.js';
import { ChannelRegistry } from './room/ChannelRegistry.js';
import { MembershipDirectory } from './signaling/Membership.js';
import { type SessionContext, SignalSession } from './signaling/SignalSession.js';
import { serveStatic } from './staticFiles.js';
import { statusPage } from './statusPage.js';

/** Counters for health checks and tests. */
export interface ServerStats {
  channels: number;
  participants: number;
  publishers: number;
  packetsIn: number;
  packetsForwarded: number;
  /** Open signaling connections, joined or not. */
  connections: number;
  /** Cluster mode: this node's id and URL, and whether it drains; null for a single process. */
  cluster: { node: string; url: string; draining: boolean } | null;
  /**
   * How often each error code was sent (limits such as RATE_LIMITED or CHANNEL_FULL, token
   * rejections, bad frames), and events such as `expired:join` / `expired:publishAudio`.
   */
  counters: Record<string, number>;
}

type Server = HttpServer | HttpsServer;

/** How often each channel's active speaker is evaluated from the publishers' audio levels. */
const ACTIVE_SPEAKER_INTERVAL_MS = 400;

/** A running Patchbay server: HTTP + WebSocket signaling on one TCP port, all media on one UDP port. */
export class PatchbayServer {
  readonly options: ResolvedServerOptions;
  readonly log: Logger;
  readonly #http: Server;
  /** `sharedPort`'s listener (the port the workers of `serve --workers` share), if any. */
  readonly #shared: Server | null;
  readonly #wss: WebSocketServer;
  readonly #engine: MediaEngine;
  readonly #registry = new ChannelRegistry((channel) => this.cluster?.channelClosed(channel));
  readonly #sessions = new Set<SignalSession>();
  readonly #directory = new MembershipDirectory();
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #levelTimer: NodeJS.Timeout;
  readonly #reportTimer: NodeJS.Timeout;
  readonly #counters = new Counters();
  readonly #totals = new ForwardingTotals();
  readonly #metrics: Metrics;
  /** Cluster mode: this server as a node (null for a single process). */
  readonly cluster: ClusterNode | null;
  #closing: Promise<void> | null = null;

  /** @internal use createServer() */
  constructor(
    options: ResolvedServerOptions,
    http: Server,
    engine: MediaEngine,
    log: Logger,
    store: PlacementStore | null = null,
    shared: Server | null = null,
  ) {
    this.options = options;
    this.log = log;
    this.#http = http;
    this.#shared = shared;
    this.#engine = engine;
    this.cluster = store ? this.#clusterNode(store) : null;
    this.#wss = new WebSocketServer({ server: http, maxPayload: 4 * options.maxMessageBytes });
    const joinLimiter = new KeyedRateLimiter(options.maxJoinsPerSecondPerIp, options.joinBurstPerIp);
    const ctx: SessionContext = {
      registry: this.#registry,
      totals: this.#totals,
      engine,
      limits: {
        maxMessageBytes: options.maxMessageBytes,
        maxMessagesPerSecond: options.maxMessagesPerSecond,
        messageBurst: options.messageBurst,
        maxParticipantsPerChannel: options.maxParticipantsPerChannel,
        maxTracksPerParticipant: options.maxTracksPerParticipant,
        joinTimeoutMs: options.joinTimeoutMs,
        tokenWarnSeconds: options.tokenWarnSeconds,
      },
      apps: new Map(Object.entries(options.apps)),
      joinLimiter,
      counters: this.#counters,
      log: log.child({ name: 'signaling' }),
      cluster: this.cluster ?? undefined,
      directory: this.#directory,
      resumeGraceMs: options.resumeGraceMs,
    };
    if (options.delayProbe) this.#totals.probe = new DelayProbe();
    this.#metrics = new Metrics({
      registry: this.#registry,
      totals: this.#totals,
      counters: this.#counters,
      connections: () => this.#sessions.size,
      internals: () => this.internals(),
    });
    this.#sweepTimer = setInterval(() => joinLimiter.sweep(), 10_000);
    this.#sweepTimer.unref();
    this.#wss.on('connection', (ws, req) => {
      const session = new SignalSession(ws, ctx, req.socket.remoteAddress ?? '?');
      this.#sessions.add(session);
      ws.on('close', () => this.#sessions.delete(session));
    });
    http.on('request', (req, res) => this.#onHttp(req, res));
    shared?.on('request', (req, res) => this.#onHttp(req, res));
    shared?.on('upgrade', (req, socket, head) =>
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req)),
    );
    this.#reportTimer = setInterval(() => this.#sendReports(), options.receiverReportIntervalMs);
    this.#reportTimer.unref();
    this.#levelTimer = setInterval(() => {
      for (const channel of this.#registry.channels()) channel.updateActiveSpeaker();
    }, ACTIVE_SPEAKER_INTERVAL_MS);
    this.#levelTimer.unref();
  }

  #clusterNode(store: PlacementStore): ClusterNode {
    const sampler = new LoadSampler(this.#registry, this.#totals);
    const node = new ClusterNode(
      store,
      {
        registry: this.#registry,
        load: () => sampler.sample(),
        evict: (channel, why) => this.#evict(channel, why),
      },
      {
        url: this.options.nodeUrl ?? this.url,
        heartbeatMs: this.options.heartbeatMs,
        nodeTtlMs: this.options.nodeTtlMs,
      },
      this.log.child({ name: 'cluster' }),
    );
    return node;
  }

  /**
   * Sends `bye` (ServerShutdown) to the participants of `channel` (all channels if null), whose SDKs
   * then rejoin; memberships waiting for a resume end too, so a resume gets SESSION_NOT_FOUND.
   */
  #evict(channel: Channel | null, why: string): number {
    let evicted = 0;
    const members = channel ? new Set(channel.participants()) : null;
    for (const session of this.#sessions) {
      const p = session.participant;
      if (p && (!members || members.has(p))) {
        session.close('ServerShutdown', why);
        evicted++;
      }
    }
    for (const membership of this.#directory.all()) {
      if (!channel || membership.channel === channel) {
        membership.leave('ServerShutdown');
        evicted++;
      }
    }
    return evicted;
  }

  /**
   * Cluster mode: stop taking new channels, give up this node's channels in the cluster map, and
   * send their participants `bye` (ServerShutdown) so their SDKs rejoin through their entry list and
   * are redirected to the channels' new owners. The node keeps serving as an entry point (it
   * redirects). `patchbay serve` drains on SIGTERM in cluster mode, then closes.
   */
  async drain(): Promise<{ channels: number; participants: number }> {
    if (!this.cluster) throw new TypeError('drain() needs cluster mode (the redis option)');
    const channels = await this.cluster.drain();
    const participants = this.#evict(null, 'this node is draining; reconnect to move to another node');
    this.log.info({ channels, participants }, 'drained');
    return { channels, participants };
  }

  /** Whether signaling is served over TLS (https/wss). */
  get tls(): boolean {
    return this.options.tlsCert !== null;
  }
  /** The WebSocket URL clients connect to. */
  get url(): string {
    return `${this.tls ? 'wss' : 'ws'}://${hostForUrl(this.options.host)}:${this.port}`;
  }
  get httpUrl(): string {
    return `${this.tls ? 'https' : 'http'}://${hostForUrl(this.options.host)}:${this.port}`;
  }
  /** True when no app has a certificate: any app id joins, tokens are not checked. */
  get testingMode(): boolean {
    return Object.keys(this.options.apps).length === 0;
  }
  get port(): number {
    return (this.#http.address() as AddressInfo).port;
  }
  get rtcPort(): number {
    return this.options.rtcPort;
  }

  stats(): ServerStats {
    const s: ServerStats = {
      channels: this.#registry.size,
      participants: 0,
      publishers: 0,
      packetsIn: 0,
      packetsForwarded: 0,
      connections: this.#sessions.size,
      cluster: this.cluster
        ? { node: this.cluster.id, url: this.cluster.url, draining: this.cluster.draining }
        : null,
      counters: this.#counters.snapshot(),
    };
    for (const channel of this.#registry.channels()) {
      for (const p of channel.participants()) {
        s.participants++;
        if (p.producer) {
          s.publishers++;
          s.packetsIn += p.producer.stats.packetsIn;
          s.packetsForwarded += p.producer.stats.packetsForwarded;
        }
      }
    }
    return s;
  }

  /** Counts of internal objects (sessions, memberships, media connections, listeners), for leak checks. */
  internals(): InternalCounts {
    let consumers = 0;
    for (const channel of this.#registry.channels()) {
      for (const p of channel.participants()) consumers += p.subscriber?.consumers.length ?? 0;
    }
    let listeners = listenerTotal(this.#http) + listenerTotal(this.#wss);
    for (const ws of this.#wss.clients) listeners += listenerTotal(ws);
    return {
      sessions: this.#sessions.size,
      memberships: this.#directory.size,
      peerConnections: this.#engine.openConnections ?? 0,
      consumers,
      listeners,
    };
  }

  /** A snapshot of one channel (participants, levels, counters), or null when it has nobody. */
  channelView(appId: string, name: string): ChannelView | null {
    const channel = this.#registry.find(appId, name);
    return channel ? channelView(channel) : null;
  }

  #sendReports(): void {
    const now = performance.now();
    for (const channel of this.#registry.channels()) {
      for (const p of channel.participants()) p.sendReceiverReport(now, this.options.reportSubscriberLoss);
    }
  }

  #onHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/admin/drain') {
      adminDrain(req, res, this.options.adminToken, this.cluster ? () => this.drain() : null, this.log);
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/health') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, ...this.stats() }));
    } else if (path === '/debug/delay-probe' && this.#totals.probe !== null) {
      serveDelayProbe(this.#totals.probe, req.url ?? '', res);
    } else if (path === '/metrics') {
      this.#metrics.render().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => {
          this.log.error({ err: error }, 'metrics failed');
          res.writeHead(500).end();
        },
      );
    } else if (path.startsWith('/api/channels/')) {
      this.#serveChannel(path, res);
    } else if (this.#serveRoute(path, res, req.method === 'HEAD')) {
      // a static route (the demo app at /, the SDK bundles at /sdk/) answered
    } else if (path === '/') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(statusPage(this.url, this.stats()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  /** GET /api/channels/:appId/:channel: the channel's counters as JSON (no tokens, no addresses). */
  #serveChannel(path: string, res: ServerResponse): void {
    const parts = path.slice('/api/channels/'.length).split('/');
    let view: ChannelView | null = null;
    if (parts.length === 2) {
      try {
        view = this.channelView(decodeURIComponent(parts[0]), decodeURIComponent(parts[1]));
      } catch {
        view = null; // a malformed escape
      }
    }
    if (view) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(view));
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such channel"}');
  }

  #serveRoute(path: string, res: ServerResponse, head: boolean): boolean {
    for (const [prefix, dir] of Object.entries(this.options.staticRoutes)) {
      if (path.startsWith(prefix) && serveStatic(dir, path.slice(prefix.length), res, head)) return true;
    }
    return false;
  }

  /** Tells every participant, closes every socket and connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sweepTimer);
      clearInterval(this.#levelTimer);
      clearInterval(this.#reportTimer);
      this.#metrics.close();
      for (const session of this.#sessions) session.close('ServerShutdown', 'the server is shutting down');
      this.#sessions.clear();
      // Members whose socket dropped and who wait for a resume leave too.
      for (const membership of this.#directory.all()) membership.leave('ServerShutdown');
      await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
      for (const http of [this.#http, this.#shared]) {
        if (!http) continue;
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      }
      this.#engine.close();
      await this.cluster?.close();
      this.log.info('server closed');
    })();
    return this.#closing;
  }
}

async function freeUdpPort(address: string): Promise<number> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // exclusive: in a node:cluster worker (`serve --workers`) a shared bind goes through the
    // primary, which keeps the port bound after our close() for a while; the native media socket
    // then failed to bind it ("cannot open UDP port 0") in about 1 start of 3.
    socket.bind({ port: 0, address, exclusive: true }, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** An HTTP(S) server listening on `port` (slow-loris bounded by the join deadline). */
async function listenHttp(resolved: ResolvedServerOptions, port: number): Promise<Server> {
  // Slow clients (slow-loris): request headers must arrive within the join deadline.
  const timeouts = {
    headersTimeout: resolved.joinTimeoutMs,
    requestTimeout: resolved.joinTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, resolved.joinTimeoutMs),
  };
  const http: Server =
    resolved.tlsCert !== null && resolved.tlsKey !== null
      ? createHttpsServer({
          ...timeouts,
          cert: readFileSync(resolved.tlsCert),
          key: readFileSync(resolved.tlsKey),
        })
      : createHttpServer(timeouts);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, resolved.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return http;
}

/** Starts a server and resolves once it listens. */
export async function createServer(options: Partial<ServerOptions> = {}): Promise<PatchbayServer> {
  const resolved = resolveServerOptions(options);
  const log = createRootLogger(resolved.logLevel);
  const http = await listenHttp(resolved, resolved.port);
  let shared: Server | null = null;
  if (resolved.sharedPort !== null) {
    try {
      shared = await listenHttp(resolved, resolved.sharedPort);
    } catch (error) {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      throw error;
    }
  }
  const closeHttp = async (): Promise<void> => {
    for (const h of [http, shared]) if (h) await new Promise<void>((resolve) => h.close(() => resolve()));
  };
  let final: ResolvedServerOptions;
  let engine: DatachannelEngine;
  try {
    // A free port can be taken between the probe and the bind (workers starting together): retry.
    for (let attempt = 1; ; attempt++) {
      const rtcPort = resolved.rtcPort === 0 ? await freeUdpPort(resolved.rtcBind) : resolved.rtcPort;
      // An unset announced port follows the media port, including one picked here.
      const announcedPort = resolved.announcedPort === 0 ? rtcPort : resolved.announcedPort;
      final = { ...resolved, rtcPort, announcedPort };
      try {
        engine = new DatachannelEngine({
          bind: final.rtcBind,
          port: rtcPort,
          announcedIp: final.announcedIp,
          announcedPort,
          red: final.red,
          opusPtimeMs: final.opusPtimeMs,
          logger: log.child({ name: 'media' }),
        });
        break;
      } catch (error) {
        if (resolved.rtcPort !== 0 || attempt >= 3) throw error;
      }
    }
  } catch (error) {
    // Do not leave the HTTP listener behind when the media side cannot start.
    await closeHttp();
    throw new Error(
      `cannot open the media port udp ${resolved.rtcBind}:${resolved.rtcPort || '(free)'}: ${(error as Error).message}`,
    );
  }
  let store = final.placementStore;
  if (final.redis !== null) {
    try {
      store = await connectRedisStore(final, log.child({ name: 'redis' }));
    } catch (error) {
      engine.close();
      await closeHttp();
      throw error;
    }
  }
  const server = new PatchbayServer(final, http, engine, log, store, shared);
  if (server.cluster) {
    try {
      await server.cluster.start();
    } catch (error) {
      await server.close();
      throw error;
    }
  }
  log.info(
    {
      url: server.url,
      rtcPort: final.rtcPort,
      announcedIp: final.announcedIp,
      announcedPort: final.announcedPort,
    },
    'listening',
  );
  if (server.testingMode) {
    log.warn(
      'testing mode: no app certificate is configured, so any app id joins and tokens are not checked; ' +
        'configure apps (PATCHBAY_APP_ID + PATCHBAY_APP_CERTIFICATE, or an apps file) before exposing this server',
    );
  } else {
    log.info({ apps: Object.keys(server.options.apps).length }, 'token checks on');
  }
  return server;
}
