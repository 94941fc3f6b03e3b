import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, generateTone, type NodeClient } from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { WebSocket } from 'ws';
import { sleep, startServer, waitFor } from './support.js';

async function scrape(server: PatchbayServer): Promise<Map<string, number>> {
  const res = await fetch(`${server.httpUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

function value(m: Map<string, number>, key: string): number {
  const v = m.get(key);
  assert.ok(v !== undefined, `${key} is exported`);
  return v;
}

describe('Prometheus /metrics', () => {
  let server: PatchbayServer;
  let other: PatchbayServer;
  const clients: NodeClient[] = [];
  before(async () => {
    server = await startServer();
    other = await startServer(); // a second server in the same process: its own registry
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    await server.close();
    await other.close();
  });

  it('counts channels, participants, tracks, packets, bytes, delay and rejections after real traffic', async () => {
    const idle = await scrape(server);
    assert.equal(value(idle, 'patchbay_channels'), 0);
    assert.equal(value(idle, 'patchbay_rtp_packets_in_total'), 0);
    assert.ok(value(idle, 'nodejs_eventloop_lag_seconds') >= 0);
    assert.ok(value(idle, 'process_cpu_user_seconds_total') > 0);
    assert.ok(value(idle, 'process_resident_memory_bytes') > 0);

    const listener = createClient({ server: server.url });
    clients.push(listener);
    let frames = 0;
    listener.on('user-published', (user) => {
      void listener.subscribe(user, 'audio').then((track) => track.onAudioFrame(() => frames++));
    });
    await listener.join('test-app', 'm', null, 'listener');
    const publisher = createClient({ server: server.url });
    clients.push(publisher);
    publisher.setExternalAudioSource(true, 48000, 1);
    await publisher.join('test-app', 'm', null, 'publisher');
    const tone = generateTone(440, 48000, 1, 0.1, 0.5);
    const t0 = Date.now();
    while (Date.now() - t0 < 2500) await publisher.pushExternalAudioFrame(tone);
    await waitFor(() => frames > 100, 5000, 'the listener hears');

    // A bad frame is rejected with a code.
    const ws = new WebSocket(server.url);
    await new Promise((resolve) => ws.once('open', resolve));
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('not json');
    const code = (JSON.parse(await reply) as { code: string }).code;
    ws.close();

    await sleep(200);
    const busy = await scrape(server);
    assert.equal(value(busy, 'patchbay_channels'), 1);
    assert.equal(value(busy, 'patchbay_participants'), 2);
    assert.equal(value(busy, 'patchbay_publishers'), 1);
    assert.equal(value(busy, 'patchbay_tracks'), 2); // one published, one subscribed
    const packetsIn = value(busy, 'patchbay_rtp_packets_in_total');
    const packetsOut = value(busy, 'patchbay_rtp_packets_out_total');
    assert.ok(packetsIn > 100, `packets in ${packetsIn}`);
    assert.ok(packetsOut > 80 && packetsOut <= packetsIn, `packets out ${packetsOut} of ${packetsIn}`);
    assert.ok(value(busy, 'patchbay_rtp_bytes_in_total') > packetsIn * 20);
    assert.ok(value(busy, 'patchbay_rtp_bytes_out_total') > packetsOut * 20);
    // Sends fail only while the subscriber connection is still coming up (not connected yet).
    const failures = value(busy, 'patchbay_forwarding_send_failures_total');
    assert.ok(failures < packetsOut * 0.1, `send failures ${failures}`);
    const samples = value(busy, 'patchbay_forwarding_delay_seconds_count');
    assert.ok(samples >= Math.floor(packetsOut / 50) - 1 && samples > 0, `delay samples ${samples}`);
    const sum = value(busy, 'patchbay_forwarding_delay_seconds_sum');
    assert.ok(sum / samples < 0.005, `mean SFU-added delay ${((sum / samples) * 1e6).toFixed(0)} us`);
    assert.equal(value(busy, `patchbay_rejected_requests_total{code="${code}"}`), 1);
    console.log(
      `# in ${packetsIn} out ${packetsOut} failures ${failures} delay samples ${samples} mean ${((sum / samples) * 1e6).toFixed(1)} us`,
    );

    // The other server's registry saw none of it.
    const quiet = await scrape(other);
    assert.equal(value(quiet, 'patchbay_rtp_packets_in_total'), 0);
    assert.equal(value(quiet, 'patchbay_channels'), 0);

    // Counters are monotonic: leaving keeps them, gauges fall back.
    for (const c of clients.splice(0)) await c.leave();
    await sleep(200);
    const after = await scrape(server);
    assert.equal(value(after, 'patchbay_channels'), 0);
    assert.equal(value(after, 'patchbay_tracks'), 0);
    assert.ok(value(after, 'patchbay_rtp_packets_in_total') >= packetsIn);
  });
});
