/**
 * Bench smoke test: the load mode of `npm run bench` at a tiny size against a real server.
 * Correctness only (packets flow, counts add up); speed is measured by the benchmarks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type DelayProbeSnapshot, type PatchbayServer } from '@patchbay/server';
import { DirectRun, LoadRun } from '../../../bench/dist/index.js';
import { sleep, startServer, TEST_IP } from './support.js';

describe('bench load mode (smoke)', { timeout: 30_000 }, () => {
  let server: PatchbayServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  it('forwards every publisher to every subscriber, and the counts add up', async () => {
    const run = new LoadRun(server.url, 'smoke');
    try {
      await run.addPublishers(2);
      await run.addSubscribers(3);
      // A publisher added after the subscribers reaches them through renegotiation.
      await run.addPublishers(1);
      await sleep(500);
      const w = await run.measure(1500, 500);
      assert.equal(w.publishers, 3);
      assert.equal(w.subscribers, 3);
      assert.equal(w.streams, 9);
      // 3 publishers × 3 subscribers × ~75 packets in 1.5 s.
      assert.ok(w.expected >= 9 * 50, `expected ${w.expected}`);
      assert.ok(w.received <= w.expected, 'never more than was sent');
      assert.ok(w.lossPct < 2, `loss ${w.lossPct} %`);
      assert.equal(w.sendFailures, 0);
      assert.ok(w.delayP50Ms >= 0 && w.delayP50Ms < 200, `delay p50 ${w.delayP50Ms}`);
      for (const sub of run.subscribers) {
        assert.equal(sub.streams.size, 3, 'one stream per publisher');
        for (const pub of run.publishers) {
          const stream = sub.streams.get(pub.index);
          assert.ok(stream, `subscriber has publisher ${pub.index}`);
          assert.ok(stream.count > 0 && stream.count <= pub.sent, 'received ≤ sent, and something');
        }
      }
      const total = run.subscribers.reduce(
        (a, s) => a + [...s.streams.values()].reduce((b, st) => b + st.count, 0),
        0,
      );
      assert.equal(total, run.recorder.received, 'per-stream counts sum to the total');
    } finally {
      run.close();
    }
  });

  it('the delay probe (server option delayProbe) reads the load publishers’ stamps', async () => {
    const probed = await createServer({
      host: '127.0.0.1',
      port: 0,
      rtcPort: 0,
      rtcBind: TEST_IP,
      logLevel: 'warn',
      delayProbe: true,
    });
    const run = new LoadRun(probed.url, 'probe');
    try {
      await run.addPublishers(2);
      await run.addSubscribers(2);
      await sleep(300);
      await fetch(`${probed.httpUrl}/debug/delay-probe?reset=1`);
      await run.measure(1000, 200);
      const s = (await (await fetch(`${probed.httpUrl}/debug/delay-probe`)).json()) as DelayProbeSnapshot;
      assert.ok(s.ingressToEgress.count >= 2 * 40, `stamped packets ${s.ingressToEgress.count}`);
      assert.equal(s.unstamped, 0);
      assert.equal(s.ingressToEgress.negative, 0, 'the SFU never sees a stamp from its future');
      assert.ok(s.ingressToEgress.maxUs < 1e6, `max ${s.ingressToEgress.maxUs} µs`);
      assert.equal(s.js.count, s.packets);
      // The default server has no probe endpoint.
      assert.equal((await fetch(`${server.httpUrl}/debug/delay-probe`)).status, 404);
    } finally {
      run.close();
      await probed.close();
    }
  });

  it('measures the direct (no SFU) floor with the same peers', async () => {
    const direct = new DirectRun();
    try {
      await direct.add(2);
      await sleep(300);
      const f = await direct.measure(1000);
      assert.ok(f.lossPct < 2, `loss ${f.lossPct} %`);
      assert.ok(Number.isFinite(f.delayP50Ms));
    } finally {
      direct.close();
    }
  });
});
