/** One node of a cluster, as its last heartbeat describes it. */
export interface NodeInfo {
  /** Random per process start, so a restarted node never inherits stale ownership. */
  id: string;
  /** The WebSocket URL clients are redirected to for channels this node owns. */
  url: string;
  /** A draining node takes no new channels. */
  draining: boolean;
  /** CPU used by the node's process over the last heartbeat interval, in cores (1 = one core busy). */
  cpu: number;
  /** Audio tracks the node forwards: published tracks plus subscriptions. */
  tracks: number;
  /** RTP packets per second in and out. */
  packetsPerSecond: number;
  /** Channels the node owns (placements since its last heartbeat included). */
  channels: number;
}

/** The owner of a channel: its node id and URL. */
export interface Owner {
  id: string;
  url: string;
}

/**
 * Where channels live: node heartbeats with a TTL, and the channel → node map. Redis in a cluster
 * (`RedisPlacementStore`); the same contract in memory for one process and its workers
 * (`MemoryPlacementStore`). Every method may reject when the store cannot be reached.
 */
export interface PlacementStore {
  /** Publishes `node`'s heartbeat; the node counts as alive for `ttlMs` unless renewed. */
  heartbeat(node: NodeInfo, ttlMs: number): Promise<void>;
  /** The nodes whose heartbeat has not expired. */
  nodes(): Promise<NodeInfo[]>;
  /**
   * Atomically: the channel's owner if it has a live, non-draining one; otherwise `candidate`
   * becomes its owner. Null when `candidate` itself is not alive or is draining. An owner named
   * `unreachable` (one this node could not connect to) counts as dead whatever its heartbeat says.
   */
  claim(channel: string, candidate: string, unreachable?: string): Promise<Owner | null>;
  /** Deletes the channel's map entry if `node` owns it. */
  release(channel: string, node: string): Promise<void>;
  /** Removes `node`'s heartbeat at once (a clean shutdown). */
  leave(node: string): Promise<void>;
  close(): Promise<void>;
}
