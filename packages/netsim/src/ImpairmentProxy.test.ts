import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { ImpairmentProxy } from './ImpairmentProxy.js';

const HOST = '127.0.0.1';

function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, HOST, () => resolve(s)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An echo "server" that records which source addresses it saw and the sequence numbers it got. */
async function echoServer() {
  const socket = await bound();
  const sources = new Set<string>();
  const received: number[] = [];
  socket.on('message', (buf, from) => {
    sources.add(`${from.address}:${from.port}`);
    received.push(buf.readUInt32BE(0));
    socket.send(buf, from.port, from.address);
  });
  return { socket, sources, received };
}

/** Sends `n` numbered datagrams every `gapMs` from `client` to the proxy; collects the echoes. */
async function exchange(client: Socket, proxy: ImpairmentProxy, n: number, gapMs = 0): Promise<number[]> {
  const echoed: number[] = [];
  const onMessage = (buf: Buffer) => echoed.push(buf.readUInt32BE(0));
  client.on('message', onMessage);
  for (let i = 0; i < n; i++) {
    const buf = Buffer.alloc(32);
    buf.writeUInt32BE(i, 0);
    client.send(buf, proxy.port, proxy.host);
    if (gapMs > 0) await sleep(gapMs);
    else if (i % 10 === 9) await sleep(1);
  }
  await sleep(150);
  client.off('message', onMessage);
  return echoed;
}

describe('ImpairmentProxy', () => {
  let server: Awaited<ReturnType<typeof echoServer>>;
  const closers: Array<() => unknown> = [];
  before(async () => {
    server = await echoServer();
  });
  after(async () => {
    for (const c of closers) await c();
    server.socket.close();
  });

  async function setup(options: Partial<Parameters<typeof ImpairmentProxy.start>[0]> = {}) {
    const proxy = await ImpairmentProxy.start({ host: HOST, ...options });
    proxy.setTarget(HOST, server.socket.address().port);
    const client = await bound();
    closers.push(
      () => proxy.close(),
      () => client.close(),
    );
    server.received.length = 0;
    return { proxy, client };
  }

  it('relays both ways unimpaired, one upstream address per client', async () => {
    const { proxy } = await setup();
    server.sources.clear();
    const a = await bound();
    const b = await bound();
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    const [ea, eb] = await Promise.all([exchange(a, proxy, 100), exchange(b, proxy, 100)]);
    assert.equal(ea.length, 100);
    assert.equal(eb.length, 100);
    assert.equal(proxy.flows, 2);
    assert.equal(server.sources.size, 2, 'the server sees two distinct source addresses');
    assert.deepEqual(proxy.counters.up, { forwarded: 200, lost: 0, linkDownDropped: 0, reordered: 0 });
    assert.equal(proxy.counters.down.forwarded, 200);
  });

  it('drops the configured share upstream, counts it, and repeats the pattern for the same seed', async () => {
    const patterns: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const { proxy, client } = await setup({ seed: 42, up: { loss: { kind: 'bernoulli', rate: 0.2 } } });
      const echoed = await exchange(client, proxy, 1000);
      const { lost, forwarded } = proxy.counters.up;
      assert.equal(lost + forwarded, 1000);
      assert.ok(Math.abs(lost / 1000 - 0.2) < 0.04, `lost ${lost} of 1000`);
      assert.equal(proxy.counters.down.lost, 0, 'downstream is not impaired');
      assert.equal(echoed.length, forwarded);
      patterns.push(echoed);
    }
    assert.deepEqual(patterns[0], patterns[1], 'same seed, same survivors');
  });

  it('delays by delay + jitter, keeps order under jitter, and reorders only when asked', async () => {
    const { proxy, client } = await setup({ up: { delayMs: 30, jitterMs: 30 } });
    const t0 = performance.now();
    let firstAt = 0;
    client.once('message', () => (firstAt = performance.now()));
    const echoed = await exchange(client, proxy, 50, 2);
    assert.ok(firstAt - t0 >= 29, `first echo after ${(firstAt - t0).toFixed(1)} ms`);
    assert.deepEqual(
      echoed,
      [...echoed].sort((x, y) => x - y),
      'jitter alone keeps order',
    );
    proxy.setImpairment('up', { delayMs: 0, jitterMs: 0, reorderRate: 0.2, reorderDelayMs: 20 });
    const reordered = await exchange(client, proxy, 200, 1);
    assert.equal(reordered.length, 200, 'nothing lost');
    const outOfOrder = reordered.filter((v, i) => i > 0 && v < reordered[i - 1]).length;
    assert.ok(proxy.counters.up.reordered > 20, `held back ${proxy.counters.up.reordered}`);
    assert.ok(outOfOrder > 10, `${outOfOrder} arrived after a later one`);
  });

  it('takes the link down both ways for a while, and on command', async () => {
    const { proxy, client } = await setup();
    proxy.linkDown(300);
    assert.equal(proxy.linkUp, false);
    assert.equal((await exchange(client, proxy, 20)).length, 0);
    assert.equal(proxy.counters.up.linkDownDropped, 20);
    await sleep(200);
    assert.equal(proxy.linkUp, true, 'back up by itself');
    assert.equal((await exchange(client, proxy, 20)).length, 20);
    // Down while an echo is delayed on its way back: it is dropped too.
    proxy.setImpairment('down', { delayMs: 100 });
    const late = exchange(client, proxy, 1);
    await sleep(50);
    proxy.setLinkUp(false);
    assert.equal((await late).length, 0);
    assert.equal(proxy.counters.down.linkDownDropped, 1);
    proxy.setLinkUp(true);
    proxy.setImpairment('down', { delayMs: 0 });
    assert.equal((await exchange(client, proxy, 5)).length, 5);
  });

  it('rejects impossible impairments', async () => {
    const { proxy } = await setup();
    assert.throws(() => proxy.setImpairment('up', { reorderRate: 2 }), RangeError);
    assert.throws(() => proxy.setImpairment('down', { jitterMs: -1 }), RangeError);
    assert.throws(() => proxy.setImpairment('both', { loss: { kind: 'bernoulli', rate: -0.1 } }), RangeError);
  });
});
