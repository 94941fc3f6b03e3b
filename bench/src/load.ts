/**
 * Load mode: DTLS-SRTP peers on node-datachannel (libdatachannel) that publish prepared
 * Opus-shaped RTP and count what comes back without decoding. Each packet carries its send time
 * (performance.now() of this process), its publisher and its index, so delay and loss are measured
 * exactly, in one process, with no clock sync; and a CLOCK_MONOTONIC stamp for the SFU's delay probe.
 */
import { writeDelayProbeStamp } from '@patchbay/server';
import nodeDataChannel, { Audio, type PeerConnection, type Track } from 'node-datachannel';
import type { Signal } from './signal.js';
import { withTimeout } from './util.js';

export const OPUS_PT = 111;
export const PTIME_MS = 20;
export const SAMPLES_PER_PACKET = 960;
export const PAYLOAD_BYTES = 100;
/** Opus TOC: config 15 (hybrid fullband, 20 ms), mono, one frame; what libwebrtc sends for speech. */
export const OPUS_TOC = 0x78;
const OFF_SENT = 1; // float64 LE: performance.now() at send
const OFF_PUB = 9; // uint32 LE: publisher index
const OFF_INDEX = 13; // uint32 LE: packet index of that publisher
// 17..28: the SFU delay probe's stamp (marker + CLOCK_MONOTONIC ms at send, DELAY_PROBE_OFFSET),
// read by a server started with PATCHBAY_DELAY_PROBE=1 and ignored otherwise.
/** Packets a per-stream receive bitmap covers (164 s at 50 packets/s); indices wrap modulo this. */
export const WINDOW_PACKETS = 8192;

/** Where this process binds its peers (the SFU binds the other end of the namespace's veth). */
export const LOAD_BIND = process.env.PATCHBAY_TEST_IP2 || '127.0.0.1';

export function newPeer(label: string, bindAddress = LOAD_BIND): PeerConnection {
  return new nodeDataChannel.PeerConnection(label, {
    iceServers: [],
    bindAddress,
    disableAutoNegotiation: true,
  });
}

export function waitGathered(pc: PeerConnection, ms = 5000): Promise<void> {
  if (pc.gatheringState() === 'complete') return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => {
      pc.onGatheringStateChange((s) => {
        if (s === 'complete') resolve();
      });
    }),
    ms,
    'ICE gathering',
  );
}

function waitOpen(track: Track, ms = 10000): Promise<void> {
  if (track.isOpen()) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => track.onOpen(() => resolve())),
    ms,
    'track open (ICE + DTLS)',
  );
}

/** Everything the receivers record; shared by all subscribers of one run. */
export class Recorder {
  measuring = false;
  /** Delays (ms) of packets received while measuring. */
  readonly delays: Float64Array;
  delayCount = 0;
  received = 0;
  rtcp = 0;
  constructor(capacity = 2_000_000) {
    this.delays = new Float64Array(capacity);
  }
  reset(): void {
    this.delayCount = 0;
  }
}

/** One received stream: which packet indices arrived (bitmap), for loss over a window. */
export class StreamCounter {
  readonly seen = new Uint8Array(WINDOW_PACKETS);
  count = 0;
  /**
   * Exact count over an open-ended window with no bitmap (for runs longer than the bitmap):
   * packets with index in [rangeFrom, rangeTo) that arrived. Set the bounds with setRange().
   */
  inRange = 0;
  rangeFrom = 0xffffffff;
  rangeTo = 0xffffffff;
  /** Starts counting packets with index >= from (and < to, which can be lowered later). */
  setRange(from: number, to = 0xffffffff): void {
    this.rangeFrom = from;
    this.rangeTo = to;
    this.inRange = 0;
  }
  clear(): void {
    this.seen.fill(0);
  }
  /** Packets with index in [from, to) that arrived. */
  countRange(from: number, to: number): number {
    let n = 0;
    for (let i = from; i < to; i++) n += this.seen[i % WINDOW_PACKETS];
    return n;
  }
}

function payloadOffset(buf: Buffer): number {
  let off = 12 + (buf[0] & 0x0f) * 4;
  if (buf[0] & 0x10) off += 4 + ((buf[off + 2] << 8) | buf[off + 3]) * 4;
  return off;
}

/** The receive callback for one track: counts and time-stamps, never allocates. */
export function makeReceiver(recorder: Recorder, streams: Map<number, StreamCounter>): (buf: Buffer) => void {
  return (buf: Buffer) => {
    const b1 = buf[1];
    if (b1 >= 192 && b1 <= 223) {
      recorder.rtcp++;
      return;
    }
    const now = performance.now();
    const off = payloadOffset(buf);
    if (off + OFF_INDEX + 4 > buf.length) return;
    const pub = buf.readUInt32LE(off + OFF_PUB);
    const index = buf.readUInt32LE(off + OFF_INDEX);
    let stream = streams.get(pub);
    if (stream === undefined) {
      stream = new StreamCounter();
      streams.set(pub, stream);
    }
    stream.seen[index % WINDOW_PACKETS] = 1;
    stream.count++;
    if (index >= stream.rangeFrom && index < stream.rangeTo) stream.inRange++;
    recorder.received++;
    if (recorder.measuring && recorder.delayCount < recorder.delays.length) {
      recorder.delays[recorder.delayCount++] = now - buf.readDoubleLE(off + OFF_SENT);
    }
  };
}

/** A publisher sending Opus-shaped RTP at 50 packets/s over its own DTLS-SRTP connection. */
export class LoadPublisher {
  readonly pc: PeerConnection;
  readonly track: Track;
  readonly ssrc: number;
  readonly index: number;
  readonly #packet: Buffer;
  #seq = Math.floor(Math.random() * 0x10000);
  #ts = Math.floor(Math.random() * 0x100000000);
  /** Packets sent so far; also the index of the next packet. */
  sent = 0;
  sendFailures = 0;
  nextDueMs = 0;
  uid: number | string | null = null;

  constructor(index: number, label = `pub${index}`, bindAddress = LOAD_BIND) {
    this.index = index;
    this.ssrc = (0x10000000 + index * 7919) >>> 0;
    this.pc = newPeer(label, bindAddress);
    const audio = new Audio('0', 'SendOnly');
    audio.addOpusCodec(OPUS_PT);
    audio.addSSRC(this.ssrc, 'bench', `bench-${index}`, `audio-${index}`);
    this.track = this.pc.addTrack(audio);
    this.track.onMessage(() => undefined); // receiver reports from the far end
    const p = Buffer.alloc(12 + PAYLOAD_BYTES);
    p[0] = 0x80;
    p[1] = OPUS_PT;
    p.writeUInt32BE(this.ssrc, 8);
    for (let i = 12; i < p.length; i++) p[i] = (i * 31 + index) & 0xff;
    p[12] = OPUS_TOC;
    p.writeUInt32LE(index, 12 + OFF_PUB);
    this.#packet = p;
  }

  async offer(): Promise<string> {
    this.pc.setLocalDescription('offer');
    await waitGathered(this.pc);
    const local = this.pc.localDescription();
    if (!local) throw new Error('publisher has no local offer');
    return local.sdp;
  }

  /**
   * Publishes through the SFU: publish {sdp offer} -> {sdp answer}, then waits for DTLS.
   * See publishOffer() for the DTLS role.
   */
  async publishVia(signal: Signal): Promise<void> {
    const offer = await this.publishOffer();
    const result = await signal.request('publish', { sdp: offer });
    this.pc.setRemoteDescription(result.sdp as string, 'answer');
    await waitOpen(this.track);
  }

  /**
   * The offer a load publisher sends to a server: a=setup:active, so we are the DTLS client (our
   * PeerConnection offered actpass and takes the role the answer leaves it). Both Patchbay and
   * Janus answer an actpass offer as DTLS client, and their ClientHello can then arrive before
   * our DTLS transport exists (we do not have the answer yet); libdatachannel, unlike libwebrtc
   * (which caches an early ClientHello), drops it and waits for the 1 s retransmission. Measured:
   * ICE + DTLS took ~1000 ms in 4 of 6 publishes with actpass, 3-8 ms with active (but about 1 in
   * 25 publishes still stalls for good: LoadRun retries those).
   */
  async publishOffer(): Promise<string> {
    return (await this.offer()).replace(/^a=setup:actpass/m, 'a=setup:active');
  }

  async waitOpen(): Promise<void> {
    await waitOpen(this.track);
  }

  /** Sends the next packet now. */
  send(): void {
    const p = this.#packet;
    const seq = this.#seq;
    p[1] = this.sent === 0 ? 0x80 | OPUS_PT : OPUS_PT; // marker on the first packet
    p[2] = (seq >>> 8) & 0xff;
    p[3] = seq & 0xff;
    p.writeUInt32BE(this.#ts >>> 0, 4);
    p.writeUInt32LE(this.sent, 12 + OFF_INDEX);
    p.writeDoubleLE(performance.now(), 12 + OFF_SENT);
    writeDelayProbeStamp(p, 12);
    this.#seq = (seq + 1) & 0xffff;
    this.#ts = (this.#ts + SAMPLES_PER_PACKET) >>> 0;
    this.sent++;
    try {
      if (!this.track.sendMessageBinary(p)) this.sendFailures++;
    } catch {
      this.sendFailures++;
    }
  }

  close(): void {
    closeTracks([this.track]);
    try {
      this.pc.close();
    } catch {
      // closed
    }
  }
}

/**
 * Closes node-datachannel tracks: pc.close() leaves their wrappers and callbacks (thread-safe
 * functions, each a libuv handle) alive, so a long run with churn would keep every old one.
 */
function closeTracks(tracks: Track[]): void {
  for (const track of tracks) {
    try {
      track.close();
    } catch {
      // closed
    }
  }
}

/** Paces any number of publishers at 20 ms each, phases spread evenly, on one 1-2 ms timer. */
export class Pacer {
  readonly #publishers: LoadPublisher[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Packets not sent because this process fell more than 100 ms behind (generator overloaded). */
  skipped = 0;

  add(pub: LoadPublisher): void {
    const now = performance.now();
    // Spread phases: the k-th publisher starts k * 20/8.3 ms into the cycle (golden-ratio-ish spread).
    pub.nextDueMs = now + ((this.#publishers.length * 12.36) % PTIME_MS);
    this.#publishers.push(pub);
  }

  remove(pub: LoadPublisher): void {
    const i = this.#publishers.indexOf(pub);
    if (i >= 0) this.#publishers.splice(i, 1);
  }

  start(): void {
    if (this.#timer) return;
    const tick = () => {
      const now = performance.now();
      for (const pub of this.#publishers) {
        // Catch up at most 5 packets; beyond that the generator is overloaded: skip (reported).
        let n = 0;
        while (pub.nextDueMs <= now && n < 5) {
          pub.send();
          pub.nextDueMs += PTIME_MS;
          n++;
        }
        if (pub.nextDueMs <= now) {
          const late = Math.floor((now - pub.nextDueMs) / PTIME_MS) + 1;
          this.skipped += late;
          pub.nextDueMs += late * PTIME_MS;
        }
      }
      this.#timer = setTimeout(tick, 1);
    };
    this.#timer = setTimeout(tick, 1);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

function stripCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .join('\r\n');
}

function candidatesOf(sdp: string): { candidate: string; mid: string }[] {
  const out: { candidate: string; mid: string }[] = [];
  let mid = '0';
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('a=mid:')) mid = line.slice(6).trim();
    else if (line.startsWith('a=candidate:')) out.push({ candidate: line.slice(2), mid });
  }
  return out;
}

/**
 * A subscriber: one server-offered connection carrying every stream it subscribes to.
 * The first answer is sent before ICE can start (the offer's candidates are added only once the
 * server has the answer), which avoids the DTLS race the SDK avoids the same way.
 */
export class LoadSubscriber {
  readonly pc: PeerConnection;
  readonly streams = new Map<number, StreamCounter>();
  readonly #tracks: Track[] = [];
  readonly #receive: (buf: Buffer) => void;
  #negotiated = false;
  #opened: Promise<void>;
  signal: Signal | null = null;

  constructor(label: string, recorder: Recorder, bindAddress = LOAD_BIND) {
    this.pc = newPeer(label, bindAddress);
    this.#receive = makeReceiver(recorder, this.streams);
    let resolveOpen: () => void = () => undefined;
    this.#opened = new Promise((r) => (resolveOpen = r));
    // onOpen on the first track only (they all open with the connection), not on every track:
    // every node-datachannel callback is a libuv async handle, and libuv walks all of them on
    // every event-loop wake-up, i.e. for every received packet.
    this.pc.onTrack((track) => {
      this.#tracks.push(track);
      track.onMessage(this.#receive);
      if (this.#tracks.length === 1) {
        track.onOpen(resolveOpen);
        if (track.isOpen()) resolveOpen();
      }
    });
  }

  /** subscribe {uid} -> {mid, offer?}; answers any offer. Resolves once the connection is up. */
  async subscribe(uid: number | string): Promise<void> {
    const signal = this.signal;
    if (!signal) throw new Error('no signaling');
    const result = await signal.request('subscribe', { uid });
    if (typeof result.offer !== 'string') return;
    await this.acceptOffer(result.offer, async (sdp) => {
      await signal.request('answer', { sdp });
    });
  }

  /**
   * Answers a server offer. On the first one the offer's candidates are held back until
   * `sendAnswer` resolves, so the server has our answer before ICE and DTLS can start.
   */
  async acceptOffer(offer: string, sendAnswer: (sdp: string) => Promise<void>): Promise<void> {
    const first = !this.#negotiated;
    this.pc.setRemoteDescription(first ? stripCandidates(offer) : offer, 'offer');
    this.pc.setLocalDescription('answer');
    if (first) await waitGathered(this.pc);
    const local = this.pc.localDescription();
    if (!local) throw new Error('subscriber has no local answer');
    await sendAnswer(local.sdp);
    if (first) {
      this.#negotiated = true;
      for (const c of candidatesOf(offer)) this.pc.addRemoteCandidate(c.candidate, c.mid);
      await withTimeout(this.#opened, 10000, 'subscriber connection');
    }
  }

  get trackCount(): number {
    return this.#tracks.length;
  }

  close(): void {
    this.signal?.close();
    closeTracks(this.#tracks);
    try {
      this.pc.close();
    } catch {
      // closed
    }
  }
}

/**
 * The transport floor: one publisher connected straight to one receiving peer, both in this
 * process, with no SFU. Same packets, same counting.
 */
export async function directPair(
  index: number,
  recorder: Recorder,
): Promise<{ pub: LoadPublisher; sub: LoadSubscriber }> {
  const pub = new LoadPublisher(index, `dpub${index}`, LOAD_BIND);
  const sub = new LoadSubscriber(`dsub${index}`, recorder, process.env.PATCHBAY_TEST_IP || '127.0.0.1');
  const offer = await pub.offer();
  // The receiver's answer reaches the publisher before the receiver learns the candidates, as
  // through the SFU: no DTLS race.
  await sub.acceptOffer(offer, async (answer) => {
    pub.pc.setRemoteDescription(answer, 'answer');
  });
  await pub.waitOpen();
  return { pub, sub };
}
