import type { NodeInfo } from './PlacementStore.js';

/**
 * A node's load as one number, lower is better: 25 per whole quarter of a core of CPU, then 1 per
 * track and 1 per channel. CPU dominates once a node is busy; tracks and channels (which count
 * placements made since the last heartbeat) spread a lightly loaded cluster, where CPU noise below
 * a quarter of a core (start-up, timers, GC) does not count.
 */
export function loadScore(node: NodeInfo): number {
  return Math.floor(node.cpu * 4) * 25 + node.tracks + node.channels;
}

/** The least-loaded node that takes new channels (not in `exclude`), or null when none does. Ties go to the lowest id. */
export function leastLoaded(nodes: readonly NodeInfo[], exclude: readonly string[] = []): NodeInfo | null {
  let best: NodeInfo | null = null;
  for (const node of nodes) {
    if (node.draining || exclude.includes(node.id)) continue;
    if (
      !best ||
      loadScore(node) < loadScore(best) ||
      (loadScore(node) === loadScore(best) && node.id < best.id)
    ) {
      best = node;
    }
  }
  return best;
}
