/**
 * Janus 1.1 (Debian's `janus`) side by side: VideoRoom over the HTTP API, driven by the same
 * load peers. Configured per performance-anchors.md §3.2: HTTP on 127.0.0.1 only, ICE gathering
 * only on the namespace's veth address, every plugin but VideoRoom and every transport but HTTP
 * disabled.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadPublisher, LoadSubscriber, Pacer, type Recorder } from './load.js';
import { processCpuSeconds, sleep, withTimeout } from './util.js';

type Json = Record<string, any>;

export interface JanusProcess {
  pid: number;
  base: string;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Why Janus cannot run here, or null when it can. */
export function janusUnavailable(): string | null {
  if (!existsSync('/usr/bin/janus')) return 'janus is not installed (apt-get install -y janus)';
  if (!existsSync('/etc/janus/janus.jcfg')) return 'janus config /etc/janus not found';
  if (!process.env.PATCHBAY_NETNS) return 'not inside the private network namespace (scripts/netns-run.sh)';
  return null;
}

/**
 * libnice binds its sockets to the enforced interface, so its packets to the load peers leave
 * through pb0 and arrive on pb1 with a source address of this same namespace, which Linux drops
 * as martian unless accept_local is set. /proc/sys/net is per namespace: this changes only the
 * private namespace scripts/netns-run.sh created.
 */
function acceptLocal(): void {
  if (!process.env.PATCHBAY_NETNS) return;
  for (const dev of ['all', 'pb0', 'pb1']) {
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${dev}/accept_local`, '1');
    } catch {
      // not there: nothing to relax
    }
  }
}

export async function startJanus(port = 18088): Promise<JanusProcess> {
  acceptLocal();
  const dir = mkdtempSync(join(tmpdir(), 'pb-janus-'));
  const conf = join(dir, 'conf');
  cpSync('/etc/janus', conf, { recursive: true });
  const edit = (file: string, fn: (s: string) => string) => {
    const f = join(conf, file);
    writeFileSync(f, fn(readFileSync(f, 'utf8')));
  };
  edit('janus.transport.http.jcfg', (s) =>
    s
      .replace(/^\s*#?ip = "192\.168\.0\.1".*$/m, '\tip = "127.0.0.1"')
      .replace(/^\s*port = 8088.*$/m, `\tport = ${port}`),
  );
  const plugins = [
    'audiobridge',
    'duktape',
    'echotest',
    'lua',
    'nosip',
    'recordplay',
    'sip',
    'streaming',
    'textroom',
    'videocall',
    'voicemail',
  ].map((p) => `libjanus_${p}.so`);
  const transports = ['mqtt', 'nanomsg', 'pfunix', 'rabbitmq', 'websockets'].map((t) => `libjanus_${t}.so`);
  edit('janus.jcfg', (s) =>
    s
      .replace(
        /^\s*#disable = "libjanus_voicemail.so,libjanus_recordplay.so"/m,
        `\tdisable = "${plugins.join(',')}"`,
      )
      .replace(/^\s*#disable = "libjanus_rabbitmq.so"/m, `\tdisable = "${transports.join(',')}"`),
  );
  const child: ChildProcess = spawn(
    '/usr/bin/janus',
    [
      '-F',
      conf,
      '-i',
      process.env.BENCH_JANUS_IP ?? (process.env.PATCHBAY_TEST_IP || '127.0.0.1'),
      '-E',
      process.env.BENCH_JANUS_ICE ?? 'pb0',
      '-r',
      '20000-20999',
      '-o',
      '-L',
      join(dir, 'janus.log'),
      '-N',
      '-d',
      process.env.BENCH_JANUS_DEBUG ?? '3',
      ...(process.env.BENCH_JANUS_NICE ? ['-l'] : []),
    ],
    {
      stdio: process.env.BENCH_JANUS_NICE ? 'inherit' : 'ignore',
      env: { ...process.env, G_MESSAGES_DEBUG: process.env.BENCH_JANUS_NICE ? 'all' : '' },
    },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}/janus`;
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const r = await fetch(`${base}/info`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = existsSync(join(dir, 'janus.log')) ? readFileSync(join(dir, 'janus.log'), 'utf8') : '';
      throw new Error(`janus did not start: ${log.slice(-500)}`);
    }
    await sleep(200);
  }
  const pid = child.pid as number;
  return {
    pid,
    base,
    cpuSeconds: () => processCpuSeconds(pid),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const k = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(k);
      }
      if (!process.env.BENCH_JANUS_DEBUG) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One Janus session with a long-poll loop; events routed to their handle. */
export class JanusSession {
  readonly #base: string;
  #id = 0;
  #tx = 0;
  #polling = false;
  readonly #waiters = new Map<number, ((e: Json) => void)[]>();
  readonly #events = new Map<number, Json[]>();

  constructor(base: string) {
    this.#base = base;
  }

  async #post(path: string, body: Json): Promise<Json> {
    const r = await fetch(`${this.#base}${path}`, {
      method: 'POST',
      body: JSON.stringify({ ...body, transaction: `t${this.#tx++}` }),
    });
    const j = (await r.json()) as Json;
    if (j.janus === 'error') throw new Error(`janus: ${JSON.stringify(j.error)}`);
    return j;
  }

  async create(): Promise<void> {
    const r = await this.#post('', { janus: 'create' });
    this.#id = r.data.id as number;
    this.#polling = true;
    void this.#poll();
  }

  async #poll(): Promise<void> {
    while (this.#polling) {
      try {
        const r = await fetch(`${this.#base}/${this.#id}?maxev=50`);
        const body = (await r.json()) as Json | Json[];
        for (const e of Array.isArray(body) ? body : [body]) this.#dispatch(e);
      } catch {
        if (this.#polling) await sleep(100);
      }
    }
  }

  #dispatch(e: Json): void {
    if (e.janus !== 'event' || typeof e.sender !== 'number') return;
    const waiters = this.#waiters.get(e.sender);
    const w = waiters?.shift();
    if (w) w(e);
    else this.#events.set(e.sender, [...(this.#events.get(e.sender) ?? []), e]);
  }

  /** The next plugin event of `handle`. */
  nextEvent(handle: number, ms = 10000): Promise<Json> {
    const queued = this.#events.get(handle);
    if (queued?.length) return Promise.resolve(queued.shift() as Json);
    return withTimeout(
      new Promise<Json>((r) => this.#waiters.set(handle, [...(this.#waiters.get(handle) ?? []), r])),
      ms,
      'janus event',
    );
  }

  async attach(): Promise<number> {
    const r = await this.#post(`/${this.#id}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' });
    return r.data.id as number;
  }

  /** A plugin message; synchronous requests return plugindata, asynchronous ones an ack. */
  message(handle: number, body: Json, jsep?: Json): Promise<Json> {
    return this.#post(`/${this.#id}/${handle}`, { janus: 'message', body, ...(jsep ? { jsep } : {}) });
  }

  /** Tells Janus our candidates are all in the SDP already. */
  async trickleDone(handle: number): Promise<void> {
    await this.#post(`/${this.#id}/${handle}`, { janus: 'trickle', candidate: { completed: true } });
  }

  async destroy(): Promise<void> {
    this.#polling = false;
    await this.#post(`/${this.#id}`, { janus: 'destroy' }).catch(() => undefined);
  }
}

/** libjuice ignores Janus's candidates with a lower-case transport ("udp"); upper-case them. */
function fixCandidates(sdp: string): string {
  return sdp.replace(/^a=candidate:(\S+) (\d+) udp /gim, 'a=candidate:$1 $2 UDP ');
}

/** Waits for a handle's event that carries a jsep (skipping others). */
async function eventWithJsep(session: JanusSession, handle: number): Promise<Json> {
  for (;;) {
    const e = await session.nextEvent(handle);
    if (e.plugindata?.data?.error) throw new Error(`videoroom: ${e.plugindata.data.error}`);
    if (e.jsep) return e;
  }
}

/** A room of P load publishers × S load subscribers (each subscriber takes every feed, one PC). */
export class JanusLoad {
  readonly publishers: LoadPublisher[] = [];
  readonly subscribers: LoadSubscriber[] = [];
  readonly feeds: number[] = [];
  readonly #handles = new Map<LoadSubscriber, number>();
  readonly #session: JanusSession;
  readonly #pacer: Pacer;
  readonly #recorder: Recorder;
  readonly room: number;

  constructor(session: JanusSession, pacer: Pacer, recorder: Recorder, room: number) {
    this.#session = session;
    this.#pacer = pacer;
    this.#recorder = recorder;
    this.room = room;
  }

  async createRoom(): Promise<void> {
    const h = await this.#session.attach();
    const r = await this.#session.message(h, {
      request: 'create',
      room: this.room,
      publishers: 200,
      audiocodec: 'opus',
      is_private: true,
    });
    if (r.plugindata?.data?.error) throw new Error(`videoroom create: ${r.plugindata.data.error}`);
  }

  /** Joins one publisher: joinandconfigure with the offer, answer from the event. */
  async addPublisher(index: number): Promise<LoadPublisher> {
    const s = this.#session;
    const pub = new LoadPublisher(index, `jpub${index}`);
    const h = await s.attach();
    // Janus (libnice + its own DTLS handling) copes with the plain actpass offer; the setup:active
    // trick Patchbay's load publishers use costs Janus ~1 s per join (measured), so it is not used here.
    const offer = await pub.offer();
    await s.message(
      h,
      { request: 'joinandconfigure', ptype: 'publisher', room: this.room, audio: true, video: false },
      { type: 'offer', sdp: offer },
    );
    await s.trickleDone(h);
    const e = await eventWithJsep(s, h);
    this.feeds.push(e.plugindata.data.id as number);
    pub.pc.setRemoteDescription(fixCandidates(e.jsep.sdp as string), 'answer');
    await pub.waitOpen();
    this.publishers.push(pub);
    this.#pacer.add(pub);
    this.#pacer.start();
    return pub;
  }

  /** Joins one subscriber to `feeds` (default all): server offer, answer with start. */
  async addSubscriber(index: number, feeds = this.feeds): Promise<LoadSubscriber> {
    const s = this.#session;
    const sub = new LoadSubscriber(`jsub${index}`, this.#recorder);
    const h = await s.attach();
    await s.message(h, {
      request: 'join',
      ptype: 'subscriber',
      room: this.room,
      streams: feeds.map((feed) => ({ feed })),
    });
    const e = await eventWithJsep(s, h);
    await sub.acceptOffer(fixCandidates(e.jsep.sdp as string), async (sdp) => {
      await s.message(h, { request: 'start', room: this.room }, { type: 'answer', sdp });
      await s.trickleDone(h);
    });
    this.subscribers.push(sub);
    this.#handles.set(sub, h);
    return sub;
  }

  /** Adds feeds to a subscriber's PeerConnection: subscribe → updated offer → start with the answer. */
  async subscribeMore(sub: LoadSubscriber, feeds: number[]): Promise<void> {
    const s = this.#session;
    const h = this.#handles.get(sub);
    if (h === undefined) throw new Error('not a janus subscriber');
    // A feed becomes subscribable once Janus sees its WebRTC up, a moment after ours: retry.
    let e: Json;
    for (let attempt = 0; ; attempt++) {
      await s.message(h, { request: 'subscribe', streams: feeds.map((feed) => ({ feed })) });
      try {
        e = await eventWithJsep(s, h);
        break;
      } catch (error) {
        if (attempt > 100 || !/No such feed/.test((error as Error).message)) throw error;
        await sleep(2);
      }
    }
    await sub.acceptOffer(fixCandidates(e.jsep.sdp as string), async (sdp) => {
      await s.message(h, { request: 'start' }, { type: 'answer', sdp });
    });
  }

  close(): void {
    for (const sub of this.subscribers) sub.close();
    for (const pub of this.publishers) {
      this.#pacer.remove(pub);
      pub.close();
    }
  }
}

export function janusVersion(): string {
  try {
    const out = spawnSync('/usr/bin/janus', ['--version'], { encoding: 'utf8' });
    return /Janus version: \d+ \(([^)]+)\)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? '?';
  } catch {
    return '?';
  }
}
