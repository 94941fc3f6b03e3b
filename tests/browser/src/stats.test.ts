import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, generateTone } from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import type { Page } from 'playwright-core';
import { type Browser, launchBrowser, openPage, sleep, startServer, runWithSdk as run } from './support.js';

describe('browser client: active-speaker, audio stats, network-quality', () => {
  let server: PatchbayServer;
  let browser: Browser;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  test('the speaking indicator follows a page and a Node publisher; stats come from getStats', async () => {
    const page = await openPage(browser, server);
    const node = createClient({ server: server.url });
    node.setExternalAudioSource(true, 48000, 1);
    await node.join('test-app', 'web-stats', null, 'node-s');
    const state = { loud: false, running: true };
    const tone = generateTone(500, 48000, 1, 0.1, 0.5);
    const silence = new Int16Array(4800);
    const pump = (async () => {
      while (state.running) await node.pushExternalAudioFrame(state.loud ? tone : silence);
    })();
    try {
      await run(
        page,
        `async (P, T) => {
        globalThis.speakers = [];
        globalThis.qualities = [];
        const client = P.createClient({ mode: 'rtc', codec: 'vp8' });
        T.state.client = client;
        client.on('active-speaker', (uid) => globalThis.speakers.push(uid));
        client.on('network-quality', (q) => globalThis.qualities.push(q));
        client.on('user-published', (user) => client.subscribe(user, 'audio'));
        await client.join('test-app', 'web-stats', null, 'page-s');
        T.state.tone = T.makeTone(440, { on: false });
        await client.publish(P.createCustomAudioTrack({ mediaStreamTrack: T.state.tone.track }));
      }`,
      );
      const speakers = () => run<(string | null)[]>(page, 'async () => globalThis.speakers');
      let last: (string | null)[] = [];
      const until = async (uid: string | null) => {
        const end = Date.now() + 6000;
        while (Date.now() < end) {
          last = await speakers();
          if (last.at(-1) === uid) return;
          await sleep(100);
        }
        assert.fail(`active speaker ${uid}: ${JSON.stringify(last)}`);
      };
      await run(page, 'async (P, T) => { T.state.tone.gate.gain.value = 0.5; }');
      await until('page-s');
      await run(page, 'async (P, T) => { T.state.tone.gate.gain.value = 0; }');
      state.loud = true;
      await until('node-s');
      state.loud = false;
      await run(page, 'async (P, T) => { T.state.tone.gate.gain.value = 0.5; }');
      await until('page-s');
      assert.deepEqual(last, ['page-s', 'node-s', 'page-s']);

      // Stats poll every second, network-quality every 2 s: let a few rounds pass.
      const qualityCount = () => run<number>(page, 'async () => globalThis.qualities.length');
      const end = Date.now() + 8000;
      while ((await qualityCount()) < 2 && Date.now() < end) await sleep(200);
      const stats = await run<{
        local: Record<string, number>;
        remote: Record<string, Record<string, number>>;
        qualities: { uplinkNetworkQuality: number; downlinkNetworkQuality: number }[];
      }>(
        page,
        `async (P, T) => ({
        local: T.state.client.getLocalAudioStats(),
        remote: T.state.client.getRemoteAudioStats(),
        qualities: globalThis.qualities,
      })`,
      );
      console.log(`# local ${JSON.stringify(stats.local)}`);
      console.log(`# remote ${JSON.stringify(stats.remote['node-s'])}`);
      assert.ok(stats.local.sendPackets > 50, `sendPackets ${stats.local.sendPackets}`);
      assert.ok(stats.local.sendBitrate > 8000, `sendBitrate ${stats.local.sendBitrate}`);
      assert.ok(stats.local.sendVolumeLevel > 5000, `sendVolumeLevel ${stats.local.sendVolumeLevel}`);
      const remote = stats.remote['node-s'];
      assert.ok(remote, 'remote stats keyed by uid');
      assert.ok(remote.receivePackets > 50, `receivePackets ${remote.receivePackets}`);
      assert.ok(remote.receiveBitrate > 8000, `receiveBitrate ${remote.receiveBitrate}`);
      assert.ok(remote.receiveDelay > 0 && remote.receiveDelay < 500, `receiveDelay ${remote.receiveDelay}`);
      assert.ok(stats.qualities.length >= 2, `network-quality events: ${stats.qualities.length}`);
      const q = stats.qualities.at(-1)!;
      assert.ok(q.uplinkNetworkQuality >= 1 && q.uplinkNetworkQuality <= 2, JSON.stringify(q));
      assert.ok(q.downlinkNetworkQuality >= 1 && q.downlinkNetworkQuality <= 2, JSON.stringify(q));
    } finally {
      state.running = false;
      await pump.catch(() => undefined);
      await run(page, 'async (P, T) => { await T.state.client.leave(); }').catch(() => undefined);
      await node.leave();
    }
  });
});
