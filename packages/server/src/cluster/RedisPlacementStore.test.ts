import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { NodeInfo } from './PlacementStore.js';
import { RedisPlacementStore } from './RedisPlacementStore.js';

function node(id: string, draining = false): NodeInfo {
  return { id, url: `ws://${id}`, draining, cpu: 0.5, tracks: 3, packetsPerSecond: 100, channels: 0 };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The claim script and key layout against a real redis-server (started here on a free port). */
describe('RedisPlacementStore (the placement contract on Redis)', () => {
  let redis: ReturnType<typeof spawn>;
  let store: RedisPlacementStore;
  before(async () => {
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      redis.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      redis.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
    });
    store = await RedisPlacementStore.connect(
      { url: `redis://127.0.0.1:${port}`, keyPrefix: 'test:', commandTimeoutMs: 1000 },
      pino({ level: 'silent' }),
    );
  });
  after(async () => {
    await store?.close();
    redis?.kill('SIGKILL');
  });

  it('heartbeats round-trip; the first claim wins and is counted on the owner', async () => {
    await store.heartbeat(node('a'), 5000);
    await store.heartbeat(node('b'), 5000);
    const nodes = (await store.nodes()).sort((x, y) => x.id.localeCompare(y.id));
    assert.deepEqual(nodes, [node('a'), node('b')]);
    assert.deepEqual(await store.claim('app/ch', 'a'), { id: 'a', url: 'ws://a' });
    assert.deepEqual(await store.claim('app/ch', 'b'), { id: 'a', url: 'ws://a' });
    assert.equal((await store.nodes()).find((n) => n.id === 'a')?.channels, 1);
  });

  it('an unreachable or expired owner loses the channel; a draining candidate is refused', async () => {
    assert.deepEqual(
      await store.claim('app/ch', 'b', 'a'),
      { id: 'b', url: 'ws://b' },
      'a named unreachable',
    );
    await store.heartbeat(node('short'), 200);
    await store.claim('app/short', 'short');
    await sleep(300);
    assert.ok(!(await store.nodes()).some((n) => n.id === 'short'), 'expired and pruned');
    assert.equal((await store.claim('app/short', 'b'))?.id, 'b', 'reassigned after the TTL');
    await store.heartbeat(node('d', true), 5000);
    assert.equal(await store.claim('app/new', 'd'), null);
  });

  it('release only by the owner; leave removes a node at once', async () => {
    await store.release('app/ch', 'a');
    assert.equal((await store.claim('app/ch', 'a'))?.id, 'b', 'a is not the owner');
    await store.release('app/ch', 'b');
    assert.equal((await store.claim('app/ch', 'a'))?.id, 'a');
    await store.leave('a');
    assert.equal((await store.claim('app/ch', 'b'))?.id, 'b', 'a left: its channel goes');
  });
});
