import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createClient, generateTone, type NodeClient } from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { startServer, waitFor } from './support.js';

const BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));

interface Sample {
  activeSpeaker: string | null;
  participants: {
    uid: string;
    level: number;
    bitrateIn: number;
    tracks: number;
    subscriptions: { from: string; lossPercent: number | null }[];
  }[];
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('patchbay stats --channel', () => {
  let server: PatchbayServer;
  const clients: NodeClient[] = [];
  let pushing = true;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    pushing = false;
    for (const c of clients) await c.leave().catch(() => undefined);
    await server.close();
  });

  it('prints one JSON line per second with levels, bitrate, tracks and loss', async () => {
    const listener = createClient({ server: server.url });
    clients.push(listener);
    let frames = 0;
    listener.on('user-published', (user) => {
      void listener.subscribe(user, 'audio').then((track) => track.onAudioFrame(() => frames++));
    });
    await listener.join('test-app', 'cli', null, 'listener');
    const publisher = createClient({ server: server.url });
    clients.push(publisher);
    publisher.setExternalAudioSource(true, 48000, 1);
    await publisher.join('test-app', 'cli', null, 'speaker');
    const tone = generateTone(440, 48000, 1, 0.1, 0.5);
    void (async () => {
      while (pushing) await publisher.pushExternalAudioFrame(tone);
    })();
    await waitFor(() => frames > 100, 8000, 'the listener hears');

    const t0 = Date.now();
    const { code, stdout, stderr } = await run([
      'stats',
      '--channel',
      'cli',
      '--app-id',
      'test-app',
      '--server',
      server.url,
      '--count',
      '3',
    ]);
    const elapsed = Date.now() - t0;
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.ok(elapsed >= 2000, `three samples a second apart took ${elapsed} ms`);
    const last = JSON.parse(lines[2]) as Sample;
    console.log(`# ${lines[2]}`);
    const speaker = last.participants.find((p) => p.uid === 'speaker');
    const heard = last.participants.find((p) => p.uid === 'listener');
    assert.ok(speaker && heard);
    assert.ok(speaker.level > 60, `level ${speaker.level}`);
    // RED (the server's default) about doubles it: measured 204.6 kbps, 105.5 without.
    assert.ok(speaker.bitrateIn > 16_000 && speaker.bitrateIn < 400_000, `bitrate ${speaker.bitrateIn}`);
    assert.equal(speaker.tracks, 1);
    assert.equal(heard.tracks, 1);
    assert.equal(heard.level, 0);
    assert.equal(heard.subscriptions[0]?.from, 'speaker');
    assert.equal(heard.subscriptions[0]?.lossPercent, 0);
    assert.equal(last.activeSpeaker, 'speaker');
    assert.doesNotMatch(stdout, /token/i);
  });

  it('an empty channel is an empty list; an unreachable server is a one-line error', async () => {
    const empty = await run(['stats', '--channel', 'nobody', '--server', server.url, '--count', '1']);
    assert.equal(empty.code, 0, empty.stderr);
    assert.deepEqual((JSON.parse(empty.stdout) as Sample).participants, []);
    const down = await run(['stats', '--channel', 'x', '--server', 'http://127.0.0.1:1', '--count', '1']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^patchbay: cannot reach the server at http:\/\/127\.0\.0\.1:1/);
  });
});
