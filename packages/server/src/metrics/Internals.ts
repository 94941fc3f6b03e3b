import type { EventEmitter } from 'node:events';
import { Gauge, type Registry } from 'prom-client';

/**
 * Counts of the server's long-lived internal objects, for leak checks (the soak test): after
 * everyone has left, each returns to its idle value (0, or the listeners of the idle server).
 */
export interface InternalCounts {
  /** Signaling sessions (open sockets) the server tracks. */
  sessions: number;
  /** Memberships that can be resumed: joined participants, attached or in their resume grace. */
  memberships: number;
  /** Media PeerConnections the engine created and has not closed. */
  peerConnections: number;
  /** Subscriber m-lines (consumers), carrying a stream or free for reuse, over all connections. */
  consumers: number;
  /** Event listeners on the HTTP server, the WebSocket server and every open WebSocket. */
  listeners: number;
}

export function listenerTotal(emitter: EventEmitter): number {
  let n = 0;
  for (const event of emitter.eventNames()) n += emitter.listenerCount(event);
  return n;
}

const HELP: Record<keyof InternalCounts, string> = {
  sessions: 'Signaling sessions the server tracks (leak check)',
  memberships: 'Channel memberships that can be resumed (leak check)',
  peerConnections: 'Media PeerConnections open in the engine (leak check)',
  consumers: 'Subscriber m-lines, used or free, over all subscriber connections (leak check)',
  listeners: 'Event listeners on the HTTP server, the WebSocket server and open WebSockets (leak check)',
};

const NAMES: Record<keyof InternalCounts, string> = {
  sessions: 'patchbay_internal_sessions',
  memberships: 'patchbay_internal_memberships',
  peerConnections: 'patchbay_internal_peer_connections',
  consumers: 'patchbay_internal_consumers',
  listeners: 'patchbay_internal_listeners',
};

/** One gauge per count, read at scrape time. */
export function registerInternalGauges(r: Registry, read: () => InternalCounts): void {
  for (const key of Object.keys(NAMES) as (keyof InternalCounts)[]) {
    new Gauge({
      name: NAMES[key],
      help: HELP[key],
      registers: [r],
      collect() {
        this.set(read()[key]);
      },
    });
  }
}
