import { ERROR_CODES } from '@patchbay/protocol';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Counters } from '../limits/Counters.js';
import type { ChannelRegistry } from '../room/ChannelRegistry.js';
import type { ForwardingTotals } from './ForwardingTotals.js';
import { type InternalCounts, registerInternalGauges } from './Internals.js';

export interface MetricsSources {
  registry: ChannelRegistry;
  totals: ForwardingTotals;
  counters: Counters;
  connections: () => number;
  /** Internal object counts for leak checks (patchbay_internal_*). */
  internals?: () => InternalCounts;
}

const CODES = new Set<string>(ERROR_CODES);

/**
 * The server's Prometheus metrics, in a registry of its own (several servers can run in one
 * process). Everything but the delay histogram is read from the server's state when scraped.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(src: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    const rooms = () => {
      let participants = 0;
      let publishers = 0;
      let tracks = 0;
      for (const channel of src.registry.channels()) {
        for (const p of channel.participants()) {
          participants++;
          if (p.producer) publishers++;
          tracks += p.trackCount;
        }
      }
      return { participants, publishers, tracks };
    };
    gauge(r, 'patchbay_channels', 'Channels with at least one participant', () => src.registry.size);
    gauge(r, 'patchbay_participants', 'Participants in all channels', () => rooms().participants);
    gauge(r, 'patchbay_publishers', 'Participants publishing audio', () => rooms().publishers);
    gauge(
      r,
      'patchbay_tracks',
      'Audio tracks: published streams plus active subscriptions',
      () => rooms().tracks,
    );
    gauge(r, 'patchbay_connections', 'Open signaling connections, joined or not', src.connections);
    if (src.internals) registerInternalGauges(r, src.internals);
    const t = src.totals;
    counter(r, 'patchbay_rtp_packets_in_total', 'RTP packets received from publishers', () => t.packetsIn);
    counter(r, 'patchbay_rtp_bytes_in_total', 'RTP bytes received from publishers', () => t.bytesIn);
    counter(r, 'patchbay_rtp_packets_out_total', 'RTP packets forwarded to subscribers', () => t.packetsOut);
    counter(r, 'patchbay_rtp_bytes_out_total', 'RTP bytes forwarded to subscribers', () => t.bytesOut);
    counter(
      r,
      'patchbay_forwarding_send_failures_total',
      'Packets not forwarded to a subscriber because the send failed (forwarding loss)',
      () => t.sendFailures,
    );
    counter(r, 'patchbay_rtp_malformed_in_total', 'Unparseable packets from publishers', () => t.malformedIn);
    const delay = new Histogram({
      name: 'patchbay_forwarding_delay_seconds',
      help: `SFU-added delay, JS part: from the packet callback to the last consumer's send (1 in ${t.sampleEvery} packets)`,
      buckets: [0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05],
      registers: [r],
    });
    t.observeDelay = (seconds) => delay.observe(seconds);
    new Counter({
      name: 'patchbay_rejected_requests_total',
      help: 'Requests and frames answered with an error, by error code',
      labelNames: ['code'],
      registers: [r],
      collect() {
        this.reset();
        for (const [name, value] of Object.entries(src.counters.snapshot()))
          if (CODES.has(name)) this.inc({ code: name }, value);
      },
    });
    new Counter({
      name: 'patchbay_events_total',
      help: 'Server events other than rejections (e.g. expired:join, expired:publishAudio)',
      labelNames: ['event'],
      registers: [r],
      collect() {
        this.reset();
        for (const [name, value] of Object.entries(src.counters.snapshot()))
          if (!CODES.has(name)) this.inc({ event: name }, value);
      },
    });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.registry.clear();
  }
}

function gauge(r: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [r],
    collect() {
      this.set(read());
    },
  });
}

function counter(r: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [r],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
