import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Uid } from '@patchbay/protocol';
import { createClient, generateTone, type NodeClient } from '@patchbay/node';
import type { ChannelView, PatchbayServer } from '@patchbay/server';
import { sleep, startServer, waitFor } from './support.js';

const CHANNEL = 'levels';
const TONE = generateTone(440, 48000, 1, 0.1, 0.5); // 100 ms at -6 dBFS peak
const SILENCE = new Int16Array(4800);

/** A publisher that pushes, paced by the SDK's back-pressure, a tone while `loud` and silence otherwise. */
async function publisher(server: PatchbayServer, uid: string) {
  const client = createClient({ server: server.url });
  client.setExternalAudioSource(true, 48000, 1);
  await client.join('test-app', CHANNEL, null, uid);
  const state = { loud: false, running: true };
  const pump = (async () => {
    while (state.running) await client.pushExternalAudioFrame(state.loud ? TONE : SILENCE);
  })();
  return { client, state, pump };
}

function level(view: ChannelView | null, uid: string): number {
  const p = view?.participants.find((x) => x.uid === uid);
  assert.ok(p, `${uid} is in the channel view`);
  return p.level;
}

async function fetchView(server: PatchbayServer): Promise<ChannelView> {
  const res = await fetch(`${server.httpUrl}/api/channels/test-app/${CHANNEL}`);
  assert.equal(res.status, 200);
  return (await res.json()) as ChannelView;
}

describe('server audio levels and active speaker (RFC 6464 header extension)', () => {
  let server: PatchbayServer;
  const clients: NodeClient[] = [];
  const pumps: { state: { running: boolean } }[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const p of pumps) p.state.running = false;
    for (const c of clients) await c.leave().catch(() => undefined);
    await server.close();
  });

  it('reads levels without decoding, and active-speaker follows who speaks', async () => {
    const watcher = createClient({ server: server.url });
    clients.push(watcher);
    const speakers: (Uid | null)[] = [];
    watcher.on('active-speaker', (uid) => speakers.push(uid));
    await watcher.join('test-app', CHANNEL, null, 'watcher');
    const a = await publisher(server, 'a');
    const b = await publisher(server, 'b');
    clients.push(a.client, b.client);
    pumps.push(a, b);
    const aSeen: (Uid | null)[] = [];
    a.client.on('active-speaker', (uid) => aSeen.push(uid));

    // Both silent: levels near 0, nobody announced.
    await waitFor(
      () =>
        (server.channelView('test-app', CHANNEL)?.participants.find((p) => p.uid === 'b')?.packetsIn ?? 0) >
        50,
      8000,
      'b sends',
    );
    await sleep(1000);
    let view = await fetchView(server);
    assert.ok(level(view, 'a') < 10, `silent a: level ${level(view, 'a')}`);
    assert.ok(level(view, 'b') < 10, `silent b: level ${level(view, 'b')}`);
    assert.deepEqual(speakers, []);

    const rounds: [string, { state: { loud: boolean } }, { state: { loud: boolean } }][] = [
      ['a', a, b],
      ['b', b, a],
      ['a', a, b],
    ];
    for (const [uid, on, off] of rounds) {
      off.state.loud = false;
      on.state.loud = true;
      const t0 = Date.now();
      await waitFor(() => speakers.at(-1) === uid, 4000, `active speaker ${uid}`);
      const switchMs = Date.now() - t0;
      await sleep(600);
      view = await fetchView(server);
      assert.equal(view.activeSpeaker, uid);
      const quiet = uid === 'a' ? 'b' : 'a';
      assert.ok(level(view, uid) > 60, `loud ${uid}: level ${level(view, uid)}`);
      assert.ok(level(view, quiet) < 10, `silent ${quiet}: level ${level(view, quiet)}`);
      assert.ok(switchMs < 3000, `switched in ${switchMs} ms`);
      console.log(
        `# active speaker -> ${uid} after ${switchMs} ms; levels a=${level(view, 'a')} b=${level(view, 'b')}`,
      );
    }
    a.state.loud = false;
    await waitFor(() => speakers.at(-1) === null, 4000, 'nobody speaking');
    assert.deepEqual(speakers, ['a', 'b', 'a', null]);
    // The speaker gets the notification too (its own uid).
    assert.deepEqual(aSeen, ['a', 'b', 'a', null]);
    const missing = await fetch(`${server.httpUrl}/api/channels/test-app/nobody`);
    assert.equal(missing.status, 404);
  });
});
