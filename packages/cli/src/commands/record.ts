import { open, rm, writeFile } from 'node:fs/promises';
import { createClient, DEFAULT_SERVER, type Uid } from '@patchbay/node';
import { CliError, EXIT_USAGE, watchConnection } from '../errors.js';
import { joinChannel, onAbort } from '../session.js';
import { encodeWav } from '../wav.js';

/** Options of {@link record}; `output`, `channel` and `duration` are required. */
export interface RecordOptions {
  /** The WAV file to write (48 kHz, 16-bit). */
  output: string;
  channel: string;
  /** Seconds to record, counted from the moment the client has joined. */
  duration: number;
  /** Default: env PATCHBAY_SERVER, else ws://127.0.0.1:7080. */
  server?: string;
  /** Default "patchbay-dev". */
  appId?: string;
  token?: string | null;
  /** Default null (the server assigns a number). */
  uid?: Uid | null;
  /** Channels of the recording. Default 1. */
  channels?: 1 | 2;
  /** Stops early (as Ctrl-C does); what was recorded so far is written. */
  signal?: AbortSignal;
  /** Called once, with Date.now(), when the first recorded 10 ms frame arrives. */
  onFirstFrame?: (wallTimeMs: number) => void;
  /** A problem that does not stop the recording (a subscription failed). */
  onWarning?: (message: string) => void;
}

export interface RecordResult {
  server: string;
  output: string;
  seconds: number;
  /** Users whose audio was subscribed and not pure silence. */
  usersHeard: number;
  interrupted: boolean;
}

const RATE = 48000;
const FRAME = 480; // 10 ms at 48 kHz

/**
 * Fails now, not after the recording, if `output` cannot be written; an existing file is left
 * as it is until the recording is written. Returns whether the (empty) file was created here.
 */
async function checkWritable(output: string): Promise<boolean> {
  try {
    await (await open(output, 'wx')).close();
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`cannot create ${output}: no such directory`);
    if (code !== 'EEXIST') throw error;
  }
  await (await open(output, 'r+')).close(); // exists: check we may overwrite it
  return false;
}

/**
 * Joins `channel`, subscribes to everyone who publishes, and records the mix for `duration`
 * seconds (silence while nobody speaks) into a 48 kHz 16-bit WAV file.
 */
export async function record(options: RecordOptions): Promise<RecordResult> {
  const { output, duration } = options;
  if (!Number.isFinite(duration) || duration <= 0) {
    throw new CliError(`--duration must be a positive number of seconds, got ${duration}`, EXIT_USAGE);
  }
  const frames = Math.max(1, Math.round(duration * 100));
  const channels = options.channels ?? 1;
  const server = options.server ?? (process.env.PATCHBAY_SERVER || DEFAULT_SERVER);
  let created = await checkWritable(output);

  const client = createClient({ server, mixedAudioChannels: channels });
  const samples = new Int16Array(frames * FRAME * channels);
  let count = 0;
  let joined = false;
  let finished = false;
  const stopped: { reason: 'interrupted' | Error | null } = { reason: null };
  let wake: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (wake = resolve));
  const finish = (reason: 'interrupted' | Error | null): void => {
    if (!finished) stopped.reason = reason;
    finished = true;
    wake();
  };

  const heard = new Set<string>();
  client.on('user-published', (user) => {
    client
      .subscribe(user, 'audio')
      .then((track) => {
        const off = track.onAudioFrame((frame) => {
          if (!frame.samples.some((s) => s !== 0)) return;
          heard.add(`${typeof user.uid}:${String(user.uid)}`);
          queueMicrotask(off); // not during the track's own callback loop
        });
      })
      .catch((error: unknown) => {
        if (finished) return; // leave() aborted it
        const message = error instanceof Error ? error.message : String(error);
        options.onWarning?.(`cannot subscribe to user ${String(user.uid)}: ${message}`);
      });
  });
  // Registered before join so the mixer's clock already runs; frames count from join on.
  const stopMix = client.onMixedAudioFrame((frame) => {
    if (!joined || finished) return;
    if (count === 0) options.onFirstFrame?.(Date.now());
    samples.set(frame.samples, count * FRAME * channels); // the frame's buffer is reused: copy
    if (++count === frames) finish(null);
  });
  const offAbort = onAbort(options.signal, () => finish('interrupted'));
  const unwatch = watchConnection(client, server, (error) => finish(error));

  try {
    await joinChannel(client, options, server);
    joined = true;
    await done;
    finished = true;
    stopMix();
    unwatch();
    await client.leave();
    const seconds = count / 100;
    const audio = { sampleRate: RATE, channels, samples: samples.subarray(0, count * FRAME * channels) };
    await writeFile(output, encodeWav(audio));
    created = false; // keep it
    if (stopped.reason instanceof Error) {
      throw new CliError(
        `${stopped.reason.message}; wrote the ${seconds.toFixed(2)} s recorded before to ${output}`,
      );
    }
    return { server, output, seconds, usersHeard: heard.size, interrupted: stopped.reason === 'interrupted' };
  } finally {
    finished = true;
    stopMix();
    unwatch();
    offAbort();
    await client.leave().catch(() => undefined);
    if (created) await rm(output, { force: true }).catch(() => undefined);
  }
}

/** `patchbay record`: {@link record} with Ctrl-C to stop early and a summary line. Returns the exit code. */
export async function recordCommand(options: RecordOptions): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: RecordResult;
  try {
    result = await record({
      ...options,
      signal: controller.signal,
      onFirstFrame: (wallTimeMs) => {
        if (process.env.PATCHBAY_CLI_TIMING === '1') {
          process.stderr.write(`patchbay-timing: record first ${wallTimeMs}\n`);
        }
      },
      onWarning: (message) => process.stderr.write(`patchbay: warning: ${message}\n`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const stopped = result.interrupted ? ' (stopped early)' : '';
  process.stdout.write(
    `wrote ${result.output}: ${result.seconds.toFixed(2)} s${stopped}, ${result.usersHeard} users heard\n`,
  );
  return result.interrupted ? 130 : 0;
}
