import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { estimateFrequency, findActiveRegion, generateTone } from '@patchbay/node';
import { decodeWav, encodeWav } from '../../../packages/cli/dist/wav.js';
import { sleep, TEST_IP } from './support.js';

/** The repository root: this file runs as tests/e2e/dist/cli.test.js. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'patchbay.js');
const TEST_TIMEOUT = { timeout: 60_000 };

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `patchbay <args>` to completion (killed after `timeoutMs`), optionally feeding stdin. */
function patchbay(
  args: string[],
  timeoutMs = 30_000,
  feed?: (stdin: NodeJS.WritableStream) => Promise<void>,
): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    stdio: [feed ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATCHBAY_SERVER: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  if (feed && child.stdin) {
    const stdin = child.stdin;
    stdin.on('error', () => undefined); // EPIPE if the command fails early
    void feed(stdin).finally(() => stdin.end());
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function describeRun(what: string, run: Finished): string {
  return `${what}: exit ${run.code} (signal ${run.signal})\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

/** Asserts an expected failure: exit 1 and exactly one stderr line, "patchbay: ..." matching `pattern`. */
function assertOneLineError(run: Finished, pattern: RegExp): void {
  assert.equal(run.code, 1, describeRun('exit code', run));
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, describeRun('one stderr line', run));
  assert.match(lines[0], /^patchbay: /);
  assert.match(lines[0], pattern);
}

/** A WAV header + data for 8-bit unsigned PCM, mono (encodeWav only writes 16-bit). */
function eightBitWav(rate: number, frames: number): Uint8Array {
  const out = Buffer.alloc(44 + frames, 128);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + frames, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate, 28); // byte rate
  out.writeUInt16LE(1, 32); // block align
  out.writeUInt16LE(8, 34); // bits
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(frames, 40);
  return out;
}

/** Checks a recording holds `freq` Hz (±1%) for `lengthMs` (±100 ms). */
async function assertHeardTone(file: string, freq: number, lengthMs: number): Promise<void> {
  const audio = decodeWav(await readFile(file), file);
  assert.equal(audio.sampleRate, 48000);
  const region = findActiveRegion(audio.samples, audio.sampleRate, audio.channels);
  assert.ok(region, 'the recording is not silent');
  const heardMs = region.endMs - region.startMs;
  // Leave out the edges (codec ramp-in/out) when measuring the pitch.
  const from = Math.round((region.startMs + 50) * 48) * audio.channels;
  const to = Math.round((region.endMs - 50) * 48) * audio.channels;
  const frequency = estimateFrequency(audio.samples.subarray(from, to), audio.sampleRate, audio.channels);
  assert.ok(
    Math.abs(frequency - freq) / freq < 0.01,
    `pitch ${frequency.toFixed(1)} Hz, want ${freq} Hz ±1%`,
  );
  assert.ok(Math.abs(heardMs - lengthMs) <= 100, `heard ${heardMs} ms of tone, want ${lengthMs} ±100 ms`);
}

describe('patchbay CLI: serve, push, record', () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let serverStderr = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-cli-'));
    server = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--rtc-port', '0', '--rtc-bind', TEST_IP, '--log-level', 'warn'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stderr?.setEncoding('utf8').on('data', (s: string) => (serverStderr += s));
    const lines = createInterface({ input: server.stdout! });
    const exited = once(server, 'exit').then(([code]) => {
      throw new Error(`patchbay serve exited (${code}) before listening: ${serverStderr}`);
    });
    const [first] = (await Promise.race([once(lines, 'line'), exited])) as [string];
    const match =
      /^Patchbay listening on http:\/\/\S+ \(signaling (ws:\/\/\S+), media udp \S+ announced as \S+\)$/.exec(
        first,
      );
    assert.ok(match, `unexpected first line: ${first}`);
    url = match[1];
  });

  after(async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('record hears what push sends: a 3 s 1 kHz tone at 44.1 kHz stereo', TEST_TIMEOUT, async () => {
    const tone = join(dir, 'tone.wav');
    const out = join(dir, 'out.wav');
    await writeFile(
      tone,
      encodeWav({ sampleRate: 44100, channels: 2, samples: generateTone(1000, 44100, 2, 3) }),
    );
    // The window is counted in recorded frames from the recorder's join, and the tone starts only
    // after `push` has started, joined, connected and played its 300 ms lead-in. On the shared
    // 2-core machine under load that start alone was measured at 0.5-5.7 s after the recorder's
    // first frame (2026-12-02), so a 6 s window cut off the end of the tone (the "lost 0.4-0.8 s"
    // seen with and without RED). 10 s leaves the tone room to end inside the recording.
    const recording = patchbay(['record', out, '--channel', 'a', '--duration', '10', '--server', url]);
    await sleep(1000);
    const pushing = patchbay(['push', tone, '--channel', 'a', '--server', url]);
    const [pushed, recorded] = await Promise.all([pushing, recording]);
    assert.equal(pushed.code, 0, describeRun('push', pushed));
    assert.equal(recorded.code, 0, describeRun('record', recorded));
    assert.match(
      pushed.stdout,
      /^pushed 3\.0 s of .*tone\.wav \(44100 Hz stereo\) to channel "a" on ws:\/\//,
    );
    assert.equal(recorded.stdout, `wrote ${out}: 10.00 s, 1 users heard\n`);
    await assertHeardTone(out, 1000, 3000);
  });

  it('push - sends raw PCM from stdin, whatever the chunk boundaries', TEST_TIMEOUT, async () => {
    const out = join(dir, 'stdin.wav');
    const pcm = Buffer.from(generateTone(700, 16000, 1, 2).buffer);
    // Room for a slow `push` start, as above (a 4 s window cut the end of this 2 s tone).
    const recording = patchbay(['record', out, '--channel', 'b', '--duration', '8', '--server', url]);
    await sleep(1000);
    const pushed = await patchbay(
      ['push', '-', '--channel', 'b', '--rate', '16000', '--channels', '1', '--server', url],
      30_000,
      async (stdin) => {
        // Odd-sized writes, so reads split 16-bit samples.
        for (let i = 0; i < pcm.length; i += 777) {
          stdin.write(pcm.subarray(i, i + 777));
          await sleep(2);
        }
      },
    );
    const recorded = await recording;
    assert.equal(pushed.code, 0, describeRun('push -', pushed));
    assert.equal(recorded.code, 0, describeRun('record', recorded));
    await assertHeardTone(out, 700, 2000);
  });

  it('push of a missing file: one line, exit 1', TEST_TIMEOUT, async () => {
    const run = await patchbay(['push', join(dir, 'nope.wav'), '--channel', 'a', '--server', url]);
    assertOneLineError(run, /nope\.wav: no such file/);
  });

  it('push of an unsupported WAV names the format', TEST_TIMEOUT, async () => {
    const eightBit = join(dir, 'u8.wav');
    await writeFile(eightBit, eightBitWav(8000, 800));
    assertOneLineError(
      await patchbay(['push', eightBit, '--channel', 'a', '--server', url]),
      /u8\.wav: 8-bit PCM is not supported/,
    );
    const oddRate = join(dir, 'r22050.wav');
    await writeFile(oddRate, encodeWav({ sampleRate: 22050, channels: 1, samples: new Int16Array(2205) }));
    assertOneLineError(
      await patchbay(['push', oddRate, '--channel', 'a', '--server', url]),
      /r22050\.wav: a sample rate of 22050 Hz is not supported/,
    );
  });

  it('push to an unreachable server says so', TEST_TIMEOUT, async () => {
    const tone = join(dir, 'short.wav');
    await writeFile(
      tone,
      encodeWav({ sampleRate: 48000, channels: 1, samples: generateTone(440, 48000, 1, 0.2) }),
    );
    const run = await patchbay(['push', tone, '--channel', 'a', '--server', 'ws://127.0.0.1:1']);
    assertOneLineError(
      run,
      /^patchbay: cannot reach the Patchbay server at ws:\/\/127\.0\.0\.1:1 — is `patchbay serve` running\?$/,
    );
  });

  it('bad arguments are a usage error', TEST_TIMEOUT, async () => {
    const run = await patchbay(['record', join(dir, 'x.wav'), '--channel', 'a']);
    assert.equal(run.code, 2, describeRun('missing --duration', run));
    assert.match(run.stderr, /^patchbay: required option '--duration <seconds>' not specified\n$/);
  });

  it('serve exits 0 on SIGTERM', TEST_TIMEOUT, async () => {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, null, `serve died of ${signal}: ${serverStderr}`);
    assert.equal(code, 0, `serve exited ${code}: ${serverStderr}`);
  });
});
