import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { NodeInfo, Owner, PlacementStore } from './PlacementStore.js';

/**
 * Claim a channel in one step: keep a live, non-draining owner, else make `candidate` the owner
 * (only if it is alive and not draining itself) and count the placement on its heartbeat.
 * KEYS[1] channel key; ARGV[1] candidate id; ARGV[2] node key prefix; ARGV[3] an owner id to treat
 * as dead ("" for none). Returns {id, url} or nil.
 */
const CLAIM = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[3] then
  local node = ARGV[2] .. owner
  if redis.call('HGET', node, 'draining') == '0' then
    return {owner, redis.call('HGET', node, 'url')}
  end
end
local candidate = ARGV[2] .. ARGV[1]
if redis.call('HGET', candidate, 'draining') ~= '0' then return false end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HINCRBY', candidate, 'channels', 1)
return {ARGV[1], redis.call('HGET', candidate, 'url')}
`;

/** Delete the channel key only if ARGV[1] owns it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface RedisStoreOptions {
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS). */
  url: string;
  /** Prefix of every key, so several clusters can share one Redis. */
  keyPrefix: string;
  /** How long one command may take before it fails (and the caller reports CLUSTER_UNAVAILABLE). */
  commandTimeoutMs: number;
}

/**
 * The placement store on Redis (one server, or one behind Sentinel; not Redis Cluster: the claim
 * script reads node keys it is not given). Keys: `<prefix>node:<id>` (hash, PEXPIRE = heartbeat
 * TTL), `<prefix>nodes` (set of ids, pruned when read), `<prefix>channel:<channel>` (owner id).
 * Commands fail fast while Redis is unreachable (no offline queue); the client keeps reconnecting.
 */
export class RedisPlacementStore implements PlacementStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  #reachable = true;

  private constructor(redis: Redis, prefix: string, log: Logger) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#log = log;
    redis.on('error', (err: Error) => {
      if (this.#reachable) this.#log.error({ err: err.message }, 'redis unreachable');
      this.#reachable = false;
    });
    redis.on('ready', () => {
      if (!this.#reachable) this.#log.info('redis reachable again');
      this.#reachable = true;
    });
  }

  /** Connects; rejects with Redis's own error when it cannot be reached now. */
  static async connect(options: RedisStoreOptions, log: Logger): Promise<RedisPlacementStore> {
    const redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.commandTimeoutMs,
      commandTimeout: options.commandTimeoutMs,
      retryStrategy: (times) => Math.min(100 * times, 1000),
    });
    const store = new RedisPlacementStore(redis, options.keyPrefix, log);
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    return store;
  }

  #nodeKey(id: string): string {
    return `${this.#prefix}node:${id}`;
  }
  #channelKey(channel: string): string {
    return `${this.#prefix}channel:${channel}`;
  }

  async heartbeat(node: NodeInfo, ttlMs: number): Promise<void> {
    const key = this.#nodeKey(node.id);
    await this.#redis
      .multi()
      .hset(key, {
        url: node.url,
        draining: node.draining ? '1' : '0',
        cpu: node.cpu.toFixed(3),
        tracks: node.tracks,
        pps: Math.round(node.packetsPerSecond),
        channels: node.channels,
      })
      .pexpire(key, ttlMs)
      .sadd(`${this.#prefix}nodes`, node.id)
      .exec();
  }

  async nodes(): Promise<NodeInfo[]> {
    const ids = await this.#redis.smembers(`${this.#prefix}nodes`);
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.#nodeKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const nodes: NodeInfo[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const [err, h] = replies[i] ?? [null, null];
      const fields = (err ? null : h) as Record<string, string> | null;
      if (!fields || fields.url === undefined) {
        gone.push(id);
        return;
      }
      nodes.push({
        id,
        url: fields.url,
        draining: fields.draining === '1',
        cpu: Number(fields.cpu) || 0,
        tracks: Number(fields.tracks) || 0,
        packetsPerSecond: Number(fields.pps) || 0,
        channels: Number(fields.channels) || 0,
      });
    });
    if (gone.length > 0) await this.#redis.srem(`${this.#prefix}nodes`, ...gone);
    return nodes;
  }

  async claim(channel: string, candidate: string, unreachable = ''): Promise<Owner | null> {
    const reply = (await this.#redis.eval(
      CLAIM,
      1,
      this.#channelKey(channel),
      candidate,
      `${this.#prefix}node:`,
      unreachable,
    )) as [string, string] | null;
    return reply ? { id: reply[0], url: reply[1] } : null;
  }

  async release(channel: string, node: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#channelKey(channel), node);
  }

  async leave(node: string): Promise<void> {
    await this.#redis.multi().del(this.#nodeKey(node)).srem(`${this.#prefix}nodes`, node).exec();
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
