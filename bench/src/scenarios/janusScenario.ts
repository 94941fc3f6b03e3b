import { JanusLoad, JanusSession, janusUnavailable, janusVersion, startJanus } from '../janus.js';
import { type LoadPublisher, Pacer, Recorder } from '../load.js';
import { percentile, processCpuSeconds, sleep } from '../util.js';
import type { Level } from './forwarding.js';
import { type JoinStats, joinStats, waitFirstPacket } from './join.js';

export interface JanusLevel {
  publishers: number;
  subscribers: number;
  forwardedPps: number;
  lossPct: number;
  cpuPct: number;
  usPerPacket: number;
  ppsPerCore: number;
  benchCpuPct: number;
  delayP50Ms: number;
  delayP99Ms: number;
  /** Packets sent in the window ÷ packets the publishers should have sent (the generator keeping pace), %. */
  sentPct: number;
}

export type JanusResult =
  { skipped: string } | { version: string; levels: JanusLevel[]; join: JoinStats; note?: string };

export async function runJanus(levels: Level[], joins: number, windowMs = 8000): Promise<JanusResult> {
  const why = janusUnavailable();
  if (why) return { skipped: why };
  let janus;
  try {
    janus = await startJanus();
  } catch (error) {
    return { skipped: `janus failed to start: ${(error as Error).message}` };
  }
  const session = new JanusSession(janus.base);
  const out: JanusLevel[] = [];
  let note: string | undefined;
  let join: JoinStats = joinStats([], 0);
  try {
    await session.create();
    // Capacity: P × S, every subscriber takes every feed on one PeerConnection.
    const recorder = new Recorder();
    const pacer = new Pacer();
    const load = new JanusLoad(session, pacer, recorder, 4242);
    await load.createRoom();
    try {
      for (const level of levels) {
        // Janus subscribers join with the feeds present; a level adding publishers restarts subscribers.
        if (level.p > load.publishers.length) {
          if (load.subscribers.length) {
            note = 'levels that add publishers re-create the subscribers';
            for (const s of load.subscribers) s.close();
            load.subscribers.length = 0;
          }
          while (load.publishers.length < level.p) await load.addPublisher(load.publishers.length);
        }
        const missing = Array.from(
          { length: level.s - load.subscribers.length },
          (_, i) => load.subscribers.length + i,
        );
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(8, missing.length) }, async () => {
            while (next < missing.length) await load.addSubscriber(missing[next++]);
          }),
        );
        await sleep(2000);
        for (const sub of load.subscribers) for (const s of sub.streams.values()) s.clear();
        const from = load.publishers.map((p) => p.sent);
        const c0 = janus.cpuSeconds();
        const b0 = processCpuSeconds('self');
        recorder.reset();
        const r0 = recorder.received;
        recorder.measuring = true;
        const t0 = performance.now();
        await sleep(windowMs);
        const secs = (performance.now() - t0) / 1000;
        recorder.measuring = false;
        const to = load.publishers.map((p) => p.sent);
        const cpu = janus.cpuSeconds() - c0;
        const bench = processCpuSeconds('self') - b0;
        const got = recorder.received - r0;
        await sleep(500);
        let expected = 0;
        let received = 0;
        for (const sub of load.subscribers) {
          load.publishers.forEach((pub, i) => {
            expected += to[i] - from[i];
            received += sub.streams.get(pub.index)?.countRange(from[i], to[i]) ?? 0;
          });
        }
        const pps = got / secs;
        const d = recorder.delays.subarray(0, recorder.delayCount);
        const row: JanusLevel = {
          publishers: load.publishers.length,
          subscribers: load.subscribers.length,
          forwardedPps: pps,
          lossPct: expected ? (100 * (expected - received)) / expected : NaN,
          cpuPct: (100 * cpu) / secs,
          usPerPacket: (cpu * 1e6) / got,
          ppsPerCore: pps / (cpu / secs),
          benchCpuPct: (100 * bench) / secs,
          delayP50Ms: percentile(d, 50),
          delayP99Ms: percentile(d, 99),
          sentPct:
            (100 * (expected / load.subscribers.length)) / ((load.publishers.length * secs * 1000) / 20),
        };
        out.push(row);
        console.log(
          `  janus ${row.publishers}×${row.subscribers}: ${Math.round(pps)} pps, loss ${row.lossPct.toFixed(3)} %, ` +
            `CPU ${row.cpuPct.toFixed(1)} % (${row.usPerPacket.toFixed(2)} µs/pkt), bench ${row.benchCpuPct.toFixed(1)} %`,
        );
        if (row.lossPct > 0.1 || row.benchCpuPct > 150 || row.sentPct < 95) break;
      }
    } finally {
      pacer.stop();
      load.close();
    }
    join = await janusJoinTimes(session, joins);
  } catch (error) {
    note = `${note ? `${note}; ` : ''}stopped early: ${(error as Error).message}`;
  } finally {
    await session.destroy();
    await janus.stop();
  }
  return { version: janusVersion(), levels: out, join, note };
}

/**
 * Join → first packet on Janus: a publisher joins (joinandconfigure with its offer, ICE, DTLS), the
 * existing subscriber adds the feed to its one PeerConnection (subscribe → updated offer → start)
 * and waits for the first packet. Mirrors the Patchbay load-peer join.
 */
async function janusJoinTimes(session: JanusSession, joins: number): Promise<JoinStats> {
  const recorder = new Recorder();
  const pacer = new Pacer();
  const load = new JanusLoad(session, pacer, recorder, 4343);
  await load.createRoom();
  const times: number[] = [];
  let failures = 0;
  try {
    // The observer needs a feed to exist before it can join as a subscriber.
    await load.addPublisher(2000);
    const observer = await load.addSubscriber(0);
    for (let i = 0; i < joins; i++) {
      const t0 = performance.now();
      try {
        const pub: LoadPublisher = await load.addPublisher(2001 + i);
        await load.subscribeMore(observer, [load.feeds[load.feeds.length - 1]]);
        await waitFirstPacket(observer, pub.index);
        times.push(performance.now() - t0);
      } catch (error) {
        failures++;
        console.log(`  join ${i} failed: ${(error as Error).message}`);
      }
      await sleep(50);
    }
  } finally {
    pacer.stop();
    load.close();
  }
  return joinStats(times, failures);
}
