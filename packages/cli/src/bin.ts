import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { pushCommand } from './commands/push.js';
import { recordCommand } from './commands/record.js';
import { LOG_LEVELS, serveCommand } from './commands/serve.js';
import { serveWorkersCommand } from './commands/serveWorkers.js';
import { statsCommand } from './commands/stats.js';
import { tokenCommand } from './commands/token.js';
import { EXIT_USAGE, reportError } from './errors.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('use a port number 0..65535.');
  return n;
}

function uid(value: string): number | string {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n > 0xffffffff) throw new InvalidArgumentError('a numeric uid must be at most 4294967295.');
    return n;
  }
  if (value.length < 1 || value.length > 255) throw new InvalidArgumentError('use 1-255 characters.');
  return value;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('use a positive number of seconds.');
  return n;
}

function oneOf<T extends number>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    const n = Number(value) as T;
    if (!allowed.includes(n)) throw new InvalidArgumentError(`use ${allowed.join(', ')}.`);
    return n;
  };
}
function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 86400)
    throw new InvalidArgumentError('use whole seconds 1..86400.');
  return n;
}

function workerCount(value: string): number {
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 256) throw new InvalidArgumentError('use 1..256 or "auto".');
  return n;
}

const rate = oneOf([8000, 16000, 32000, 44100, 48000]);
const channelCount = oneOf<1 | 2>([1, 2]);

const SERVER_HELP = 'WebSocket URL of the server (default: $PATCHBAY_SERVER, else ws://127.0.0.1:7080)';

/** The exit code the command's action decided; bin exits with it once the action is done. */
let exitCode = 0;

const program = new Command('patchbay')
  .description('Patchbay real-time voice: run a server, push audio into a channel, record a channel')
  .version(version)
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'patchbay: ')) });

program
  .command('serve')
  .description(
    'run a Patchbay server (signaling + SFU); in testing mode unless apps with certificates are configured',
  )
  .option(
    '--host <address>',
    'address for HTTP and WebSocket signaling (default: $PATCHBAY_HOST, else 127.0.0.1)',
  )
  .option(
    '--port <port>',
    'TCP port for HTTP and WebSocket, 0 for a free one (default: $PATCHBAY_PORT, else 7080)',
    port,
  )
  .option(
    '--rtc-port <port>',
    'UDP port carrying all media, 0 for a free one (default: $PATCHBAY_RTC_PORT, else the same number as --port)',
    port,
  )
  .option(
    '--rtc-bind <address>',
    'address the media socket binds to (default: $PATCHBAY_RTC_BIND, else --host)',
  )
  .option(
    '--announced-ip <address>',
    'address announced to clients for media (default: $PATCHBAY_ANNOUNCED_IP, else --rtc-bind; 127.0.0.1 if that is 0.0.0.0 or ::)',
  )
  .option(
    '--announced-port <port>',
    'UDP port announced to clients for media, when a NAT or relay forwards another port to --rtc-port (default: $PATCHBAY_ANNOUNCED_PORT, else --rtc-port)',
    port,
  )
  .addOption(
    new Option(
      '--log-level <level>',
      'log level of the JSON logs on stderr (default: $PATCHBAY_LOG_LEVEL, else info)',
    ).choices(LOG_LEVELS),
  )
  .option(
    '--apps-file <path>',
    'JSON file { "<app id>": "<app certificate>" }: turns token checks on (default: $PATCHBAY_APPS_FILE; ' +
      'one app also via $PATCHBAY_APP_ID + $PATCHBAY_APP_CERTIFICATE; none = testing mode)',
  )
  .option('--tls-cert <file>', 'PEM certificate: serve https/wss (default: $PATCHBAY_TLS_CERT)')
  .option('--tls-key <file>', 'PEM private key of --tls-cert (default: $PATCHBAY_TLS_KEY)')
  .option(
    '--redis <url>',
    'cluster mode: redis://host:port of the Redis that places channels on nodes (default: $PATCHBAY_REDIS; none = one process)',
  )
  .option(
    '--node-url <url>',
    "cluster mode: this node's ws:// or wss:// URL as clients reach it, for redirects (default: $PATCHBAY_NODE_URL, else the listening URL)",
  )
  .option(
    '--admin-token <token>',
    'enables POST /admin/drain with "Authorization: Bearer <token>" (default: $PATCHBAY_ADMIN_TOKEN; none = no admin calls)',
  )
  .option(
    '--workers <n>',
    'run n worker processes behind --port ("auto": one per core), each a cluster node with its own media port and ' +
      'its own TCP port (--port + 1 + i) for redirects; placement through --redis, else the primary process',
    workerCount,
  )
  .action(async (opts: Parameters<typeof serveCommand>[0] & { workers?: number }) => {
    const { workers, ...serveOptions } = opts;
    exitCode =
      workers === undefined
        ? await serveCommand(serveOptions)
        : await serveWorkersCommand(serveOptions, workers);
  });

program
  .command('token')
  .description('print an access token (HS256 JWT signed with the app certificate) for one channel and uid')
  .requiredOption('--app-id <id>', 'app id (required)')
  .option(
    '--app-certificate <secret>',
    'app certificate, at least 16 characters (default: $PATCHBAY_APP_CERTIFICATE)',
  )
  .requiredOption('--channel <name>', 'channel the token admits to (required)')
  .option(
    '--uid <uid>',
    'uid the token admits: a number if all digits, else a string (default: any uid)',
    uid,
  )
  .addOption(
    new Option('--role <role>', 'host publishes and listens, audience only listens')
      .choices(['host', 'audience'])
      .default('host'),
  )
  .option(
    '--expire <seconds>',
    'lifetime of the token and its privileges, at most 86400 (default: 21600)',
    seconds,
  )
  .option('--join-expire <seconds>', 'lifetime of the join privilege (default: --expire)', seconds)
  .option(
    '--publish-expire <seconds>',
    'lifetime of the publish-audio privilege (default: --expire)',
    seconds,
  )
  .action(async (opts) => {
    process.stdout.write(`${await tokenCommand(opts)}\n`);
  });

program
  .command('push')
  .description(
    'join a channel and publish a WAV file (or raw PCM from stdin) in real time; ' +
      'the audio starts 0.3 s after the media connection is up, so listeners hear it from the start',
  )
  .argument(
    '<file>',
    'WAV file: 16-bit PCM, mono or stereo, 8000/16000/32000/44100/48000 Hz; "-" reads raw PCM from stdin',
  )
  .requiredOption('--channel <name>', 'channel to join (required)')
  .option('--server <url>', SERVER_HELP)
  .option('--app-id <id>', 'app id to join with', 'patchbay-dev')
  .option('--token <token>', 'token to join with (default: none, sent as null)')
  .option(
    '--uid <uid>',
    'user id: a number if all digits, else a string (default: assigned by the server)',
    uid,
  )
  .option('--loop', 'repeat the file until Ctrl-C (default: false)')
  .option(
    '--rate <hz>',
    'sample rate of raw PCM from stdin: 8000, 16000, 32000, 44100 or 48000 (default: 48000)',
    rate,
  )
  .option('--channels <n>', 'channels of raw PCM from stdin, 1 or 2 (interleaved) (default: 1)', channelCount)
  .addHelpText(
    'after',
    '\nRaw PCM on stdin is signed 16-bit little-endian, e.g.\n  sox in.mp3 -t raw -r 48000 -c 1 -b 16 -e signed - | patchbay push - --channel demo',
  )
  .action(async (input: string, opts) => {
    exitCode = await pushCommand({ input, ...opts });
  });

program
  .command('record')
  .description('join a channel, subscribe to everyone, and record the mix to a 48 kHz 16-bit WAV file')
  .argument('<out.wav>', 'WAV file to write')
  .requiredOption('--channel <name>', 'channel to join (required)')
  .requiredOption(
    '--duration <seconds>',
    'seconds to record, counted from joining (required)',
    positiveSeconds,
  )
  .option('--server <url>', SERVER_HELP)
  .option('--app-id <id>', 'app id to join with', 'patchbay-dev')
  .option('--token <token>', 'token to join with (default: none, sent as null)')
  .option(
    '--uid <uid>',
    'user id: a number if all digits, else a string (default: assigned by the server)',
    uid,
  )
  .option('--channels <n>', 'channels of the recording, 1 or 2', channelCount, 1)
  .action(async (output: string, opts) => {
    exitCode = await recordCommand({ output, ...opts });
  });

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('use a whole number of at least 1.');
  return n;
}

program
  .command('stats')
  .description(
    "live view of a channel: participants, tracks, levels, bitrate and loss, from the server's /api/channels endpoint " +
      '(a table refreshed every second on a terminal, else one JSON line per second)',
  )
  .requiredOption('--channel <name>', 'channel to watch (required)')
  .option('--server <url>', SERVER_HELP)
  .option('--app-id <id>', 'app id of the channel', 'patchbay-dev')
  .option('--count <n>', 'stop after n samples (default: until Ctrl-C)', positiveInt)
  .option('--json', 'one JSON line per sample, even on a terminal')
  .action(async (opts) => {
    exitCode = await statsCommand(opts);
  });

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version exit 0; a usage error was already printed by commander.
    exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    exitCode = reportError(error);
  }
}
// The Node SDK (wrtc) keeps the event loop alive: always exit explicitly.
process.exit(exitCode);
