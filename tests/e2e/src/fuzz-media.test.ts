import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@patchbay/node';
import { createServer, type PatchbayServer } from '@patchbay/server';
import { startHonestChannel } from './fuzzHonest.js';
import { runFuzzWorker } from './fuzzSupport.js';
import { TEST_IP } from './support.js';

/** Datagrams per CI run (the long run is scripts/fuzz-media.mjs). */
const DATAGRAMS = Number(process.env.PATCHBAY_FUZZ_DATAGRAMS) || 100_000;

describe('media fuzz smoke', () => {
  let server: PatchbayServer;
  before(async () => {
    server = await createServer({
      host: '127.0.0.1',
      port: 0,
      rtcPort: 0,
      rtcBind: TEST_IP,
      logLevel: 'error',
    });
  });
  after(() => server.close());

  it(`${DATAGRAMS} malformed RTP/RTCP/STUN/DTLS datagrams to the media port: no crash, honest audio keeps flowing`, async () => {
    const honest = await startHonestChannel(server.url, 'honest', 660);
    assert.ok(honest.stunUsernames.length >= 1, 'the fuzzer knows the live ICE usernames');
    const result = await runFuzzWorker({
      kind: 'media',
      host: TEST_IP,
      port: server.rtcPort,
      datagrams: DATAGRAMS,
      rate: 20_000,
      seed: Number(process.env.PATCHBAY_FUZZ_SEED) || 20261122,
      usernames: honest.stunUsernames,
      ssrcs: honest.ssrcs,
    });
    const heard = await honest.stop();
    console.log(`media fuzz: ${JSON.stringify(result)}; honest: ${JSON.stringify(heard)}`);
    assert.equal(result.sent, DATAGRAMS);
    assert.ok(Math.abs(heard.frequency - 660) / 660 < 0.01, `pitch ${heard.frequency.toFixed(1)} Hz`);
    assert.ok(heard.audibleMs >= heard.pushedMs * 0.85, `heard ${heard.audibleMs} of ${heard.pushedMs} ms`);
    assert.ok(heard.longestGapMs <= 500, `longest gap ${heard.longestGapMs} ms`);
    // The media port still takes new connections.
    const pub = createClient({ server: server.url });
    pub.setExternalAudioSource(true, 48000, 1);
    await pub.join('test-app', 'after', null, 'after');
    assert.equal(pub.isPublishing, true);
    await pub.leave();
  });
});
