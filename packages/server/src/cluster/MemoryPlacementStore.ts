import type { NodeInfo, Owner, PlacementStore } from './PlacementStore.js';

/**
 * The placement store in one process's memory, with the same contract as Redis's: heartbeats
 * expire after their TTL, claims are atomic (one synchronous step). The primary of
 * `patchbay serve --workers N` keeps one for its workers; unit tests use it directly.
 */
export class MemoryPlacementStore implements PlacementStore {
  readonly #nodes = new Map<string, { info: NodeInfo; expiresAt: number }>();
  readonly #channels = new Map<string, string>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #alive(id: string): NodeInfo | null {
    const entry = this.#nodes.get(id);
    if (!entry) return null;
    if (entry.expiresAt <= this.#now()) {
      this.#nodes.delete(id);
      return null;
    }
    return entry.info;
  }

  async heartbeat(node: NodeInfo, ttlMs: number): Promise<void> {
    this.#nodes.set(node.id, { info: { ...node }, expiresAt: this.#now() + ttlMs });
  }

  async nodes(): Promise<NodeInfo[]> {
    return [...this.#nodes.keys()].map((id) => this.#alive(id)).filter((n): n is NodeInfo => n !== null);
  }

  async claim(channel: string, candidate: string, unreachable?: string): Promise<Owner | null> {
    const current = this.#channels.get(channel);
    const owner = current === undefined || current === unreachable ? null : this.#alive(current);
    if (owner && !owner.draining) return { id: owner.id, url: owner.url };
    const node = this.#alive(candidate);
    if (!node || node.draining) return null;
    this.#channels.set(channel, candidate);
    node.channels++;
    return { id: node.id, url: node.url };
  }

  async release(channel: string, node: string): Promise<void> {
    if (this.#channels.get(channel) === node) this.#channels.delete(channel);
  }

  async leave(node: string): Promise<void> {
    this.#nodes.delete(node);
  }

  async close(): Promise<void> {}
}
