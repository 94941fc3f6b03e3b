/**
 * Fuzzers for the signaling socket and the media UDP port, plus an "honest" channel whose audio
 * must keep flowing while they run. Used by fuzz*.test.ts (short CI smoke) and by
 * scripts/fuzz-signaling.mjs / scripts/fuzz-media.mjs (long runs). The senders run in a worker
 * thread so that generating traffic does not starve the honest clients' audio clock.
 */
import { createSocket } from 'node:dgram';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';

/** Small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=ice-ufrag:fzfz',
  'a=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 0',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=setup:actpass',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendonly',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=ssrc:123456 cname:x',
  'a=candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host',
  '',
].join('\r\n');

export interface SignalingFuzzConfig {
  seed: number;
  /** App id the fuzzer's joins use, and valid tokens it may present (for fuzz channels only). */
  appId: string;
  tokens: string[];
  /** Uids in the honest channel: the fuzzer names them in subscribe/unsubscribe (cross-channel attempts). */
  honestUids: Array<string | number>;
}

/** Random and mutated signaling frames. */
export class SignalingFuzzer {
  readonly #r: () => number;
  readonly #c: SignalingFuzzConfig;
  #id = 1;

  constructor(config: SignalingFuzzConfig) {
    this.#r = prng(config.seed);
    this.#c = config;
  }

  #int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  #pick<T>(list: readonly T[]): T {
    return list[this.#int(list.length)];
  }

  #junk(depth = 0): unknown {
    const r = this.#r;
    switch (this.#int(depth > 2 ? 9 : 11)) {
      case 0:
        return null;
      case 1:
        return this.#pick([-1, 0, 1, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, 0.5, Number.MAX_SAFE_INTEGER]);
      case 2:
        return r() < 0.5;
      case 3:
        return 'x'.repeat(this.#int(300));
      case 4:
        return this.#pick(['', '\u0000', '\ud800', '../../etc', '<script>', '%s%n', '\u202e', 'honest', '*']);
      case 5:
        return this.#pick([
          'join',
          'publish',
          'subscribe',
          'renewToken',
          'setRole',
          'leave',
          'answer',
          'ping',
        ]);
      case 6:
        return this.#pick(this.#c.honestUids);
      case 7:
        return this.#pick(['host', 'audience', 'live', 'rtc', 'admin']);
      case 8:
        return String.fromCharCode(...Array.from({ length: this.#int(20) }, () => this.#int(0x3000)));
      case 9:
        return Array.from({ length: this.#int(4) }, () => this.#junk(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = this.#int(4); i > 0; i--) {
          const key = this.#pick(['type', 'id', 'uid', 'sdp', '__proto__', 'constructor', 'a']);
          // defineProperty: "__proto__" becomes an own key (sent on the wire), not the prototype.
          Object.defineProperty(o, key, {
            value: this.#junk(depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return o;
      }
    }
  }

  #sdp(): string {
    const lines = OFFER.split('\r\n');
    for (let m = 1 + this.#int(4); m > 0; m--) {
      const i = this.#int(lines.length);
      switch (this.#int(5)) {
        case 0:
          lines.splice(i, 1);
          break;
        case 1:
          lines.splice(i, 0, lines[this.#int(lines.length)]);
          break;
        case 2:
          lines[i] = lines[i].slice(0, this.#int(lines[i].length + 1));
          break;
        case 3:
          lines[i] = `${lines[i]}${JSON.stringify(this.#junk()) ?? ''}`.slice(0, 500);
          break;
        default:
          lines[i] = lines[i].replace(/\d+/, String(this.#pick([0, 65535, 4294967295, 99999999999, -1])));
      }
    }
    return this.#int(8) === 0 ? OFFER : lines.join(this.#r() < 0.9 ? '\r\n' : '\n');
  }

  #valid(): Record<string, unknown> {
    const id = this.#id++;
    const channel = `fz-${this.#int(4)}`;
    const c = this.#c;
    const token = this.#r() < 0.6 && c.tokens.length ? this.#pick(c.tokens) : this.#junk();
    const uid = this.#r() < 0.5 ? null : this.#r() < 0.5 ? this.#int(5) : `f${this.#int(5)}`;
    switch (this.#int(10)) {
      case 0:
        return {
          type: 'join',
          id,
          appId: c.appId,
          channel,
          token,
          uid,
          mode: this.#pick(['rtc', 'live']),
          role: this.#pick(['host', 'audience']),
        };
      case 1:
        return { type: 'publish', id, sdp: this.#sdp() };
      case 2:
        return { type: 'unpublish', id };
      case 3:
        return {
          type: 'subscribe',
          id,
          uid: this.#r() < 0.5 ? this.#pick(c.honestUids) : this.#pick([0, 1, 'f1', 'f2']),
        };
      case 4:
        return { type: 'unsubscribe', id, uid: this.#pick([...c.honestUids, 'f1']) };
      case 5:
        return { type: 'answer', id, sdp: this.#sdp().replace('a=sendonly', 'a=recvonly') };
      case 6:
        return { type: 'leave', id };
      case 7:
        return { type: 'renewToken', id, token };
      case 8:
        return { type: 'setRole', id, role: this.#pick(['host', 'audience']) };
      default:
        return { type: 'ping', id };
    }
  }

  /** One frame: 10% random bytes, 15% random JSON, the rest valid messages with 0-3 mutations. */
  next(): string | Buffer {
    const roll = this.#r();
    if (roll < 0.1) return Buffer.from(Array.from({ length: this.#int(256) }, () => this.#int(256)));
    if (roll < 0.25) return JSON.stringify(this.#junk());
    const message = this.#valid();
    const keys = [...Object.keys(message), 'type', 'id', 'extra', 'channel', 'appId'];
    for (let m = this.#int(4); m > 0; m--) {
      const key = this.#pick(keys);
      if (this.#r() < 0.25) delete message[key];
      else message[key] = this.#junk();
    }
    let frame = JSON.stringify(message);
    const tweak = this.#r();
    if (tweak < 0.05) frame = frame.slice(0, this.#int(frame.length));
    else if (tweak < 0.1) {
      const i = this.#int(frame.length);
      frame = frame.slice(0, i) + String.fromCharCode(this.#int(128)) + frame.slice(i + 1);
    } else if (tweak < 0.11) frame = frame + ' '.repeat(70_000); // over the size limit
    return frame;
  }
}

export interface MediaFuzzConfig {
  seed: number;
  /** STUN usernames (remote:local ufrag pairs) of real connections, so STUN reaches their agents. */
  usernames: string[];
  /** SSRCs of real streams. */
  ssrcs: number[];
}

/** Malformed RTP, RTCP, STUN and DTLS-looking datagrams. */
export class MediaFuzzer {
  readonly #r: () => number;
  readonly #c: MediaFuzzConfig;

  constructor(config: MediaFuzzConfig) {
    this.#r = prng(config.seed);
    this.#c = config;
  }
  #int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  #bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.#int(256);
    return b;
  }

  #rtp(): Buffer {
    const b = this.#bytes(12 + this.#int(300));
    b[0] = 0x80 | (this.#int(2) << 5) | (this.#int(2) << 4) | this.#int(16); // padding, extension, CSRC count
    b[1] = (this.#int(2) << 7) | (this.#r() < 0.7 ? 111 : this.#int(128));
    if (this.#c.ssrcs.length && this.#r() < 0.5)
      b.writeUInt32BE(this.#c.ssrcs[this.#int(this.#c.ssrcs.length)], 8);
    if (this.#r() < 0.3) b[b.length - 1] = 255; // padding length past the end
    return b.subarray(0, this.#r() < 0.1 ? this.#int(b.length) : b.length);
  }

  #rtcp(): Buffer {
    const parts: Buffer[] = [];
    for (let i = 1 + this.#int(3); i > 0; i--) {
      const b = this.#bytes(4 + 4 * this.#int(10));
      b[0] = 0x80 | this.#int(32);
      b[1] = 200 + this.#int(8);
      b.writeUInt16BE(this.#r() < 0.5 ? b.length / 4 - 1 : this.#int(65536), 2);
      if (b.length >= 8 && this.#c.ssrcs.length)
        b.writeUInt32BE(this.#c.ssrcs[this.#int(this.#c.ssrcs.length)], 4);
      parts.push(b);
    }
    return Buffer.concat(parts);
  }

  #stun(): Buffer {
    const attrs: Buffer[] = [];
    const attr = (type: number, value: Buffer, lie = false): void => {
      const h = Buffer.alloc(4);
      h.writeUInt16BE(type, 0);
      h.writeUInt16BE(lie ? this.#int(65536) : value.length, 2);
      const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
      attrs.push(h, value, pad);
    };
    const lie = () => this.#r() < 0.2;
    if (this.#c.usernames.length && this.#r() < 0.7)
      attr(0x0006, Buffer.from(this.#c.usernames[this.#int(this.#c.usernames.length)]), lie());
    else attr(0x0006, this.#bytes(this.#int(600)), lie());
    if (this.#r() < 0.5) attr(0x0024, this.#bytes(4), lie()); // PRIORITY
    if (this.#r() < 0.3) attr(0x0025, Buffer.alloc(0)); // USE-CANDIDATE
    if (this.#r() < 0.5) attr(0x802a, this.#bytes(8), lie()); // ICE-CONTROLLING
    if (this.#r() < 0.3) attr(this.#int(65536), this.#bytes(this.#int(64)), lie());
    if (this.#r() < 0.7) attr(0x0008, this.#bytes(this.#r() < 0.8 ? 20 : this.#int(40)), lie()); // MESSAGE-INTEGRITY (wrong)
    if (this.#r() < 0.5) attr(0x8028, this.#bytes(4), lie()); // FINGERPRINT (wrong)
    const body = Buffer.concat(attrs);
    const h = Buffer.alloc(20);
    h.writeUInt16BE(this.#r() < 0.7 ? 0x0001 : this.#int(0x4000), 0);
    h.writeUInt16BE(this.#r() < 0.8 ? body.length : this.#int(65536), 2);
    h.writeUInt32BE(this.#r() < 0.9 ? 0x2112a442 : this.#int(2 ** 32), 4);
    this.#bytes(12).copy(h, 8);
    const out = Buffer.concat([h, body]);
    return out.subarray(0, this.#r() < 0.1 ? this.#int(out.length) : out.length);
  }

  #dtls(): Buffer {
    const b = this.#bytes(13 + this.#int(200));
    b[0] = 20 + this.#int(4);
    b[1] = 0xfe;
    b[2] = this.#r() < 0.5 ? 0xfd : 0xff;
    b.writeUInt16BE(this.#r() < 0.5 ? b.length - 13 : this.#int(65536), 11);
    return b;
  }

  next(): Buffer {
    switch (this.#int(6)) {
      case 0:
        return this.#bytes(this.#int(this.#r() < 0.05 ? 1500 : 100));
      case 1:
        return this.#rtp();
      case 2:
        return this.#rtcp();
      case 3:
      case 4:
        return this.#stun();
      default:
        return this.#dtls();
    }
  }
}

export interface SignalingFuzzJob extends SignalingFuzzConfig {
  kind: 'signaling';
  url: string;
  messages: number;
  connections: number;
  /** Frames per second over all connections (a steady load rather than bursts). Default 20000. */
  rate?: number;
}
export interface MediaFuzzJob extends MediaFuzzConfig {
  kind: 'media';
  host: string;
  port: number;
  datagrams: number;
  /** Datagrams per second, to keep the run steady. */
  rate: number;
}
export interface FuzzResult {
  sent: number;
  replies: number;
  reconnects: number;
  ms: number;
}

/** Runs a fuzz job in a worker thread. */
export function runFuzzWorker(job: SignalingFuzzJob | MediaFuzzJob): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once('message', (result: FuzzResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`fuzz worker exited with ${code}`));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

async function signalingJob(job: SignalingFuzzJob): Promise<FuzzResult> {
  const started = Date.now();
  const result: FuzzResult = { sent: 0, replies: 0, reconnects: 0, ms: 0 };
  const perConnection = Math.ceil(job.messages / job.connections);
  const perConnectionRate = (job.rate ?? 20_000) / job.connections;
  await Promise.all(
    Array.from({ length: job.connections }, async (_, c) => {
      const fuzzer = new SignalingFuzzer({ ...job, seed: job.seed + c });
      let ws = await open(job.url);
      const track = (socket: WebSocket) => socket.on('message', () => result.replies++);
      track(ws);
      for (let sent = 0; sent < perConnection;) {
        if (ws.readyState !== WebSocket.OPEN) {
          ws = await open(job.url);
          track(ws);
          result.reconnects++;
        }
        const due = started + (sent / perConnectionRate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        // A batch, then a ping whose reply says the server caught up (bounds its queue).
        for (let i = 0; i < 100 && sent < perConnection && ws.readyState === WebSocket.OPEN; i++, sent++) {
          ws.send(fuzzer.next());
          result.sent++;
        }
        if (ws.readyState !== WebSocket.OPEN) continue;
        const pingId = 9_000_000_000 + c;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 10_000);
          function done() {
            clearTimeout(timer);
            ws.off('message', onMessage);
            ws.off('close', done);
            resolve();
          }
          function onMessage(data: unknown) {
            if (String(data).includes(`"id":${pingId}`)) done();
          }
          ws.on('message', onMessage);
          ws.on('close', done);
          ws.send(JSON.stringify({ type: 'ping', id: pingId }));
        });
      }
      ws.close();
    }),
  );
  result.ms = Date.now() - started;
  return result;
}

async function mediaJob(job: MediaFuzzJob): Promise<FuzzResult> {
  const started = Date.now();
  const result: FuzzResult = { sent: 0, replies: 0, reconnects: 0, ms: 0 };
  const fuzzer = new MediaFuzzer(job);
  const family = job.host.includes(':') ? 'udp6' : 'udp4';
  const sockets = Array.from({ length: 4 }, () => createSocket(family));
  for (const s of sockets) {
    s.on('message', () => result.replies++);
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.bind(0, job.host, () => resolve()));
  }
  const batch = 100;
  while (result.sent < job.datagrams) {
    const due = started + (result.sent / job.rate) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
    await Promise.all(
      Array.from({ length: Math.min(batch, job.datagrams - result.sent) }, () => {
        const socket = sockets[result.sent++ % sockets.length];
        return new Promise<void>((resolve) =>
          socket.send(fuzzer.next(), job.port, job.host, () => resolve()),
        );
      }),
    );
  }
  for (const s of sockets) s.close();
  result.ms = Date.now() - started;
  return result;
}

if (!isMainThread && parentPort && (workerData as { kind?: string } | null)?.kind) {
  const job = workerData as SignalingFuzzJob | MediaFuzzJob;
  const result = await (job.kind === 'signaling' ? signalingJob(job) : mediaJob(job));
  parentPort.postMessage(result);
}
