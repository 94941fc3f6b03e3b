/**
 * Audio under loss: one Node SDK publisher → SFU (`patchbay serve`, a child process) → one Node
 * SDK listener, every media packet through an ImpairmentProxy (the SFU announces the proxy as
 * its only candidate). Per impairment: a speech-like signal after a warm-up (the sender adapts
 * its FEC to the loss it is told of), then concealment and FEC use from the listener's WebRTC
 * stats, segmental SNR against the sent signal after alignment, and whether the call stayed up.
 */
import { type Impairment, ImpairmentProxy, type LossSpec } from '@patchbay/netsim';
import { type LossCallResult, runLossCall } from '../lossCall.js';
import type { Table } from '../report.js';
import { spawnSfu } from '../sfu.js';
import { round } from '../util.js';

export interface LossCase {
  name: string;
  /** Which leg is impaired: the publisher's uplink, the listener's downlink, or both. */
  leg: 'up' | 'down' | 'both';
  impairment: Partial<Impairment>;
  /** Start the SFU with PATCHBAY_REPORT_SUBSCRIBER_LOSS=0 (publishers hear uplink loss only). */
  uplinkReportsOnly?: boolean;
  /** Start the SFU with PATCHBAY_RED=0 (plain Opus: in-band FEC only); the other cases with PATCHBAY_RED=1. */
  noRed?: boolean;
}

export interface LossRow {
  case: LossCase;
  /** The run least disturbed by the machine (smallest jitter buffer). */
  result: LossCallResult | null;
  /** Concealed ratio of the other runs of the case. */
  otherConcealed: number[];
  error?: string;
}

const bern = (rate: number): LossSpec => ({ kind: 'bernoulli', rate });

export const LOSS_CASES: LossCase[] = [
  { name: 'none', leg: 'both', impairment: {} },
  { name: 'bernoulli 5%', leg: 'up', impairment: { loss: bern(0.05) } },
  { name: 'bernoulli 10%', leg: 'up', impairment: { loss: bern(0.1) } },
  { name: 'bernoulli 20%', leg: 'up', impairment: { loss: bern(0.2) } },
  {
    name: 'gilbert-elliott 20% burst 3',
    leg: 'up',
    impairment: { loss: { kind: 'gilbert-elliott', rate: 0.2, meanBurst: 3 } },
  },
  { name: 'bernoulli 10%', leg: 'down', impairment: { loss: bern(0.1) } },
  {
    name: 'jitter 30 ms + 3% reordered',
    leg: 'both',
    impairment: { delayMs: 10, jitterMs: 30, reorderRate: 0.03 },
  },
  { name: 'bernoulli 10%, no RED (FEC only)', leg: 'up', impairment: { loss: bern(0.1) }, noRed: true },
  { name: 'bernoulli 20%, no RED (FEC only)', leg: 'up', impairment: { loss: bern(0.2) }, noRed: true },
  { name: 'bernoulli 10%, no RED (FEC only)', leg: 'down', impairment: { loss: bern(0.1) }, noRed: true },
  {
    name: 'bernoulli 10%, no RED, publisher told uplink loss only',
    leg: 'down',
    impairment: { loss: bern(0.1) },
    noRed: true,
    uplinkReportsOnly: true,
  },
];

/**
 * Runs every case `repeats` times (fresh SFU and proxy each time) and keeps the run the machine
 * disturbed least, judged by the listener's mean jitter-buffer delay: on a shared machine, stalls
 * of the processes (not the network impairment under test) inflate the buffer and the
 * concealment. The other runs' concealment is kept alongside, so the spread stays visible.
 */
export async function runLoss(
  root: string,
  options: { seconds?: number; warmupSeconds?: number; repeats?: number } = {},
): Promise<LossRow[]> {
  const host = process.env.PATCHBAY_TEST_IP2 || '127.0.0.1';
  const rows: LossRow[] = [];
  for (const [i, c] of LOSS_CASES.entries()) {
    const runs: LossCallResult[] = [];
    let error: string | undefined;
    for (let rep = 0; rep < (options.repeats ?? 2); rep++) {
      const proxy = await ImpairmentProxy.start({ host, seed: 100 + i });
      const sfu = await spawnSfu(root, {
        args: ['--announced-ip', proxy.host, '--announced-port', String(proxy.port)],
        env: {
          ...(c.uplinkReportsOnly ? { PATCHBAY_REPORT_SUBSCRIBER_LOSS: '0' } : {}),
          PATCHBAY_RED: c.noRed ? '0' : '1',
        },
      });
      proxy.setTarget(process.env.PATCHBAY_TEST_IP || '127.0.0.1', sfu.rtcPort);
      try {
        const result = await runLossCall({
          serverUrl: sfu.url,
          channel: `loss-${i}-${rep}`,
          seconds: options.seconds ?? 10,
          warmupSeconds: options.warmupSeconds ?? 8,
          seed: 7,
          onFlowing: () => {
            proxy.setImpairment(c.leg, c.impairment);
            proxy.resetCounters();
          },
        });
        runs.push(result);
        console.log(`  ${c.leg} ${c.name} (run ${rep + 1}): ${JSON.stringify(result)}`);
      } catch (e) {
        error = (e as Error).message;
        console.log(`  ${c.leg} ${c.name} (run ${rep + 1}): failed: ${error}`);
      } finally {
        await sfu.stop();
        await proxy.close();
      }
    }
    runs.sort((a, b) => a.jitterBufferMs - b.jitterBufferMs);
    rows.push({
      case: c,
      result: runs[0] ?? null,
      otherConcealed: runs.slice(1).map((r) => r.concealedRatio),
      ...(runs.length === 0 ? { error } : {}),
    });
  }
  return rows;
}

const pct = (x: number, digits = 1) => `${round(x * 100, digits)}`;

export function lossTable(rows: LossRow[]): Table {
  return {
    title:
      'Audio under loss: Node SDK publisher → SFU → Node SDK listener through the impairment proxy (10 s speech-like signal after 8 s warm-up, best of 2 runs)',
    columns: [
      'impairment',
      'leg',
      'sent B/pkt',
      'lost %',
      'FEC rebuilt % of lost',
      'concealed %',
      'other runs: concealed %',
      'audible concealed %',
      'segSNR dB',
      'aligned %',
      'jitter buffer ms',
      'publisher told loss %',
      'stayed connected',
    ],
    rows: rows.map(({ case: c, result: r, otherConcealed, error }) => {
      const leg = c.leg === 'up' ? 'publisher uplink' : c.leg === 'down' ? 'listener downlink' : 'both';
      if (!r)
        return [c.name, leg, null, `failed: ${error ?? ''}`, null, null, null, null, null, null, null, 'no'];
      const expected = r.packetsReceived + r.packetsLost;
      return [
        c.name,
        leg,
        Math.round(r.publisherBytesPerPacket),
        expected > 0 ? pct(r.packetsLost / expected) : null,
        r.packetsLost > 0 ? pct(r.fecRecovered / r.packetsLost, 0) : '—',
        pct(r.concealedRatio, 2),
        otherConcealed.map((x) => pct(x, 2)).join(', ') || '—',
        pct(r.audibleConcealedRatio, 2),
        round(r.segSnrDb, 1),
        pct(r.alignedShare, 0),
        Math.round(r.jitterBufferMs),
        r.publisherReportedLoss === null ? null : pct(r.publisherReportedLoss),
        r.stayedConnected ? 'yes' : `no (${r.states.join(' → ')})`,
      ];
    }),
    notes: [
      'each case ran twice (fresh SFU and proxy); the row shows the run with the smaller listener jitter buffer (the one the shared machine disturbed less), the other run’s concealment beside it',
      'rows without “no RED” run the SFU with PATCHBAY_RED=1 (the default since 2026-12-02; RED was opt-in before): the publisher (libwebrtc) sends each packet with the previous one as redundancy (RFC 2198; sent B/pkt about doubles) and the SFU forwards it; “no RED” rows (PATCHBAY_RED=0) leave Opus in-band FEC alone',
      'lost: packets the listener never received (its inbound-rtp packetsLost) over the measured signal; the proxy draws loss per packet from a seeded PRNG',
      'FEC rebuilt: fecPacketsReceived − fecPacketsDiscarded (NetEq decoded the Opus in-band FEC copy of a lost packet; packets rebuilt from RED are not counted there); concealed: concealedSamples ÷ totalSamplesReceived; audible: without silentConcealedSamples',
      'segSNR: 20 ms frames with signal, 10·log10(Σref²/Σ(ref − g·rec)²) clamped to [−10, 35] dB, after per-block cross-correlation alignment (follows the jitter buffer’s time stretching); aligned: the share of 100 ms blocks that found a lag with correlation ≥ 0.5. With a large jitter buffer (≥ ~250 ms, after machine stalls) NetEq time-compresses the audio heavily and the alignment fails (aligned < 60 %): segSNR is then meaningless. Opus is not waveform-exact: about 20-28 dB is the clean reference here',
      'publisher told loss: the last fractionLost in the SFU’s receiver reports (remote-inbound-rtp) — the worst of uplink and listener loss unless the SFU runs with PATCHBAY_REPORT_SUBSCRIBER_LOSS=0',
      'the speech-like signal has pauses (about a third of the time); Opus sends no in-band FEC in them, so without RED losses there are concealed (as silence)',
      'the bench process runs the proxy, the publisher and the listener on one event loop on a shared 2-core machine: stalls show up as jitter-buffer growth and concealment even without loss',
    ],
  };
}
