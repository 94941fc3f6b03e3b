import type { ForwardingTotals } from '../metrics/ForwardingTotals.js';
import type { ChannelRegistry } from '../room/ChannelRegistry.js';

/** What a heartbeat reports about this node's load. */
export interface Load {
  cpu: number;
  tracks: number;
  packetsPerSecond: number;
  channels: number;
}

/** Intervals shorter than this give no CPU figure. */
const MIN_SAMPLE_SECONDS = 0.5;

/** Samples the process's CPU and packet rate between two calls, and counts tracks and channels. */
export class LoadSampler {
  readonly #registry: ChannelRegistry;
  readonly #totals: ForwardingTotals;
  #cpu = process.cpuUsage();
  #at = performance.now();
  #packets = 0;

  constructor(registry: ChannelRegistry, totals: ForwardingTotals) {
    this.#registry = registry;
    this.#totals = totals;
    this.#packets = totals.packetsIn + totals.packetsOut;
  }

  sample(): Load {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#at) / 1000);
    const cpu = process.cpuUsage(this.#cpu);
    const packets = this.#totals.packetsIn + this.#totals.packetsOut;
    const load: Load = {
      // Too short an interval (the first heartbeat, right after start-up) says nothing: report 0.
      cpu: seconds < MIN_SAMPLE_SECONDS ? 0 : (cpu.user + cpu.system) / 1e6 / seconds,
      tracks: 0,
      packetsPerSecond: (packets - this.#packets) / seconds,
      channels: this.#registry.size,
    };
    this.#cpu = process.cpuUsage();
    this.#at = now;
    this.#packets = packets;
    for (const channel of this.#registry.channels()) {
      for (const p of channel.participants()) load.tracks += p.trackCount;
    }
    return load;
  }
}
