/**
 * Join time: from join() to the first audio at a subscriber already in the channel, over
 * sequential joins. Two clients: the Node SDK (join publishes the external source; the existing
 * SDK subscriber subscribes on user-published and waits for a non-silent frame), and the load
 * peers (node-datachannel; first RTP packet at the existing subscriber), which are also what the
 * Janus run uses.
 */
import { createClient } from '@patchbay/node';
import { LoadPublisher, LoadSubscriber, Pacer, Recorder } from '../load.js';
import { Signal, SourceAddresses } from '../signal.js';
import { percentile, round, sleep, withTimeout } from '../util.js';

export interface JoinStats {
  joins: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export function joinStats(times: number[], failures: number): JoinStats {
  return {
    joins: times.length,
    failures,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    maxMs: times.length ? Math.max(...times) : NaN,
  };
}

const TONE = (() => {
  const f = new Int16Array(480);
  for (let i = 0; i < 480; i++) f[i] = Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
  return f;
})();

/** Node SDK joiner → Node SDK subscriber. */
export async function sdkJoinTimes(url: string, joins: number, budgetMs: number): Promise<JoinStats> {
  const observer = createClient({ server: url });
  let waiting: ((t: number) => void) | null = null;
  observer.on('user-published', (user) => {
    void observer.subscribe(user, 'audio').then((track) => {
      let heard = false;
      track.onAudioFrame((f) => {
        if (heard || !waiting) return;
        for (let i = 0; i < f.samples.length; i++) {
          if (Math.abs(f.samples[i]) > 1000) {
            heard = true;
            waiting(performance.now());
            return;
          }
        }
      });
    });
  });
  await observer.join('bench', 'join-sdk', null, null);
  const times: number[] = [];
  let failures = 0;
  const deadline = Date.now() + budgetMs;
  try {
    for (let i = 0; i < joins && Date.now() < deadline; i++) {
      const client = createClient({ server: url });
      client.setExternalAudioSource(true, 48000, 1);
      const heard = new Promise<number>((r) => (waiting = r));
      const t0 = performance.now();
      const pushing = setInterval(() => void client.pushExternalAudioFrame(TONE).catch(() => undefined), 10);
      try {
        const joined = client.join('bench', 'join-sdk', null, null);
        void client.pushExternalAudioFrame(TONE).catch(() => undefined);
        await joined;
        times.push((await withTimeout(heard, 5000, 'first audio')) - t0);
      } catch (error) {
        failures++;
        console.log(`  join ${i} failed: ${(error as Error).message}`);
      } finally {
        waiting = null;
        clearInterval(pushing);
        await client.leave().catch(() => undefined);
      }
      await sleep(50);
    }
  } finally {
    await observer.leave().catch(() => undefined);
  }
  return joinStats(times, failures);
}

/**
 * Load-peer joiner → load-peer subscriber against Patchbay: join, publish (offer/answer, ICE,
 * DTLS), the subscriber subscribes (server offer, answer), first RTP packet arrives.
 */
export async function loadJoinTimes(url: string, joins: number, budgetMs: number): Promise<JoinStats> {
  const addresses = new SourceAddresses();
  const recorder = new Recorder();
  const sub = new LoadSubscriber('join-observer', recorder);
  sub.signal = await Signal.connect(url, addresses.take());
  await sub.signal.join('join-load');
  const pacer = new Pacer();
  pacer.start();
  const times: number[] = [];
  let failures = 0;
  const deadline = Date.now() + budgetMs;
  // Publishers stay: each join adds an m-line to the observer's connection (a renegotiation),
  // as it does on Janus below.
  const publishers: LoadPublisher[] = [];
  const signals: Signal[] = [];
  try {
    for (let i = 0; i < joins && Date.now() < deadline; i++) {
      const t0 = performance.now();
      const pub = new LoadPublisher(1000 + i);
      publishers.push(pub);
      try {
        const signal = await Signal.connect(url, addresses.take());
        signals.push(signal);
        const joined = await signal.join('join-load');
        const t1 = performance.now();
        await pub.publishVia(signal);
        const t2 = performance.now();
        pacer.add(pub);
        await sub.subscribe(joined.uid as number);
        const t3 = performance.now();
        await waitFirstPacket(sub, pub.index);
        times.push(performance.now() - t0);
        if (process.env.BENCH_JOIN_DEBUG) {
          const f = (x: number) => x.toFixed(1);
          console.log(
            `  join ${f(t1 - t0)} publish+DTLS ${f(t2 - t1)} subscribe ${f(t3 - t2)} first ${f(performance.now() - t3)}`,
          );
        }
      } catch (error) {
        failures++;
        console.log(`  join ${i} failed: ${(error as Error).message}`);
      }
      await sleep(50);
    }
  } finally {
    pacer.stop();
    sub.close();
    for (const p of publishers) p.close();
    for (const s of signals) s.close();
  }
  return joinStats(times, failures);
}

export function waitFirstPacket(sub: LoadSubscriber, pubIndex: number): Promise<void> {
  return withTimeout(
    (async () => {
      while (!sub.streams.get(pubIndex)?.count) await sleep(1);
    })(),
    5000,
    'first packet',
  );
}

export function joinRow(name: string, s: JoinStats | { skipped: string }): (string | number)[] {
  if ('skipped' in s) return [name, 0, 'skipped', '', '', s.skipped];
  return [
    name,
    s.joins,
    round(s.p50Ms, 1),
    round(s.p95Ms, 1),
    round(s.maxMs, 1),
    s.failures ? `${s.failures} failed` : '',
  ];
}
