#!/usr/bin/env node
// Long media fuzz run (CI runs a 100k-datagram smoke: tests/e2e/src/fuzz-media.test.ts).
//
//   npm run build && scripts/netns-run.sh node scripts/fuzz-media.mjs [--datagrams 5000000] [--rate 20000] [--seed N]
//
// Starts a server and an honest channel (a publisher pushing 660 Hz, a listener recording it),
// then sends malformed RTP, RTCP, STUN (with the live connections' ICE usernames and wrong
// integrity) and DTLS-looking datagrams to the server's UDP media port from a worker thread, in
// rounds of 200k. After each round it checks that the listener heard the tone at its pitch with
// no gap over 500 ms. Exits 1 on the first failed round; a native crash ends the process.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    datagrams: { type: 'string', default: '2000000' },
    rate: { type: 'string', default: '20000' },
    seed: { type: 'string', default: String(Date.now() % 1e9) },
  },
});
const total = Number(values.datagrams);
const seed = Number(values.seed);
const root = new URL('..', import.meta.url);
const { createServer } = await import(new URL('packages/server/dist/index.js', root).href);
const { runFuzzWorker } = await import(new URL('tests/e2e/dist/fuzzSupport.js', root).href);
const { startHonestChannel } = await import(new URL('tests/e2e/dist/fuzzHonest.js', root).href);

const ip = process.env.PATCHBAY_TEST_IP || '127.0.0.1';
const server = await createServer({ host: '127.0.0.1', port: 0, rtcPort: 0, rtcBind: ip, logLevel: 'error' });
let sent = 0;
let failed = false;
for (let round = 0; sent < total && !failed; round++) {
  const roundSeed = seed + round * 1000;
  const honest = await startHonestChannel(server.url, 'honest', 660);
  const result = await runFuzzWorker({
    kind: 'media',
    host: ip,
    port: server.rtcPort,
    datagrams: Math.min(200_000, total - sent),
    rate: Number(values.rate),
    seed: roundSeed,
    usernames: honest.stunUsernames,
    ssrcs: honest.ssrcs,
  });
  const heard = await honest.stop();
  sent += result.sent;
  const ok =
    Math.abs(heard.frequency - 660) / 660 < 0.01 &&
    heard.longestGapMs <= 500 &&
    heard.audibleMs >= heard.pushedMs * 0.85;
  console.log(
    `round ${round} seed ${roundSeed}: ${result.sent} datagrams in ${result.ms} ms, ${sent}/${total} total; ` +
      `honest ${heard.frequency.toFixed(1)} Hz, heard ${heard.audibleMs}/${heard.pushedMs} ms, longest gap ${heard.longestGapMs} ms ${ok ? 'ok' : 'FAILED'}`,
  );
  failed = !ok;
}
await server.close();
process.exit(failed ? 1 : 0);
