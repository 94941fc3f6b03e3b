import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@patchbay/protocol';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Channel } from '../room/Channel.js';
import type { ChannelRegistry } from '../room/ChannelRegistry.js';
import { leastLoaded } from './leastLoaded.js';
import type { Load } from './LoadSampler.js';
import type { NodeInfo, Owner, PlacementStore } from './PlacementStore.js';
import { probeUrl } from './probeUrl.js';

/** How long a redirect waits for the owner to accept a TCP connection before placing its channel again. */
const OWNER_PROBE_TIMEOUT_MS = 300;

export interface ClusterNodeOptions {
  /** The WebSocket URL this node advertises in redirects. */
  url: string;
  heartbeatMs: number;
  nodeTtlMs: number;
}

/** What the node needs from its server. */
export interface ClusterHost {
  registry: ChannelRegistry;
  load(): Load;
  /** Ends a channel here: its clients get `bye` (ServerShutdown) and reconnect elsewhere. */
  evict(channel: Channel, why: string): void;
}

/** The map key of a channel: app id and name, each escaped, so no two channels share one. */
export function channelKey(appId: string, name: string): string {
  return `${encodeURIComponent(appId)}/${encodeURIComponent(name)}`;
}

/**
 * This server as one node of a cluster. Each channel lives on one node: a join for a channel
 * owned elsewhere gets REDIRECT to the owner's URL; a channel with no live owner goes to the
 * least-loaded node (atomically, in the store). Heartbeats carry the load; each one also
 * re-asserts this node's channels, which restores them after Redis lost its data and evicts
 * any another node took over while this one was cut off.
 */
export class ClusterNode {
  readonly id = randomUUID();
  readonly #store: PlacementStore;
  readonly #host: ClusterHost;
  readonly #options: ClusterNodeOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;
  #beating: Promise<void> | null = null;
  #draining = false;
  #closed = false;

  constructor(store: PlacementStore, host: ClusterHost, options: ClusterNodeOptions, log: Logger) {
    this.#store = store;
    this.#host = host;
    this.#options = options;
    this.#log = log.child({ node: this.id });
  }

  get draining(): boolean {
    return this.#draining;
  }
  get url(): string {
    return this.#options.url;
  }

  /** First heartbeat, then one every `heartbeatMs`. Rejects when the store cannot be reached. */
  async start(): Promise<void> {
    await this.#store.heartbeat(this.#info(), this.#options.nodeTtlMs);
    // An earlier life of this node (same URL: a restarted process or worker) is dead: its channels
    // are placed again now rather than when its heartbeat expires.
    for (const node of await this.#store.nodes()) {
      if (node.url === this.url && node.id !== this.id) {
        this.#log.info({ previous: node.id }, 'replacing an earlier node at this URL');
        await this.#store.leave(node.id);
      }
    }
    this.#timer = setInterval(() => void this.#beat(), this.#options.heartbeatMs);
    this.#timer.unref();
    this.#log.info({ url: this.url }, 'joined the cluster');
  }

  #info(): NodeInfo {
    return { id: this.id, url: this.url, draining: this.#draining, ...this.#host.load() };
  }

  #beat(): Promise<void> {
    this.#beating ??= (async () => {
      try {
        await this.#store.heartbeat(this.#info(), this.#options.nodeTtlMs);
        if (!this.#draining) await this.#reassert();
      } catch (error) {
        this.#log.debug({ err: (error as Error).message }, 'heartbeat failed');
      } finally {
        this.#beating = null;
      }
    })();
    return this.#beating;
  }

  /** Claims every local channel again (the claims go out together); evicts those another node owns now. */
  async #reassert(): Promise<void> {
    const channels = [...this.#host.registry.channels()];
    const owners = await Promise.all(
      channels.map((c) => this.#store.claim(channelKey(c.appId, c.name), this.id)),
    );
    channels.forEach((channel, i) => {
      const owner = owners[i];
      if (owner && owner.id !== this.id && !this.#closed) {
        this.#log.warn({ channel: channel.name, owner: owner.url }, 'channel owned by another node; moving');
        this.#host.evict(channel, 'the channel moved to another node');
      }
    });
  }

  /**
   * Decides where a join for this channel goes: returns when it is (now) this node's, else throws
   * REDIRECT (with the owner's URL), NODE_DRAINING, or CLUSTER_UNAVAILABLE. Before redirecting, the
   * owner is probed: one that refuses connections (its process died) or does not answer within
   * `OWNER_PROBE_TIMEOUT_MS` loses the channel at once instead of when its heartbeat expires.
   */
  async place(appId: string, name: string): Promise<void> {
    const running = this.#host.registry.find(appId, name) !== undefined;
    if (running && !this.#draining) return;
    const key = channelKey(appId, name);
    let url: string;
    try {
      const nodes = await this.#store.nodes();
      let owner = await this.#claim(key, nodes, []);
      const stale = owner.id !== this.id && owner.url === this.url; // an earlier life of this node
      if (stale || (owner.id !== this.id && !(await probeUrl(owner.url, OWNER_PROBE_TIMEOUT_MS)))) {
        this.#log.warn(
          { channel: name, owner: owner.url },
          'the owner does not answer; placing the channel again',
        );
        owner = await this.#claim(key, nodes, [owner.id]);
      }
      if (owner.id === this.id) {
        if (this.#draining) throw new ServerError(ErrorCode.NODE_DRAINING, 'this node is draining');
        return;
      }
      url = owner.url;
    } catch (error) {
      if (error instanceof ServerError) throw error;
      // Redis is unreachable: channels running here go on (and take joins), new ones cannot be placed.
      if (running) return;
      this.#log.warn({ err: (error as Error).message, channel: name }, 'cannot place a new channel');
      throw new ServerError(
        ErrorCode.CLUSTER_UNAVAILABLE,
        'the cluster store (Redis) cannot be reached, so no new channel can be placed; retry later',
      );
    }
    throw new ServerError(ErrorCode.REDIRECT, `channel "${name}" lives on ${url}`, url);
  }

  /** Claims `key` for the least-loaded node not in `dead` (nor this one while draining). */
  async #claim(key: string, nodes: NodeInfo[], dead: string[]): Promise<Owner> {
    const exclude = this.#draining ? [...dead, this.id] : dead;
    const candidate = leastLoaded(nodes, exclude);
    if (!candidate) {
      throw new ServerError(
        this.#draining ? ErrorCode.NODE_DRAINING : ErrorCode.CLUSTER_UNAVAILABLE,
        this.#draining
          ? 'this node is draining and no other node takes channels; retry later'
          : 'no node of the cluster takes new channels; retry later',
      );
    }
    const owner = await this.#store.claim(key, candidate.id, dead[0]);
    if (!owner) throw new ServerError(ErrorCode.CLUSTER_UNAVAILABLE, 'placement raced; retry');
    return owner;
  }

  /** The registry dropped an empty channel: free its map entry. */
  channelClosed(channel: Channel): void {
    if (this.#closed) return;
    this.#store.release(channelKey(channel.appId, channel.name), this.id).catch((error: unknown) => {
      this.#log.debug({ err: (error as Error).message }, 'release failed; the entry goes with the heartbeat');
    });
  }

  /**
   * Takes no new channels from now on and gives up the map entries of this node's channels, so
   * their clients are placed elsewhere when they come back. The caller then sends them `bye`.
   */
  async drain(): Promise<number> {
    this.#draining = true;
    await this.#beating;
    const channels = [...this.#host.registry.channels()];
    try {
      await this.#store.heartbeat(this.#info(), this.#options.nodeTtlMs);
      await Promise.all(channels.map((c) => this.#store.release(channelKey(c.appId, c.name), this.id)));
    } catch (error) {
      // Redis is unreachable: the entries go when this node's heartbeat expires.
      this.#log.warn({ err: (error as Error).message }, 'drain could not update the cluster store');
    }
    this.#log.info({ channels: channels.length }, 'draining');
    return channels.length;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#beating;
    await this.#store.leave(this.id).catch(() => undefined);
    await this.#store.close();
  }
}
