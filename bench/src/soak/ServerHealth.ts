/**
 * Samples a running server's health: its Prometheus /metrics (prom-client's default process and
 * Node metrics plus Patchbay's gauges, including the patchbay_internal_* leak-check counts) and its
 * CPU time from /proc/<pid>/stat.
 */
import { processCpuSeconds } from '../util.js';

export type Phase = 'idle' | 'run' | 'after';

export interface HealthSample {
  phase: Phase;
  /** Seconds since the run started. */
  t: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** V8's young generation (semi-spaces) and old space as committed, of heapTotalBytes. */
  heapNewTotalBytes: number;
  heapOldTotalBytes: number;
  /** Memory of Buffers and other objects outside the V8 heap (node-datachannel's packets). */
  externalBytes: number;
  openFds: number;
  activeHandles: number;
  listeners: number;
  sessions: number;
  memberships: number;
  peerConnections: number;
  consumers: number;
  channels: number;
  participants: number;
  publishers: number;
  tracks: number;
  connections: number;
  packetsIn: number;
  packetsOut: number;
  sendFailures: number;
  cpuSeconds: number;
}

/** Prometheus text exposition -> value by series (`name` or `name{labels}`). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

export class ServerHealth {
  readonly samples: HealthSample[] = [];
  readonly #httpUrl: string;
  readonly #pid: number;
  readonly #t0: number;

  constructor(httpUrl: string, pid: number, t0 = performance.now()) {
    this.#httpUrl = httpUrl;
    this.#pid = pid;
    this.#t0 = t0;
  }

  async sample(phase: Phase): Promise<HealthSample> {
    const res = await fetch(`${this.#httpUrl}/metrics`);
    const m = parseMetrics(await res.text());
    const get = (name: string) => {
      const v = m.get(name);
      if (v === undefined) throw new Error(`/metrics has no ${name}`);
      return v;
    };
    const s: HealthSample = {
      phase,
      t: (performance.now() - this.#t0) / 1000,
      rssBytes: get('process_resident_memory_bytes'),
      heapUsedBytes: get('nodejs_heap_size_used_bytes'),
      heapTotalBytes: get('nodejs_heap_size_total_bytes'),
      heapNewTotalBytes: get('nodejs_heap_space_size_total_bytes{space="new"}'),
      heapOldTotalBytes: get('nodejs_heap_space_size_total_bytes{space="old"}'),
      externalBytes: get('nodejs_external_memory_bytes'),
      openFds: get('process_open_fds'),
      activeHandles: get('nodejs_active_handles_total'),
      listeners: get('patchbay_internal_listeners'),
      sessions: get('patchbay_internal_sessions'),
      memberships: get('patchbay_internal_memberships'),
      peerConnections: get('patchbay_internal_peer_connections'),
      consumers: get('patchbay_internal_consumers'),
      channels: get('patchbay_channels'),
      participants: get('patchbay_participants'),
      publishers: get('patchbay_publishers'),
      tracks: get('patchbay_tracks'),
      connections: get('patchbay_connections'),
      packetsIn: get('patchbay_rtp_packets_in_total'),
      packetsOut: get('patchbay_rtp_packets_out_total'),
      sendFailures: get('patchbay_forwarding_send_failures_total'),
      cpuSeconds: processCpuSeconds(this.#pid),
    };
    this.samples.push(s);
    return s;
  }
}
