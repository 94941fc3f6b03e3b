import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { ErrorCode } from '@patchbay/protocol';
import { pino } from 'pino';
import { ServerError } from '../errors.js';
import { ChannelRegistry } from '../room/ChannelRegistry.js';
import { ClusterNode } from './ClusterNode.js';
import { MemoryPlacementStore } from './MemoryPlacementStore.js';
import type { PlacementStore } from './PlacementStore.js';

const log = pino({ level: 'silent' });

/** A node on `store` whose URL answers TCP (a listening socket), so owner probes succeed. */
async function node(store: PlacementStore, channels = 0) {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as { port: number };
  const registry = new ChannelRegistry();
  const cluster = new ClusterNode(
    store,
    {
      registry,
      load: () => ({ cpu: 0, tracks: 0, packetsPerSecond: 0, channels }),
      evict: () => undefined,
    },
    { url: `ws://127.0.0.1:${port}`, heartbeatMs: 60_000, nodeTtlMs: 120_000 },
    log,
  );
  await cluster.start();
  return {
    cluster,
    registry,
    close: async () => {
      await cluster.close();
      listener.close();
    },
  };
}

async function code(p: Promise<unknown>): Promise<{ code: string; redirect?: string } | 'placed'> {
  try {
    await p;
    return 'placed';
  } catch (error) {
    assert.ok(error instanceof ServerError, String(error));
    return error.redirect ? { code: error.code, redirect: error.redirect } : { code: error.code };
  }
}

describe('ClusterNode.place', () => {
  it('places on the least-loaded node; the others redirect to it', async () => {
    const store = new MemoryPlacementStore();
    const busy = await node(store, 5);
    const idle = await node(store, 0);
    assert.deepEqual(await code(busy.cluster.place('app', 'c')), {
      code: ErrorCode.REDIRECT,
      redirect: idle.cluster.url,
    });
    assert.equal(await code(idle.cluster.place('app', 'c')), 'placed');
    await busy.close();
    await idle.close();
  });

  it('a draining node redirects new channels elsewhere, or answers NODE_DRAINING when alone', async () => {
    const store = new MemoryPlacementStore();
    const a = await node(store);
    assert.equal(await a.cluster.drain(), 0);
    assert.deepEqual(await code(a.cluster.place('app', 'x')), { code: ErrorCode.NODE_DRAINING });
    const b = await node(store, 50);
    assert.deepEqual(await code(a.cluster.place('app', 'x')), {
      code: ErrorCode.REDIRECT,
      redirect: b.cluster.url,
    });
    await a.close();
    await b.close();
  });

  it('an owner that refuses connections loses its channel at once', async () => {
    const store = new MemoryPlacementStore();
    const a = await node(store, 0);
    const b = await node(store, 9);
    assert.equal(await code(a.cluster.place('app', 'y')), 'placed');
    await a.close(); // a's heartbeat is gone too; emulate a crash instead: heartbeat back, port closed
    await store.heartbeat(
      {
        id: a.cluster.id,
        url: a.cluster.url,
        draining: false,
        cpu: 0,
        tracks: 0,
        packetsPerSecond: 0,
        channels: 0,
      },
      120_000,
    );
    assert.equal(await code(b.cluster.place('app', 'y')), 'placed', 'b took the channel over');
    await b.close();
  });

  it('a store that fails: CLUSTER_UNAVAILABLE for new channels, running ones still join', async () => {
    const store = new MemoryPlacementStore();
    const a = await node(store);
    const broken = store as unknown as { nodes: () => Promise<never> };
    broken.nodes = () => Promise.reject(new Error('ECONNREFUSED'));
    assert.deepEqual(await code(a.cluster.place('app', 'new')), { code: ErrorCode.CLUSTER_UNAVAILABLE });
    a.registry.open('app', 'running');
    assert.equal(await code(a.cluster.place('app', 'running')), 'placed');
    await a.close();
  });
});
