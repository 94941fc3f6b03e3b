import type { Table } from '../report.js';
import { round } from '../util.js';
import type { SoakRunResult } from './SoakRun.js';
import type { SoakVerdict } from './verdict.js';

/** The soak's figures and checks as one table (console and BENCHMARKS.md). */
export function soakTable(r: SoakRunResult, v: SoakVerdict): Table {
  const o = r.options;
  const mb = (b: number) => round(b / 2 ** 20, 1);
  const rows: (string | number)[][] = [
    ...v.checks.map((c) => [c.name, c.detail, c.ok ? 'ok' : '**FAIL**']),
    [
      'RSS in the steady window: medians of first / last 10 % of samples; min / max',
      `${round(v.rssHeadMedianMb, 1)} / ${round(v.rssTailMedianMb, 1)} MB; ${round(v.rssMinMb, 1)} / ${round(v.rssMaxMb, 1)} MB`,
      'info',
    ],
    [
      'heap used / heap total / external (medians, steady start → end)',
      `${round(v.heapStartMb, 1)} → ${round(v.heapEndMb, 1)} / ${round(v.heapTotalStartMb, 1)} → ${round(v.heapTotalEndMb, 1)} / ${round(v.externalStartMb, 1)} → ${round(v.externalEndMb, 1)} MB`,
      'info',
    ],
    [
      'SFU CPU per forwarded packet (steady start / end)',
      `${round(v.usPerPacketStart, 2)} / ${round(v.usPerPacketEnd, 2)} µs`,
      'info',
    ],
    [
      'idle → after: RSS, fds, handles, listeners',
      `${mb(v.idle.rssBytes)} → ${mb(v.after.rssBytes)} MB, ${v.idle.openFds} → ${v.after.openFds}, ` +
        `${v.idle.activeHandles} → ${v.after.activeHandles}, ${v.idle.listeners} → ${v.after.listeners}`,
      'info',
    ],
    [
      'packets forwarded by the SFU / send failures',
      `${v.after.packetsOut} / ${v.after.sendFailures}`,
      'info',
    ],
    [
      'generator: publisher send failures / packets skipped (late)',
      `${r.loss.publisherSendFailures} / ${r.loss.generatorSkipped}`,
      'info',
    ],
    [
      'subscribe errors (not churn)',
      `${r.subscribeErrors}${r.errors.length ? `: ${r.errors[0]}` : ''}`,
      'info',
    ],
  ];
  return {
    title:
      `Soak: ${o.channels} channels × ${o.perChannel} participants (each publishes and subscribes to the other ` +
      `${o.perChannel - 1} of its channel), ${o.churnCount} replaced every ${o.churnEveryMs / 1000} s, ` +
      `${round(r.durationS / 60, 1)} min, seed ${o.seed}; server: node ${(r.serverNodeArgs ?? []).join(' ') || '(no flags)'}`,
    columns: ['check', 'measured', 'result'],
    rows,
    notes: [
      `loss: per subscription, packets its publisher sent from ${o.settleMs} ms after the subscribe completed until the subscription ended (leave of either side, or the end), against those received (exact index range, no sampling); booked ${o.graceMs} ms after the cut`,
      `RSS: process_resident_memory_bytes from /metrics every ${o.sampleEveryMs / 1000} s; steady window = the run after its first 25 % and at least 60 s after the channels were full (${round(r.filledAtS, 0)} s); growth = the least-squares line through all its samples, read at its start and end (RSS saws by tens of MB as V8 and malloc return memory in steps); fds/handles compare medians of its first and last 10 % of samples (≥ 3 each)`,
      'idle = before the first join; after = once everyone has left (gauges back to 0) plus 2 s',
    ],
  };
}
