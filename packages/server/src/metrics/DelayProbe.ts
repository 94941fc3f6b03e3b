import type { ServerResponse } from 'node:http';
import { DelayHistogram, type DelayHistogramSnapshot } from './DelayHistogram.js';

/**
 * Where a sender puts its probe stamp, in bytes from the start of the RTP payload: a 4-byte
 * marker (uint32 LE `DELAY_PROBE_MAGIC`) and then the send time as a float64 LE, in ms of
 * CLOCK_MONOTONIC (`monotonicMs()` in the sender's process). The bench's load publishers write it
 * just before handing each packet to their SRTP stack.
 */
export const DELAY_PROBE_OFFSET = 17;
export const DELAY_PROBE_MAGIC = 0x50_42_44_50; // "PDBP" little-endian
/** Bytes of payload a stamped packet has at least. */
export const DELAY_PROBE_BYTES = DELAY_PROBE_OFFSET + 12;

/**
 * performance.now() + this = CLOCK_MONOTONIC in ms. Both come from the same clock (libuv's
 * uv_hrtime, which is clock_gettime(CLOCK_MONOTONIC) on Linux); performance.now() only subtracts a
 * per-process origin. CLOCK_MONOTONIC is one clock for every process of a Linux machine (and time
 * namespace), so stamps from another process compare directly. Measured on Node 20: the offset
 * found this way stays within 0.02 µs over seconds. Found by bracketing one hrtime read between
 * two performance.now() reads, best of `tries`.
 */
export function monotonicOffsetMs(tries = 200): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < tries; i++) {
    const a = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = mono - (a + b) / 2;
    }
  }
  return offset;
}

const OFFSET_MS = monotonicOffsetMs();

/** CLOCK_MONOTONIC now, in ms (a double: sub-ns resolution at any uptime below ~100 days). */
export function monotonicMs(): number {
  return performance.now() + OFFSET_MS;
}

export interface DelayProbeSnapshot {
  /** Whether recording was on at the time of the snapshot. */
  enabled: boolean;
  /** Forwarded packets (with at least one consumer) seen while recording. */
  packets: number;
  /** Of those, packets without a probe stamp (not from a probe sender, or RED): JS span only. */
  unstamped: number;
  /** Stamp at the sender → the last consumer's send returned: the in-SFU upper bound. */
  ingressToEgress: DelayHistogramSnapshot;
  /** Stamp at the sender → the packet callback in JS (sender SRTP, veth, libdatachannel, native→JS queue). */
  ingressToJs: DelayHistogramSnapshot;
  /** Packet callback (after the header parse) → the last consumer's send returned: the JS span. */
  js: DelayHistogramSnapshot;
}

/**
 * The option-gated delay probe (server option `delayProbe`, env PATCHBAY_DELAY_PROBE=1). The
 * Producer calls observe() for every forwarded packet once its last consumer's send returned; the
 * probe reads the sender's stamp from the payload and records three spans, in µs, into
 * preallocated histograms (no allocation per packet). With the option off the server has no probe
 * and the Producer pays one null check.
 */
export class DelayProbe {
  /** Recording on/off at run time (the bench toggles it to measure the probe's own cost). */
  enabled = true;
  packets = 0;
  unstamped = 0;
  readonly ingressToEgress = new DelayHistogram();
  readonly ingressToJs = new DelayHistogram();
  readonly js = new DelayHistogram();
  readonly #offsetMs: number;

  constructor(offsetMs = OFFSET_MS) {
    this.#offsetMs = offsetMs;
  }

  /**
   * Hot path. `buf` is the packet as received (`length` bytes, payload at `payloadOffset`),
   * `jsStartMs` the performance.now() the callback took after parsing the header, `endMs` the
   * performance.now() after the last consumer's send.
   */
  observe(buf: Buffer, length: number, payloadOffset: number, jsStartMs: number, endMs: number): void {
    if (!this.enabled) return;
    this.packets++;
    this.js.record((endMs - jsStartMs) * 1000);
    const at = payloadOffset + DELAY_PROBE_OFFSET;
    if (length < payloadOffset + DELAY_PROBE_BYTES || buf.readUInt32LE(at) !== DELAY_PROBE_MAGIC) {
      this.unstamped++;
      return;
    }
    const stamp = buf.readDoubleLE(at + 4) - this.#offsetMs; // on this process's performance clock
    this.ingressToEgress.record((endMs - stamp) * 1000);
    this.ingressToJs.record((jsStartMs - stamp) * 1000);
  }

  reset(): void {
    this.packets = 0;
    this.unstamped = 0;
    this.ingressToEgress.reset();
    this.ingressToJs.reset();
    this.js.reset();
  }

  snapshot(): DelayProbeSnapshot {
    return {
      enabled: this.enabled,
      packets: this.packets,
      unstamped: this.unstamped,
      ingressToEgress: this.ingressToEgress.snapshot(),
      ingressToJs: this.ingressToJs.snapshot(),
      js: this.js.snapshot(),
    };
  }
}

/** Writes a probe stamp (now) into an RTP packet whose payload starts at `payloadOffset`. */
export function writeDelayProbeStamp(
  buf: Buffer,
  payloadOffset: number,
  nowMonotonicMs = monotonicMs(),
): void {
  const at = payloadOffset + DELAY_PROBE_OFFSET;
  buf.writeUInt32LE(DELAY_PROBE_MAGIC, at);
  buf.writeDoubleLE(nowMonotonicMs, at + 4);
}

/**
 * GET /debug/delay-probe (option delayProbe): the probe's histograms as JSON; `?enable=0|1` first
 * pauses or resumes recording, `?reset=1` clears them after the snapshot is taken.
 */
export function serveDelayProbe(probe: DelayProbe, url: string, res: ServerResponse): void {
  const query = new URLSearchParams(url.split('?')[1] ?? '');
  const enable = query.get('enable');
  if (enable === '0' || enable === '1') probe.enabled = enable === '1';
  const snapshot = probe.snapshot();
  if (query.get('reset') === '1') probe.reset();
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot));
}
