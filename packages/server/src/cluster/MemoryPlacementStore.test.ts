import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryPlacementStore } from './MemoryPlacementStore.js';
import type { NodeInfo } from './PlacementStore.js';

function node(id: string, draining = false): NodeInfo {
  return { id, url: `ws://${id}`, draining, cpu: 0, tracks: 0, packetsPerSecond: 0, channels: 0 };
}

describe('MemoryPlacementStore (the placement contract)', () => {
  it('the first claim wins; later claims get that owner', async () => {
    const store = new MemoryPlacementStore();
    await store.heartbeat(node('a'), 3000);
    await store.heartbeat(node('b'), 3000);
    assert.deepEqual(await store.claim('ch', 'a'), { id: 'a', url: 'ws://a' });
    assert.deepEqual(await store.claim('ch', 'b'), { id: 'a', url: 'ws://a' });
    assert.equal((await store.nodes()).find((n) => n.id === 'a')?.channels, 1, 'the placement is counted');
  });
  it('an expired or draining owner loses the channel; release only by the owner', async () => {
    let now = 0;
    const store = new MemoryPlacementStore(() => now);
    await store.heartbeat(node('a'), 3000);
    await store.heartbeat(node('b'), 10000);
    await store.claim('ch', 'a');
    now = 3000;
    assert.deepEqual(
      (await store.nodes()).map((n) => n.id),
      ['b'],
      "a's heartbeat expired",
    );
    assert.equal((await store.claim('ch', 'b'))?.id, 'b', 'reassigned once the heartbeat expired');
    await store.heartbeat(node('a', true), 10000);
    assert.equal(await store.claim('other', 'a'), null, 'a draining node is no candidate');
    await store.release('ch', 'a');
    assert.equal((await store.claim('ch', 'a'))?.id, 'b', 'a non-owner cannot release');
    await store.release('ch', 'b');
    await store.heartbeat(node('a'), 10000);
    assert.equal((await store.claim('ch', 'a'))?.id, 'a', 'released, then claimed anew');
  });
});
