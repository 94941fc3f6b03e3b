import { readdirSync, readlinkSync } from 'node:fs';
/**
 * The soak: C channels × N participants on one `patchbay serve` process, every participant
 * publishing and subscribed to every other publisher of its channel (full mesh, N × (N-1) streams a
 * channel), while every few seconds K random participants (seeded) leave and as many new ones join
 * the channels they left. Forwarding loss is booked per subscription when it ends; server health
 * is sampled from /metrics throughout; at the end everyone leaves and the server must be back to
 * its idle counts.
 */
import { Pacer, PTIME_MS, Recorder } from '../load.js';
import { SourceAddresses } from '../signal.js';
import { SERVE_NODE_FLAGS, type SfuProcess, spawnSfu } from '../sfu.js';
import { seededRandom, sleep, withTimeout } from '../util.js';
import { type HealthSample, ServerHealth } from './ServerHealth.js';
import { SoakParticipant, type Subscription } from './SoakParticipant.js';

export interface SoakOptions {
  /** Length of the churning run (the teardown and idle checks come after it). */
  minutes: number;
  channels: number;
  perChannel: number;
  /** A churn step every this many ms ... */
  churnEveryMs: number;
  /** ... replaces this many participants (leave, then as many join the same channels). */
  churnCount: number;
  seed: number;
  /** Not counted after a subscription starts (ICE/DTLS of a first subscribe, renegotiation). */
  settleMs: number;
  /** Wait between cutting a subscription and booking it (packets in flight). */
  graceMs: number;
  sampleEveryMs: number;
  /**
   * Node flags of the server process: the production setting (docs/deployment.md) by default.
   * BENCH_SFU_NODE_ARGS is added after them.
   */
  serverNodeArgs: readonly string[];
  log: (line: string) => void;
}

/**
 * A join (signaling connect, join, publish, subscriptions) or a leave that takes longer has failed.
 * Signaling requests have no timeout of their own: on 2026-12-02 one join never completed on a
 * host too busy to answer /metrics for minutes, and the churn, then the whole run, hung.
 */
const STEP_TIMEOUT_MS = 30_000;

export const DEFAULT_SOAK: SoakOptions = {
  minutes: 30,
  channels: 10,
  perChannel: 10,
  churnEveryMs: 3000,
  churnCount: 2,
  seed: 8,
  settleMs: 500,
  graceMs: 500,
  sampleEveryMs: 5000,
  serverNodeArgs: SERVE_NODE_FLAGS,
  log: (line) => console.log(line),
};

export interface LossTotals {
  /** Subscriptions booked (ended by churn or by the final teardown). */
  subscriptions: number;
  /** Packets their publishers sent while they were established, after the settle window. */
  expected: number;
  received: number;
  lossPct: number;
  /** Packets the load publishers could not hand to their own connection (generator side). */
  publisherSendFailures: number;
  /** Packets the generator skipped because it fell behind (never sent, so never expected). */
  generatorSkipped: number;
}

export interface SoakRunResult {
  options: Omit<SoakOptions, 'log'>;
  /** Every node flag the server ran with. */
  serverNodeArgs?: string[];
  durationS: number;
  /** Seconds from the start until every channel was full (the churn starts then). */
  filledAtS: number;
  joins: number;
  leaves: number;
  /** Joins that failed (e.g. a load publisher's DTLS stalled); the slot was filled again. */
  joinFailures: number;
  /** Subscribe requests that failed for a reason other than churn. */
  subscribeErrors: number;
  errors: string[];
  loss: LossTotals;
  samples: HealthSample[];
}

export async function runSoak(root: string, partial: Partial<SoakOptions> = {}): Promise<SoakRunResult> {
  const o: SoakOptions = { ...DEFAULT_SOAK, ...partial };
  const serverNodeArgs = [
    ...o.serverNodeArgs,
    ...(process.env.BENCH_SFU_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const sfu = await spawnSfu(root, { nodeArgs: o.serverNodeArgs });
  try {
    return { ...(await soakAgainst(sfu, o)), serverNodeArgs };
  } finally {
    await sfu.stop();
  }
}

async function soakAgainst(sfu: SfuProcess, o: SoakOptions): Promise<SoakRunResult> {
  const t0 = performance.now();
  const health = new ServerHealth(sfu.httpUrl, sfu.pid, t0);
  const random = seededRandom(o.seed);
  const pacer = new Pacer();
  const recorder = new Recorder(1); // loss only: no delays kept
  const addresses = new SourceAddresses();
  const live = new Map<string, SoakParticipant[]>();
  const errors: string[] = [];
  let subscribeErrors = 0;
  const loss = { subscriptions: 0, expected: 0, received: 0 };
  let nextIndex = 0;
  let joins = 0;
  let leaves = 0;
  let joinFailures = 0;
  let publisherSendFailures = 0;

  const ctx = {
    url: sfu.url,
    recorder,
    pacer,
    settlePackets: Math.ceil(o.settleMs / PTIME_MS),
    find: (channel: string, uid: unknown) => live.get(channel)?.find((p) => p.uid === uid),
    onError: (what: string, error: unknown) => {
      subscribeErrors++;
      if (errors.length < 20) errors.push(`${what}: ${(error as Error).message}`);
    },
  };

  /** Cuts every subscription from and to `leavers`, waits for packets in flight, books them. */
  const book = async (leavers: SoakParticipant[]) => {
    const cut: { owner: SoakParticipant; s: Subscription }[] = [];
    for (const p of leavers) p.leaving = true;
    for (const p of leavers) {
      for (const s of p.subscriptions.values()) cut.push({ owner: p, s });
      for (const other of live.get(p.channel) ?? []) {
        const s = other.subscriptions.get(p);
        if (s && !other.leaving) cut.push({ owner: other, s });
      }
    }
    for (const { s } of cut) SoakParticipant.cut(s);
    await sleep(o.graceMs);
    for (const { owner, s } of cut) {
      const expected = Math.max(0, (s.to as number) - s.from);
      loss.subscriptions++;
      loss.expected += expected;
      loss.received += s.stream.inRange;
      owner.drop(s);
    }
  };

  const leave = async (leavers: SoakParticipant[]) => {
    await book(leavers);
    for (const p of leavers) {
      const list = live.get(p.channel) ?? [];
      list.splice(list.indexOf(p), 1);
    }
    await Promise.all(
      leavers.map((p) =>
        withTimeout(p.leave(), STEP_TIMEOUT_MS, `leave ${p.index}`).catch((error: unknown) => {
          if (errors.length < 20) errors.push((error as Error).message);
        }),
      ),
    );
    for (const p of leavers) publisherSendFailures += p.publisher.sendFailures;
    leaves += leavers.length;
  };

  /** Joins one new participant to `channel`; a failed join leaves again and is retried. */
  const join = async (channel: string): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const p = new SoakParticipant(nextIndex++, channel, ctx);
      live.get(channel)?.push(p);
      try {
        await withTimeout(p.join(addresses.take()), STEP_TIMEOUT_MS, `join ${p.index}`);
        joins++;
        return;
      } catch (error) {
        joinFailures++;
        if (errors.length < 20) errors.push(`join ${p.index}: ${(error as Error).message}`);
        await leave([p]);
        if (attempt >= 3) throw error;
      }
    }
  };

  // Prime: two participants join, forward to each other and leave before the idle baseline is
  // taken, so one-time lazy allocations (libdatachannel's first connection opens a pipe pair and
  // never closes it) are part of the baseline and "back to idle" can be checked exactly.
  pacer.start();
  const prime = [0, 1].map(() => new SoakParticipant(nextIndex++, 'soak-prime', ctx));
  live.set('soak-prime', prime);
  for (const p of prime) await p.join(addresses.take());
  await sleep(1000);
  await Promise.all(prime.map((p) => p.leave()));
  live.delete('soak-prime');
  await sleep(2000);
  await health.sample('idle');
  if (process.env.SOAK_DEBUG_FDS) o.log(fdList(sfu.pid));
  const channels = Array.from({ length: o.channels }, (_, i) => `soak-${i}`);
  for (const c of channels) live.set(c, []);
  // Fill: channel by channel, a few joins at a time.
  for (const c of channels) {
    for (let i = 0; i < o.perChannel; i += 5) {
      await Promise.all(Array.from({ length: Math.min(5, o.perChannel - i) }, () => join(c)));
    }
  }
  const filledAtS = (performance.now() - t0) / 1000;
  o.log(`filled ${o.channels} × ${o.perChannel} in ${filledAtS.toFixed(1)} s`);

  const end = t0 + o.minutes * 60_000;
  let stopSampling = false;
  const sampler = (async () => {
    while (!stopSampling) {
      let s: HealthSample;
      try {
        s = await health.sample('run');
      } catch (error) {
        errors.push(`sample: ${(error as Error).message}`);
        await sleep(o.sampleEveryMs);
        continue;
      }
      const lossPct = loss.expected ? (100 * (loss.expected - loss.received)) / loss.expected : 0;
      o.log(
        `t=${s.t.toFixed(0)}s participants ${s.participants} tracks ${s.tracks} pc ${s.peerConnections} ` +
          `rss ${(s.rssBytes / 2 ** 20).toFixed(1)} MB heap ${(s.heapUsedBytes / 2 ** 20).toFixed(1)} MB ` +
          `fds ${s.openFds} handles ${s.activeHandles} listeners ${s.listeners} | joins ${joins} ` +
          `booked loss ${lossPct.toFixed(4)} % of ${loss.expected}`,
      );
      await sleep(o.sampleEveryMs);
    }
  })();

  // Churn on a fixed schedule until the end.
  let step = 0;
  while (performance.now() + o.churnEveryMs < end) {
    step++;
    const due = t0 + step * o.churnEveryMs;
    await sleep(Math.max(0, due - performance.now()));
    const all = channels.flatMap((c) => live.get(c) ?? []).filter((p) => !p.leaving);
    const leavers: SoakParticipant[] = [];
    while (leavers.length < Math.min(o.churnCount, all.length)) {
      const p = all[Math.floor(random() * all.length)];
      if (!leavers.includes(p)) leavers.push(p);
    }
    await leave(leavers);
    await Promise.all(leavers.map((p) => join(p.channel)));
  }
  await sleep(Math.max(0, end - performance.now()));
  stopSampling = true;
  await sampler;
  const durationS = (performance.now() - t0) / 1000;

  // Teardown: book everything, everyone leaves, the server must return to idle.
  const everyone = channels.flatMap((c) => live.get(c) ?? []);
  await leave(everyone);
  pacer.stop();
  let after = await health.sample('after');
  for (
    let i = 0;
    i < 30 && (after.participants > 0 || after.peerConnections > 0 || after.sessions > 0);
    i++
  ) {
    await sleep(500);
    health.samples.pop();
    after = await health.sample('after');
  }
  // Let closed sockets and connections finish their native teardown before the last sample.
  await sleep(2000);
  health.samples.pop();
  after = await health.sample('after');
  if (process.env.SOAK_DEBUG_FDS) o.log(fdList(sfu.pid));
  // Debug aid: with BENCH_SFU_NODE_ARGS=--heapsnapshot-signal=SIGUSR2, a heap snapshot of the idle
  // server after everyone left (written to the SFU's working directory, the repository root).
  if (process.env.SOAK_HEAPSNAPSHOT) {
    process.kill(sfu.pid, 'SIGUSR2');
    await sleep(15_000);
  }

  const { log: _log, ...options } = o;
  return {
    options,
    durationS,
    filledAtS,
    joins,
    leaves,
    joinFailures,
    subscribeErrors,
    errors,
    loss: {
      ...loss,
      lossPct: loss.expected ? (100 * (loss.expected - loss.received)) / loss.expected : NaN,
      publisherSendFailures,
      generatorSkipped: pacer.skipped,
    },
    samples: health.samples,
  };
}

function fdList(pid: number): string {
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return `${fd}:${readlinkSync(`/proc/${pid}/fd/${fd}`)}`;
      } catch {
        return fd;
      }
    })
    .join(' ');
}
