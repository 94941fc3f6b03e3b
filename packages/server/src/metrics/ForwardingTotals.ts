import type { DelayProbe } from './DelayProbe.js';

/**
 * Server-wide forwarding counters, shared by every Producer of one server and incremented on the
 * hot path (plain number fields: no allocation, no events). Monotonic for the server's lifetime,
 * so they survive producers coming and going. Read by the /metrics collector.
 */
export class ForwardingTotals {
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  /** Consumer sends that failed (the packet was not forwarded to that subscriber). */
  sendFailures = 0;
  malformedIn = 0;
  /** Every SAMPLE_EVERY-th packet with consumers has its SFU-added delay measured. */
  readonly sampleEvery: number;
  sampleCountdown: number;
  /** Called with the measured delay in seconds (set by the metrics registry; a no-op without it). */
  observeDelay: (seconds: number) => void = () => undefined;
  /** The ingress→egress delay probe (server option `delayProbe`); null when off. */
  probe: DelayProbe | null = null;

  constructor(sampleEvery = 50) {
    this.sampleEvery = sampleEvery;
    this.sampleCountdown = sampleEvery;
  }
}
