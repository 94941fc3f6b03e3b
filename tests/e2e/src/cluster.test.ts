import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@patchbay/protocol';
import { createServer, ServerError } from '@patchbay/server';
import { freePort, NodeProcess, rawJoin, RedisProcess, spawnServe, Talker } from './clusterSupport.js';
import { sleep, TEST_IP } from './support.js';

const TIMEOUT = { timeout: 90_000 };

describe('cluster: three nodes placing channels through one Redis', TIMEOUT, () => {
  let redis: RedisProcess;
  let nodes: NodeProcess[] = [];
  const talkers: Talker[] = [];

  before(async () => {
    redis = await RedisProcess.start();
    nodes = await Promise.all([0, 1, 2].map(() => NodeProcess.start(redis.url)));
  });
  after(async () => {
    for (const t of talkers) await t.leave();
    await Promise.all(nodes.map((n) => n.kill('SIGINT')));
    await redis.kill();
  });

  it('every node sends joins for one channel to the same owner; new channels spread', async () => {
    const first = await rawJoin(nodes[0].url, 'placed', 'u0');
    assert.equal(first.reply.type, 'result', JSON.stringify(first.reply));
    const owner = first.url;
    assert.ok(
      nodes.some((n) => n.url === owner),
      `the owner ${owner} is one of the nodes`,
    );
    const held = [first.peer];
    try {
      for (const [i, node] of nodes.entries()) {
        const again = await rawJoin(node.url, 'placed', `u${i + 1}`);
        held.push(again.peer);
        assert.equal(again.reply.type, 'result', JSON.stringify(again.reply));
        assert.equal(again.url, owner, `node ${i} sends the join to the owner`);
        assert.equal(again.redirected, node.url === owner ? null : owner, 'REDIRECT carries the owner URL');
      }
      // Six more channels, all entered through node 0: least-loaded placement spreads them.
      const owners = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const j = await rawJoin(nodes[0].url, `spread-${i}`, 'u');
        held.push(j.peer);
        assert.equal(j.reply.type, 'result');
        owners.add(j.url);
      }
      assert.ok(owners.size >= 2, `6 channels went to ${owners.size} node(s)`);
    } finally {
      for (const p of held) p.close();
    }
  });

  it('clients joining one channel through different nodes hear each other', async () => {
    const a = new Talker(440);
    const b = new Talker(660);
    talkers.push(a, b);
    await a.join(nodes[1].url, 'talk', 'alice');
    await b.join(nodes[2].url, 'talk', 'bob');
    await a.waitToHear(660, 15000);
    await b.waitToHear(440, 15000);
    await a.leave();
    await b.leave();
  });

  it('the owner drains (admin call): its channel moves, and no new channel goes to it', async () => {
    const first = await rawJoin(nodes[0].url, 'drained', 'd1');
    const owner = nodes.find((n) => n.url === first.url)!;
    const others = nodes.filter((n) => n !== owner);
    assert.equal((await owner.drain('wrong-token-0123456789')).status, 401, 'a wrong admin token is refused');
    const drained = await owner.drain();
    assert.equal(drained.status, 200, JSON.stringify(drained.body));
    assert.equal(drained.body.participants, 1);
    const bye = await first.peer.waitMsg((m) => m.type === 'bye');
    assert.equal(bye.reason, 'ServerShutdown', 'the participant is told to reconnect');
    assert.equal((await owner.health()).cluster.draining, true);
    owner.drained = true;
    // Coming back through the drained node: redirected to another node, which now owns the channel.
    const back = await rawJoin(owner.url, 'drained', 'd1');
    assert.equal(back.reply.type, 'result', JSON.stringify(back.reply));
    assert.ok(
      others.some((n) => n.url === back.url),
      'the channel moved to another node',
    );
    for (let i = 0; i < 4; i++) {
      const j = await rawJoin(others[i % 2].url, `after-drain-${i}`, 'u');
      assert.notEqual(j.url, owner.url, 'no new channel is placed on a draining node');
      j.peer.close();
    }
    back.peer.close();
  });

  it('SIGTERM drains the owner before it exits: its participants are told, the channel moves', async () => {
    const first = await rawJoin(nodes.find((n) => !n.drained)!.url, 'terminated', 't1');
    const owner = nodes.find((n) => n.url === first.url)!;
    assert.ok(!(await owner.health()).cluster.draining, 'the owner is not the node drained before');
    await owner.kill('SIGTERM');
    assert.deepEqual(await owner.exited, { code: 0, signal: null }, owner.stderr);
    const bye = await first.peer.waitMsg((m) => m.type === 'bye');
    assert.equal(bye.reason, 'ServerShutdown');
    nodes = nodes.filter((n) => n !== owner);
    const back = await rawJoin(nodes[0].url, 'terminated', 't1');
    assert.equal(back.reply.type, 'result', JSON.stringify(back.reply));
    assert.ok(
      nodes.some((n) => n.url === back.url),
      'the channel lives on a running node',
    );
    back.peer.close();
  });

  it('a killed owner: its channels go to a live node once its heartbeat expires', async (t) => {
    nodes.push(await NodeProcess.start(redis.url)); // a node joining the running cluster
    const live = nodes.filter((n) => !n.drained);
    assert.equal(live.length, 2);
    const first = await rawJoin(live[0].url, 'killed', 'k1');
    const owner = live.find((n) => n.url === first.url)!;
    const survivor = live.find((n) => n !== owner)!;
    await owner.kill('SIGKILL');
    const killedAt = Date.now();
    await first.peer.closed;
    nodes = nodes.filter((n) => n !== owner);
    // Rejoin through the survivor until the channel is placed on a live node (a redirect to the dead
    // owner fails to connect while its heartbeat has not expired yet).
    let placedAt = 0;
    while (Date.now() - killedAt < 10000) {
      const again = await rawJoin(survivor.url, 'killed', 'k1').catch(() => null);
      if (again?.reply.type === 'result') {
        placedAt = Date.now();
        assert.equal(again.url, survivor.url);
        again.peer.close();
        break;
      }
      again?.peer.close();
      await sleep(100);
    }
    assert.ok(placedAt > 0, 'the channel was placed again');
    const ms = placedAt - killedAt;
    t.diagnostic(`failover: channel reassigned ${ms} ms after its owner was killed (node TTL 2000 ms)`);
    assert.ok(ms < 3500, `reassigned after ${ms} ms`);
  });
});

describe('cluster: Redis at start and while running', TIMEOUT, () => {
  it('Redis unreachable at start: createServer rejects with CLUSTER_UNAVAILABLE; serve exits 1 saying so', async () => {
    const port = await freePort();
    await assert.rejects(
      createServer({
        port: 0,
        rtcPort: 0,
        rtcBind: TEST_IP,
        logLevel: 'silent',
        redis: `redis://127.0.0.1:${port}`,
      }),
      (error: unknown) => error instanceof ServerError && error.code === ErrorCode.CLUSTER_UNAVAILABLE,
    );
    const { child, stderr } = spawnServe(['--redis', `redis://:secret@127.0.0.1:${port}`]);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, stderr());
    const lines = stderr()
      .split('\n')
      .filter((l) => l.startsWith('patchbay: '));
    assert.equal(lines.length, 1, stderr());
    assert.match(lines[0], new RegExp(`cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(stderr(), /secret/, 'the password is not printed');
  });

  it('Redis lost: running channels go on, new ones get CLUSTER_UNAVAILABLE until it returns', async () => {
    const redis = await RedisProcess.start();
    const nodes = await Promise.all([0, 1].map(() => NodeProcess.start(redis.url)));
    const a = new Talker(440);
    const b = new Talker(880);
    try {
      await a.join(nodes[0].url, 'steady', 'alice');
      await b.join(nodes[1].url, 'steady', 'bob');
      await a.waitToHear(880, 15000);
      await redis.kill();
      const lostAt = Date.now();
      await sleep(1500);
      // Still talking, a second and a half without Redis.
      assert.ok(Math.abs(a.heardFrequency(500) - 880) < 9, `alice hears ${a.heardFrequency(500)} Hz`);
      assert.ok(Math.abs(b.heardFrequency(500) - 440) < 5, `bob hears ${b.heardFrequency(500)} Hz`);
      assert.ok(b.lastHeardBefore(Date.now()) > lostAt + 1000, 'no gap');
      for (const node of nodes) {
        const fresh = await rawJoin(node.url, 'fresh', 'u');
        assert.equal(fresh.reply.code, ErrorCode.CLUSTER_UNAVAILABLE, JSON.stringify(fresh.reply));
        assert.match(String(fresh.reply.message), /Redis/);
        fresh.peer.close();
      }
      await redis.restart();
      // Within a few heartbeats: new channels are placed again, and the running channel's owner is
      // back in the map (its heartbeat re-claims it), so joins through any node reach it.
      let fresh = await rawJoin(nodes[0].url, 'fresh', 'u');
      const until = Date.now() + 10000;
      while (fresh.reply.type !== 'result' && Date.now() < until) {
        fresh.peer.close();
        await sleep(250);
        fresh = await rawJoin(nodes[0].url, 'fresh', 'u');
      }
      assert.equal(fresh.reply.type, 'result', JSON.stringify(fresh.reply));
      fresh.peer.close();
      for (const [i, node] of nodes.entries()) {
        const late = await rawJoin(node.url, 'steady', `late-${i}`);
        assert.equal(late.reply.type, 'result', JSON.stringify(late.reply));
        assert.equal(late.url, a.url, 'the running channel is still placed on its node');
        late.peer.close();
      }
    } finally {
      await a.leave();
      await b.leave();
      await Promise.all(nodes.map((n) => n.kill('SIGINT')));
      await redis.kill();
    }
  });
});
