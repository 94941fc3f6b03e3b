import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leastLoaded, loadScore } from './leastLoaded.js';
import type { NodeInfo } from './PlacementStore.js';

function node(id: string, load: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id,
    url: `ws://${id}`,
    draining: false,
    cpu: 0,
    tracks: 0,
    packetsPerSecond: 0,
    channels: 0,
    ...load,
  };
}

describe('leastLoaded', () => {
  it('picks the node with the lowest score; CPU counts in quarters of a core', () => {
    assert.equal(loadScore(node('a', { cpu: 0.2, tracks: 3, channels: 1 })), 4);
    assert.equal(loadScore(node('a', { cpu: 0.6, tracks: 3, channels: 1 })), 54);
    const nodes = [node('a', { cpu: 0.9 }), node('b', { tracks: 20 }), node('c', { tracks: 4, channels: 2 })];
    assert.equal(leastLoaded(nodes)?.id, 'c');
  });
  it('skips draining and excluded nodes; null when none is left', () => {
    const nodes = [node('a'), node('b', { draining: true, tracks: 0 }), node('c', { tracks: 9 })];
    assert.equal(leastLoaded(nodes)?.id, 'a');
    assert.equal(leastLoaded(nodes, ['a'])?.id, 'c');
    assert.equal(leastLoaded([node('b', { draining: true })]), null);
  });
  it('breaks ties by id, so every node agrees', () => {
    assert.equal(leastLoaded([node('z'), node('m'), node('q')])?.id, 'm');
  });
});
