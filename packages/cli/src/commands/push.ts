import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, DEFAULT_SERVER, type NodeClient, type Uid } from '@patchbay/node';
import { SingleBar } from 'cli-progress';
import { CliError, EXIT_USAGE, watchConnection } from '../errors.js';
import { joinChannel, onAbort } from '../session.js';
import { decodeWav } from '../wav.js';

/** Options of {@link push}; only `input` and `channel` are required. */
export interface PushOptions {
  /** A WAV file, or "-" for raw signed 16-bit little-endian PCM read from `stdin`. */
  input: string;
  channel: string;
  /** Default: env PATCHBAY_SERVER, else ws://127.0.0.1:7080. */
  server?: string;
  /** Default "patchbay-dev". */
  appId?: string;
  token?: string | null;
  /** Default null (the server assigns a number). */
  uid?: Uid | null;
  /** Repeat the file until `signal` aborts. Not for stdin. */
  loop?: boolean;
  /** Format of raw PCM from stdin; default 48000 Hz, mono. Not for WAV files (their header says). */
  rate?: number;
  channels?: 1 | 2;
  /** Stops pushing (as Ctrl-C does): queued audio is dropped, the client leaves. */
  signal?: AbortSignal;
  /** Where "-" reads from. Default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** Called once, with Date.now(), just before the first audio is pushed. */
  onFirstPush?: (wallTimeMs: number) => void;
  /** Called after each push: seconds sent so far (of the current loop), of how many (null for stdin). */
  onProgress?: (sentSeconds: number, totalSeconds: number | null, loop: number) => void;
}

export interface PushResult {
  server: string;
  sampleRate: number;
  channels: 1 | 2;
  /** Seconds of audio pushed, all loops together. */
  seconds: number;
  loops: number;
  interrupted: boolean;
}

const CHUNK_MS = 100;
const MEDIA_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Silence between the media connection coming up and the first audio: listeners subscribe when
 * they hear of the new publisher, and their connection needs ~20-100 ms more; without it they
 * miss the start of the audio.
 */
const LEAD_IN_MS = 300;
/** After the last audio went to the encoder, how long to wait so its packets leave before leave(). */
const DRAIN_MS = 300;

type Source = { kind: 'wav'; samples: Int16Array } | { kind: 'stdin'; stream: NodeJS.ReadableStream };

async function openSource(options: PushOptions): Promise<{ source: Source; rate: number; channels: 1 | 2 }> {
  if (options.input === '-') {
    if (options.loop)
      throw new CliError('--loop needs a file; audio from stdin cannot be replayed', EXIT_USAGE);
    const stream = options.stdin ?? process.stdin;
    return {
      source: { kind: 'stdin', stream },
      rate: options.rate ?? 48000,
      channels: options.channels ?? 1,
    };
  }
  if (options.rate !== undefined || options.channels !== undefined) {
    throw new CliError(
      '--rate and --channels are for raw PCM on stdin (-); a WAV file has its own',
      EXIT_USAGE,
    );
  }
  const audio = decodeWav(await readFile(options.input), options.input);
  if (audio.samples.length === 0) throw new CliError(`${options.input}: the file holds no audio`);
  return {
    source: { kind: 'wav', samples: audio.samples },
    rate: audio.sampleRate,
    channels: audio.channels,
  };
}

/** Waits until the publisher's WebRTC connection is up, so the start of the audio is not lost. */
async function waitForMedia(client: NodeClient, server: string, stopped: () => boolean): Promise<void> {
  const end = Date.now() + MEDIA_CONNECT_TIMEOUT_MS;
  for (;;) {
    const state = client.publisherConnection?.connectionState;
    if (state === 'connected' || stopped()) return;
    if (state === 'failed' || state === 'closed' || Date.now() > end) {
      throw new CliError(
        `joined, but the media connection to ${server} did not come up (${state ?? 'none'}); ` +
          'is UDP to the address the server announces (see its --announced-ip) reachable?',
      );
    }
    await sleep(10);
  }
}

/**
 * Joins `channel` and publishes a WAV file (or raw PCM from stdin) in real time, like the
 * native SDKs' external audio source. The audio starts 0.3 s after the media connection is up
 * (so listeners that subscribe on "user-published" hear it from the start). Resolves after the
 * audio has been sent and the client left.
 */
export async function push(options: PushOptions): Promise<PushResult> {
  const { source, rate, channels } = await openSource(options);
  const server = options.server ?? (process.env.PATCHBAY_SERVER || DEFAULT_SERVER);
  const frameBytes = 2 * channels;
  const client = createClient({ server });
  client.setExternalAudioSource(true, rate, channels);

  // Ends the push early: Ctrl-C (a clean stop) or a lost connection (an error).
  const stopped: { reason: 'interrupted' | Error | null } = { reason: null };
  let wake: () => void = () => undefined;
  const stopPromise = new Promise<void>((resolve) => (wake = resolve));
  const stop = (reason: 'interrupted' | Error): void => {
    stopped.reason ??= reason;
    // Ends a for-await that waits for input that may never come.
    if (source.kind === 'stdin') (source.stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    wake();
  };
  const offAbort = onAbort(options.signal, () => stop('interrupted'));
  const unwatch = watchConnection(client, server, (error) => stop(error));

  let pushedFrames = 0;
  let loops = 0;
  const send = async (data: Int16Array | Buffer, totalSeconds: number | null, loopStartFrames: number) => {
    if (pushedFrames === 0) options.onFirstPush?.(Date.now());
    await Promise.race([client.pushExternalAudioFrame(data), stopPromise]);
    pushedFrames += data.byteLength / frameBytes;
    const queued = (client.externalAudioTrack?.queuedDurationMs ?? 0) / 1000;
    const sent = Math.max(0, (pushedFrames - loopStartFrames) / rate - queued);
    options.onProgress?.(sent, totalSeconds, loops);
  };

  try {
    await joinChannel(client, options, server);
    await waitForMedia(client, server, () => stopped.reason !== null);
    await Promise.race([sleep(LEAD_IN_MS), stopPromise]);

    if (source.kind === 'wav') {
      const { samples } = source;
      const chunk = ((rate * CHUNK_MS) / 1000) * channels;
      const total = samples.length / channels / rate;
      do {
        loops++;
        const loopStart = pushedFrames;
        for (let i = 0; i < samples.length && stopped.reason === null; i += chunk) {
          await send(samples.subarray(i, i + chunk), total, loopStart);
        }
      } while (options.loop && stopped.reason === null);
    } else {
      loops = 1;
      let rest: Buffer | null = null;
      try {
        for await (const piece of source.stream as AsyncIterable<Buffer | string>) {
          if (stopped.reason !== null) break;
          const bytes = typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece;
          const data: Buffer = rest ? Buffer.concat([rest, bytes]) : bytes;
          const whole = data.length - (data.length % frameBytes);
          rest = whole < data.length ? Buffer.from(data.subarray(whole)) : null;
          if (whole > 0) await send(data.subarray(0, whole), null, 0);
        }
      } catch (error) {
        if (stopped.reason === null) throw error;
      }
    }

    const track = client.externalAudioTrack;
    if (stopped.reason === null && track) {
      await Promise.race([track.waitForPlayout(), stopPromise]);
      if (stopped.reason === null) await Promise.race([sleep(DRAIN_MS), stopPromise]);
    }
    if (stopped.reason instanceof Error) throw stopped.reason;
    const seconds = pushedFrames / rate - (client.externalAudioTrack?.queuedDurationMs ?? 0) / 1000;
    return {
      server,
      sampleRate: rate,
      channels,
      seconds,
      loops,
      interrupted: stopped.reason === 'interrupted',
    };
  } finally {
    offAbort();
    unwatch();
    client.externalAudioTrack?.clearBuffer();
    await client.leave().catch(() => undefined);
    client.setExternalAudioSource(false);
  }
}

/**
 * `patchbay push`: {@link push} with a progress bar on a terminal, Ctrl-C to stop, and a final
 * line on stdout. Returns the exit code (130 when interrupted, except with --loop).
 */
export async function pushCommand(options: PushOptions): Promise<number> {
  const label = options.input === '-' ? 'stdin' : options.input;
  const tty = process.stderr.isTTY === true;
  let bar: SingleBar | null = null;
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onProgress = (sent: number, total: number | null, loop: number): void => {
    const payload = {
      sent: sent.toFixed(1),
      length: total === null ? '?' : total.toFixed(1),
      loop: loop > 1 ? ` (loop ${loop})` : '',
    };
    if (!bar) {
      const format =
        total === null ? `pushing ${label} {sent} s` : `pushing ${label} [{bar}] {sent}/{length} s{loop}`;
      bar = new SingleBar({ format, hideCursor: true, clearOnComplete: true });
      bar.start(total ?? 1, 0, payload);
    }
    bar.update(total === null ? 0 : Math.min(sent, total), payload);
  };
  let result: PushResult;
  try {
    result = await push({
      ...options,
      signal: controller.signal,
      onFirstPush: (wallTimeMs) => {
        if (process.env.PATCHBAY_CLI_TIMING === '1')
          process.stderr.write(`patchbay-timing: push first ${wallTimeMs}\n`);
      },
      onProgress: tty ? onProgress : undefined,
    });
  } finally {
    (bar as SingleBar | null)?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const loops = result.loops > 1 ? `, ${result.loops} loops` : '';
  const format = `${result.sampleRate} Hz ${result.channels === 2 ? 'stereo' : 'mono'}${loops}`;
  process.stdout.write(
    `${result.interrupted ? 'stopped after' : 'pushed'} ${result.seconds.toFixed(1)} s of ${label} (${format}) ` +
      `to channel "${options.channel}" on ${result.server}\n`,
  );
  return result.interrupted && !options.loop ? 130 : 0;
}
