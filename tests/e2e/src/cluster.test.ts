import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@patchbay/protocol';
import { createServer, ServerError } from '@patchbay/server';
import { NodeProcess, rawJoin, RedisProcess, spawnServe, Talker } from './clusterSupport.js';
import { freePort } from './reconnectSupport.js';
import { sleep, TEST_IP, waitFor } from './support.js';

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

  /** Two talkers in `channel`, entering through `entries` (each a URL or a list). */
  async function pair(channel: string, entryA: string | string[], entryB: string | string[]) {
    const a = new Talker(440);
    const b = new Talker(660);
    talkers.push(a, b);
    await a.join(entryA, channel, 'alice');
    await b.join(entryB, channel, 'bob');
    await a.waitToHear(660, 15000);
    await b.waitToHear(440, 15000);
    assert.equal(a.url, b.url, 'both reached the owner');
    return { a, b, owner: nodes.find((n) => n.url === a.url)! };
  }

  /** Waits until both heard a gap after `since` and then each other again; resolves with the later time. */
  async function heardAgain(a: Talker, b: Talker, since: number, timeoutMs: number): Promise<number> {
    const [ta, tb] = await Promise.all([
      a.waitForGap(since, timeoutMs).then((gap) => a.waitToHear(660, timeoutMs, gap)),
      b.waitForGap(since, timeoutMs).then((gap) => b.waitToHear(440, timeoutMs, gap)),
    ]).catch((error: Error) => {
      const heard = (x: Talker) => `${x.heardFrequency(500).toFixed(0)} Hz on ${x.url}`;
      error.message += ` (since ${since}; a hears ${heard(a)}: ${a.events.join(', ')}; b hears ${heard(b)}: ${b.events.join(', ')})`;
      throw error;
    });
    return Math.max(ta, tb);
  }

  it('clients joining one channel through different nodes hear each other', async () => {
    const { a, b, owner } = await pair('talk', nodes[1].url, nodes[2].url);
    assert.ok(owner, `the owner ${a.url} is one of the nodes`);
    await a.leave();
    await b.leave();
  });

  /** A pair that was moved at `since`: the test after it checks that both hear each other again. */
  let moved: { a: Talker; b: Talker; since: number; what: string } | null = null;

  function itHearsAgainAfterMove(name: string): void {
    it(name, async (t) => {
      assert.ok(moved, 'the move test ran');
      const { a, b, since, what } = moved;
      moved = null;
      try {
        const back = await heardAgain(a, b, since, 10000);
        t.diagnostic(`${what}: both hear each other again ${back - since} ms after it`);
      } finally {
        await a.leave();
        await b.leave();
      }
    });
  }

  it('the owner drains (admin call): its clients move to another node; it takes no new channels', async () => {
    const all = nodes.map((n) => n.url);
    const { a, b, owner } = await pair('drained', all, [...all].reverse());
    assert.equal((await owner.drain('wrong-token-0123456789')).status, 401, 'a wrong admin token is refused');
    const drainedAt = Date.now();
    const drained = await owner.drain();
    assert.equal(drained.status, 200, JSON.stringify(drained.body));
    // Everyone on the node: the pair, and memberships of earlier tests still waiting for a resume.
    assert.ok(Number(drained.body.participants) >= 2, JSON.stringify(drained.body));
    owner.drained = true;
    assert.equal((await owner.health()).cluster.draining, true);
    // The SDKs get `bye` (ServerShutdown), come back through their entry list, and are redirected.
    await waitFor(() => a.url !== owner.url && b.url !== owner.url, 10000, 'both moved');
    assert.equal(a.url, b.url, 'both on the new owner');
    const newOwner = nodes.find((n) => n.url === a.url)!;
    await waitFor(() => a.client.connectionState === 'CONNECTED' && b.client.connectionState === 'CONNECTED');
    assert.equal((await owner.health()).participants, 0, 'nobody is left on the drained node');
    moved = { a, b, since: drainedAt, what: 'drain' };
    assert.ok((await newOwner.health()).participants >= 2);
    for (let i = 0; i < 4; i++) {
      const j = await rawJoin(owner.url, `after-drain-${i}`, 'u');
      assert.equal(j.reply.type, 'result');
      assert.ok(j.redirected && j.url !== owner.url, 'a draining node places new channels elsewhere');
      j.peer.close();
    }
  });

  itHearsAgainAfterMove('after the drain both hear each other again');

  it('SIGTERM drains the owner before it exits 0; its clients move to a running node', async () => {
    const live = nodes.filter((n) => !n.drained).map((n) => n.url);
    const { a, b, owner } = await pair('terminated', live, live);
    assert.ok(!owner.drained);
    const stoppedAt = Date.now();
    await owner.kill('SIGTERM');
    assert.deepEqual(await owner.exited, { code: 0, signal: null }, owner.stderr);
    nodes = nodes.filter((n) => n !== owner);
    await waitFor(() => a.url !== owner.url && b.url !== owner.url, 10000, 'both moved');
    await waitFor(() => a.client.connectionState === 'CONNECTED' && b.client.connectionState === 'CONNECTED');
    assert.ok(nodes.some((n) => n.url === a.url) && a.url === b.url, 'both on one running node');
    const newOwner = nodes.find((n) => n.url === a.url)!;
    moved = { a, b, since: stoppedAt, what: 'SIGTERM' };
    const health = await newOwner.health();
    assert.ok(health.participants >= 2, JSON.stringify(health));
  });

  itHearsAgainAfterMove('after SIGTERM both hear each other again');

  it('a killed owner: its clients reconnect to another node and hear each other within 5 s', async (t) => {
    nodes.push(await NodeProcess.start(redis.url)); // a node joining the running cluster
    // Place the channel first, so the owner can be last in the entry lists: the SDK retries the
    // node it lost first, then its entries in order, so a dead first entry would cost a retry step.
    const probe = await rawJoin(nodes[0].url, 'killed', 'probe');
    const all = [...nodes.map((n) => n.url).filter((u) => u !== probe.url), probe.url];
    const { a, b, owner } = await pair('killed', all, all);
    probe.peer.close();
    assert.equal(owner.url, probe.url);
    await owner.kill('SIGKILL');
    const killedAt = Date.now();
    nodes = nodes.filter((n) => n !== owner);
    const back = await heardAgain(a, b, killedAt, 15000);
    const ms = back - killedAt;
    t.diagnostic(`failover: both hear each other again ${ms} ms after the owner was killed`);
    assert.ok(nodes.some((n) => n.url === a.url) && a.url === b.url, 'both on a running node');
    assert.ok(ms < 5000, `audio back after ${ms} ms`);
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
      // Still talking, a second and a half without Redis, and no reconnection happened.
      await a.waitToHear(880, 3000, lostAt + 1000);
      await b.waitToHear(440, 3000, lostAt + 1000);
      assert.ok(!a.events.some((e) => e.includes('RECONNECTING')), a.events.join(', '));
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
      await sleep(1000); // two heartbeats: every node has re-claimed its channels
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
