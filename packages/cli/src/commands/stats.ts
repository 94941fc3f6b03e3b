import { DEFAULT_SERVER } from '@patchbay/node';
import type { ChannelView } from '@patchbay/server';
import { CliError } from '../errors.js';

/** Options of {@link statsCommand}. */
export interface StatsOptions {
  channel: string;
  /** ws://, wss://, http:// or https:// URL of the server. Default: env PATCHBAY_SERVER, else ws://127.0.0.1:7080. */
  server?: string;
  /** Default "patchbay-dev". */
  appId?: string;
  /** Stop after this many samples (default: until Ctrl-C). */
  count?: number;
  /** Milliseconds between samples. Default 1000. */
  intervalMs?: number;
  /** One JSON line per sample even on a terminal. */
  json?: boolean;
  signal?: AbortSignal;
  /** Where lines go. Default process.stdout. */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** One participant in a sample: the server's counters plus rates over the last interval. */
export interface StatsParticipant {
  uid: string | number;
  publishing: boolean;
  muted: boolean;
  level: number;
  activeSpeaker: boolean;
  /** bps received from this participant over the last interval (0 on the first sample). */
  bitrateIn: number;
  packetsIn: number;
  /** Its published stream plus its subscriptions. */
  tracks: number;
  subscriptions: {
    from: string | number;
    lossPercent: number | null;
    cumulativeLost: number | null;
    jitterMs: number | null;
  }[];
}

export interface StatsSample {
  at: number;
  appId: string;
  channel: string;
  activeSpeaker: string | number | null;
  participants: StatsParticipant[];
}

/** The server's HTTP base URL from its WebSocket (or HTTP) URL. */
export function httpBase(server: string): string {
  const url = new URL(server);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  else if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`--server must be a ws://, wss://, http:// or https:// URL, got ${server}`);
  return url.origin;
}

/** Turns two consecutive channel views into one sample (rates from the differences). */
export function toSample(view: ChannelView, previous: ChannelView | null): StatsSample {
  const seconds = previous ? (view.at - previous.at) / 1000 : 0;
  return {
    at: view.at,
    appId: view.appId,
    channel: view.channel,
    activeSpeaker: view.activeSpeaker,
    participants: view.participants.map((p) => {
      const before = previous?.participants.find((q) => q.uid === p.uid);
      const bitrateIn =
        before && seconds > 0 ? Math.max(0, Math.round(((p.bytesIn - before.bytesIn) * 8) / seconds)) : 0;
      return {
        uid: p.uid,
        publishing: p.publishing,
        muted: p.muted,
        level: p.level,
        activeSpeaker: p.activeSpeaker,
        bitrateIn,
        packetsIn: p.packetsIn,
        tracks: (p.publishing ? 1 : 0) + p.subscriptions.length,
        subscriptions: p.subscriptions.map((s) => ({
          from: s.from,
          lossPercent: s.fractionLost === null ? null : Math.round(s.fractionLost * 1000) / 10,
          cumulativeLost: s.cumulativeLost,
          jitterMs: s.jitterMs,
        })),
      };
    }),
  };
}

/** A screenful for a terminal. */
export function renderTable(s: StatsSample): string {
  const lines = [
    `channel ${s.channel} (app ${s.appId})  ${new Date(s.at).toISOString()}  active speaker: ${s.activeSpeaker ?? '-'}`,
    '',
    `${'uid'.padEnd(20)} ${'pub'.padEnd(5)} ${'level'.padStart(5)}  ${'meter'.padEnd(20)} ${'kbps in'.padStart(8)} ${'tracks'.padStart(6)}  subscriptions (loss %, jitter ms)`,
  ];
  for (const p of s.participants) {
    const meter = '#'.repeat(Math.round(p.level / 5)).padEnd(20);
    const pub = p.publishing ? (p.muted ? 'muted' : 'yes') : '-';
    const subs = p.subscriptions
      .map((x) => `${String(x.from)} (${x.lossPercent ?? '?'}%, ${x.jitterMs ?? '?'})`)
      .join(', ');
    const name = `${p.activeSpeaker ? '* ' : '  '}${String(p.uid)}`;
    lines.push(
      `${name.padEnd(20)} ${pub.padEnd(5)} ${String(p.level).padStart(5)}  ${meter} ${(p.bitrateIn / 1000).toFixed(1).padStart(8)} ${String(p.tracks).padStart(6)}  ${subs || '-'}`,
    );
  }
  if (s.participants.length === 0) lines.push('(nobody in the channel)');
  return lines.join('\n');
}

/** Samples GET /api/channels/:app/:channel and prints it; resolves with the exit code. */
export async function stats(options: StatsOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const base = httpBase(options.server ?? (process.env.PATCHBAY_SERVER || DEFAULT_SERVER));
  const appId = options.appId ?? 'patchbay-dev';
  const url = `${base}/api/channels/${encodeURIComponent(appId)}/${encodeURIComponent(options.channel)}`;
  const intervalMs = options.intervalMs ?? 1000;
  const tty = out.isTTY === true && options.json !== true;
  let previous: ChannelView | null = null;
  for (let n = 0; options.count === undefined || n < options.count; n++) {
    if (n > 0) await wait(intervalMs, options.signal);
    if (options.signal?.aborted) return 0;
    let res: Response;
    try {
      res = await fetch(url, { signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) return 0;
      throw new CliError(`cannot reach the server at ${base}: ${(error as Error).message}`);
    }
    let view: ChannelView;
    if (res.status === 404) {
      view = { appId, channel: options.channel, activeSpeaker: null, at: Date.now(), participants: [] };
    } else if (res.ok) {
      view = (await res.json()) as ChannelView;
    } else {
      throw new CliError(`the server at ${base} answered ${res.status} for ${url}`);
    }
    const sample = toSample(view, previous);
    previous = view;
    out.write(tty ? `\x1b[H\x1b[2J${renderTable(sample)}\n` : `${JSON.stringify(sample)}\n`);
  }
  return 0;
}

/** `patchbay stats`: runs until Ctrl-C (exit 0) or --count samples. */
export async function statsCommand(options: StatsOptions): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await stats({ ...options, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
