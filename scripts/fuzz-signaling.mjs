#!/usr/bin/env node
// Long signaling fuzz run (CI runs a 100k-message smoke: tests/e2e/src/fuzz-signaling.test.ts).
//
//   npm run build && scripts/netns-run.sh node scripts/fuzz-signaling.mjs [--messages 2000000] [--seed N] [--connections 8]
//
// Starts a server with token checks on, an honest channel (a publisher pushing 440 Hz, a
// listener recording it), and sends random and mutated signaling frames from a worker thread in
// rounds of 100k. After each round it checks that the server is alive, that no handler failed
// (INTERNAL_ERROR) and that the listener heard the tone at its pitch with no gap over 500 ms.
// Exits 1 on the first failed round and prints the seed to replay it. Run it inside
// scripts/netns-run.sh (as root): libwebrtc gathers no loopback candidates.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: String(Date.now() % 1e9) },
    connections: { type: 'string', default: '8' },
  },
});
const total = Number(values.messages);
const seed = Number(values.seed);
const root = new URL('..', import.meta.url);
const { buildToken, createServer } = await import(new URL('packages/server/dist/index.js', root).href);
const { runFuzzWorker } = await import(new URL('tests/e2e/dist/fuzzSupport.js', root).href);
const { startHonestChannel } = await import(new URL('tests/e2e/dist/fuzzHonest.js', root).href);

const APP = 'fuzz-app';
const CERT = 'fuzz-certificate-0123456789abcdef';
const ip = process.env.PATCHBAY_TEST_IP || '127.0.0.1';
const server = await createServer({
  host: '127.0.0.1',
  port: 0,
  rtcPort: 0,
  rtcBind: ip,
  logLevel: 'error',
  apps: { [APP]: CERT },
  maxMessagesPerSecond: 1e9,
  messageBurst: 1e9,
  maxJoinsPerSecondPerIp: 1e9,
  joinBurstPerIp: 1e9,
});
const token = (channel, uid) =>
  buildToken({ appId: APP, appCertificate: CERT, channel, uid, expireSeconds: 86400 });
const tokens = await Promise.all([0, 1, 2, 3].map((i) => token(`fz-${i}`, null)));
let sent = 0;
let failed = false;
for (let round = 0; sent < total && !failed; round++) {
  const roundSeed = seed + round * 1000;
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
  const result = await runFuzzWorker({
    kind: 'signaling',
    url: server.url,
    messages: Math.min(100_000, total - sent),
    connections: Number(values.connections),
    seed: roundSeed,
    appId: APP,
    tokens,
    honestUids: honest.uids,
  });
  const heard = await honest.stop();
  sent += result.sent;
  const stats = server.stats();
  const internal = stats.counters.INTERNAL_ERROR ?? 0;
  const ok =
    Math.abs(heard.frequency - 440) / 440 < 0.01 &&
    heard.longestGapMs <= 500 &&
    heard.audibleMs >= heard.pushedMs * 0.85 &&
    internal === 0;
  console.log(
    `round ${round} seed ${roundSeed}: ${result.sent} frames in ${result.ms} ms, ${sent}/${total} total; ` +
      `honest ${heard.frequency.toFixed(1)} Hz, heard ${heard.audibleMs}/${heard.pushedMs} ms, longest gap ${heard.longestGapMs} ms; ` +
      `INTERNAL_ERROR ${internal}; server now: ${stats.connections} connections, ${stats.participants} participants, ` +
      `${stats.channels} channels, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB ${ok ? 'ok' : 'FAILED'}`,
  );
  failed = !ok;
}
console.log(`counters: ${JSON.stringify(server.stats().counters)}`);
await server.close();
process.exit(failed ? 1 : 0);
