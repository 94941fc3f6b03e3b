import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@patchbay/node';
import { buildToken, createServer, type PatchbayServer } from '@patchbay/server';
import { startHonestChannel } from './fuzzHonest.js';
import { runFuzzWorker } from './fuzzSupport.js';
import { TEST_IP } from './support.js';

const APP = 'fuzz-app';
const CERT = 'fuzz-certificate-0123456789abcdef';
/** Messages per CI run (the long run is scripts/fuzz-signaling.mjs). */
const MESSAGES = Number(process.env.PATCHBAY_FUZZ_MESSAGES) || 100_000;

describe('signaling fuzz smoke', () => {
  let server: PatchbayServer;
  before(async () => {
    server = await createServer({
      host: '127.0.0.1',
      port: 0,
      rtcPort: 0,
      rtcBind: TEST_IP,
      logLevel: 'error',
      apps: { [APP]: CERT },
      // The limits have their own tests; here every frame should reach the parsers and handlers.
      maxMessagesPerSecond: 1e9,
      messageBurst: 1e9,
      maxJoinsPerSecondPerIp: 1e9,
      joinBurstPerIp: 1e9,
    });
  });
  after(() => server.close());

  it(`${MESSAGES} random and mutated frames: no crash, no leak into another channel, honest audio keeps flowing`, async () => {
    const token = (channel: string, uid: string | null) =>
      buildToken({ appId: APP, appCertificate: CERT, channel, uid, expireSeconds: 3600 });
    const honest = await startHonestChannel(
      server.url,
      'honest',
      440,
      {
        publisher: await token('honest', 'honest-publisher'),
        listener: await token('honest', 'honest-listener'),
      },
      APP,
    );
    const tokens = await Promise.all([0, 1, 2, 3].map((i) => token(`fz-${i}`, null)));
    const result = await runFuzzWorker({
      kind: 'signaling',
      url: server.url,
      messages: MESSAGES,
      connections: 8,
      // A steady 8k frames/s: the server shares this process with the honest clients, and a
      // saturated event loop would starve their send clock (a test artifact, not a server fault).
      rate: 8000,
      seed: Number(process.env.PATCHBAY_FUZZ_SEED) || 20261122,
      appId: APP,
      tokens,
      honestUids: honest.uids,
    });
    const heard = await honest.stop();
    console.log(
      `signaling fuzz: ${JSON.stringify(result)}; honest: ${JSON.stringify(heard)}; replies by code: ${JSON.stringify(server.stats().counters)}`,
    );
    assert.ok(result.sent >= MESSAGES, `sent ${result.sent}`);
    assert.ok(result.replies > MESSAGES * 0.5, `the server answered (${result.replies} replies)`);
    assert.ok(Math.abs(heard.frequency - 440) / 440 < 0.01, `pitch ${heard.frequency.toFixed(1)} Hz`);
    assert.ok(heard.audibleMs >= heard.pushedMs * 0.85, `heard ${heard.audibleMs} of ${heard.pushedMs} ms`);
    assert.ok(heard.longestGapMs <= 500, `longest gap ${heard.longestGapMs} ms`);
    // Nobody reached the honest channel: it had exactly its two members.
    assert.equal(server.stats().counters.INTERNAL_ERROR ?? 0, 0, 'no request crashed a handler');
    // And the server still serves a normal client.
    const client = createClient({ server: server.url });
    await client.join(APP, 'fz-after', await token('fz-after', 'after'), 'after');
    assert.equal(client.connectionState, 'CONNECTED');
    await client.leave();
  });
});
