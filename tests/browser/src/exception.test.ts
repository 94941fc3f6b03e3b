import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, generateTone } from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import type { Page } from 'playwright-core';
import { type Browser, launchBrowser, openPage, startServer, waitFor, runWithSdk as run } from './support.js';

interface Exception {
  code: number;
  msg: string;
  uid: string | number;
}

const exceptions = (page: Page) => run<Exception[]>(page, 'async () => globalThis.exceptions ?? []');

describe('browser client "exception" events (Web SDK NG codes)', () => {
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

  test('2001/4001 for a silent then audible local track, 2002/4002 for a silent then audible remote user', async () => {
    const page = await openPage(browser, server);
    const speaker = createClient({ server: server.url });
    speaker.setExternalAudioSource(true, 48000, 1); // publishes silence until we push
    await speaker.join('test-app', 'web-exc', null, 'node-speaker');
    await run(
      page,
      `async (P, T) => {
      globalThis.exceptions = [];
      const client = P.createClient({ mode: 'rtc', codec: 'vp8' });
      T.state.client = client;
      client.on('exception', (e) => globalThis.exceptions.push(e));
      client.on('user-published', (user) => client.subscribe(user, 'audio'));
      await client.join('test-app', 'web-exc', null, 'page-exc');
      const tone = T.makeTone(440, { on: false });
      T.state.tone = tone;
      T.state.local = P.createCustomAudioTrack({ mediaStreamTrack: tone.track });
      await client.publish(T.state.local);
    }`,
    );
    const has = async (code: number, uid: string) =>
      (await exceptions(page)).some((e) => e.code === code && e.uid === uid);
    let seen = false;
    const poll = async (code: number, uid: string) => {
      seen = false;
      await waitFor(() => seen, 12000, `exception ${code} for ${uid}`).catch((error) => {
        throw error;
      });
    };
    const watch = (code: number, uid: string) => {
      const timer = setInterval(() => void has(code, uid).then((ok) => ok && (seen = true)), 200);
      return poll(code, uid).finally(() => clearInterval(timer));
    };
    await watch(2001, 'page-exc');
    await watch(2002, 'node-speaker');
    await run(page, 'async (P, T) => { T.state.tone.gate.gain.value = 0.5; }');
    const tone = generateTone(500, 48000, 1, 6, 0.5);
    void speaker.pushExternalAudioFrame(tone);
    await watch(4001, 'page-exc');
    await watch(4002, 'node-speaker');
    const list = await exceptions(page);
    assert.deepEqual(
      list.filter((e) => e.uid === 'page-exc' && e.code % 1000 === 1).map((e) => e.msg),
      ['AUDIO_INPUT_LEVEL_TOO_LOW', 'AUDIO_INPUT_LEVEL_TOO_LOW_RECOVER'],
    );
    assert.ok(!list.some((e) => e.code === 2003), 'the send bitrate stayed healthy');
    await page.close();
    await speaker.leave();
  });
});
