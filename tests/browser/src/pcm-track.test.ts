import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type NodeClient } from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import type { Page } from 'playwright-core';
import { exactEdges, loudRegion, run, startAppServer, zeroCrossFrequency } from './appSupport.js';
import { type Browser, FrameRecorder, launchBrowser, openPage, sleep, waitFor } from './support.js';

/** Page-side source: a linear chirp f0 -> f1 Hz over `seconds`, mono Float32 at `rate`, amplitude 0.5. */
const CHIRP = `(f0, f1, seconds, rate) => {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    out[i] = 0.5 * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * seconds)));
  }
  return out;
}`;

describe('browser PCM push track (createPcmAudioTrack)', () => {
  let server: PatchbayServer;
  let browser: Browser;
  const nodeClients: NodeClient[] = [];

  before(async () => {
    server = await startAppServer();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of nodeClients) await c.leave().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  /** A Node listener in `channel` recording whoever publishes. */
  async function listen(channel: string): Promise<{ client: NodeClient; recorder: FrameRecorder }> {
    const client = createClient({ server: server.url });
    nodeClients.push(client);
    const recorder = new FrameRecorder();
    client.on('user-published', (user) => {
      void client.subscribe(user, 'audio').then((track) => track.onAudioFrame(recorder.push));
    });
    await client.join('test-app', channel, null, `listener-${channel}`);
    return { client, recorder };
  }

  async function publishPcmTrack(page: Page, channel: string, bufferMs: number): Promise<void> {
    await run(
      page,
      `async ({ channel, bufferMs }) => {
        const P = window.Patchbay;
        const client = P.createClient({ mode: 'rtc', codec: 'vp8' });
        await client.join('test-app', channel, null, 'pcm-page');
        const track = P.createPcmAudioTrack({ sampleRate: 48000, channels: 1, bufferMs });
        await track.ready;
        await client.publish(track);
        window.pcm = { client, track, chirp: ${CHIRP} };
      }`,
      { channel, bufferMs },
    );
  }

  test('a pushed 2 s chirp plays at the right pace: back-pressure, waitForPlayout, duration and pitch', async () => {
    const { client: listener, recorder } = await listen('pcm-a');
    const page = await openPage(browser, server);
    await publishPcmTrack(page, 'pcm-a', 200);
    await waitFor(() => listener.remoteUsers.some((u) => u.audioTrack), 10000, 'subscription');
    await sleep(800);
    recorder.clear();
    const timing = await run<Record<string, number>>(
      page,
      `async () => {
        const { track, chirp } = window.pcm;
        const start = performance.now();
        const pushed = track.push(chirp(300, 1500, 2, 48000));
        const queuedAtStart = track.queuedDurationMs;
        await pushed;
        const pushResolved = performance.now() - start;
        const queuedAtResolve = track.queuedDurationMs;
        await track.waitForPlayout();
        const played = performance.now() - start;
        await new Promise((r) => setTimeout(r, 300));
        const s = track.stats;
        return { queuedAtStart, pushResolved, queuedAtResolve, played, playedFrames: s.playedFrames,
          pushedFrames: s.pushedFrames, underruns: s.underruns, silence: s.silenceFrames, queuedEnd: track.queuedDurationMs };
      }`,
    );
    console.log(`PCM track timing: ${JSON.stringify(timing)}`);
    assert.equal(Math.round(timing.queuedAtStart), 2000, 'all 2 s count as queued');
    assert.ok(
      timing.pushResolved > 1650 && timing.pushResolved < 2000,
      `push() resolves once the last 200 ms fit in the ring (${timing.pushResolved.toFixed(0)} ms)`,
    );
    assert.ok(timing.queuedAtResolve <= 215, `at most bufferMs queued then (${timing.queuedAtResolve})`);
    assert.ok(
      timing.played > 1950 && timing.played < 2200,
      `waitForPlayout after ~2 s (${timing.played.toFixed(0)} ms)`,
    );
    assert.equal(timing.playedFrames, 96000);
    assert.equal(timing.pushedFrames, 96000);
    assert.equal(timing.queuedEnd, 0);
    assert.ok(
      timing.underruns >= 1 && timing.silence > 0,
      'the end of the audio counts as an underrun, then silence',
    );

    await sleep(500);
    const samples = recorder.samples;
    const region = loudRegion(samples);
    assert.ok(region, 'the listener heard the chirp');
    const [start, end] = exactEdges(samples, region);
    const seconds = (end - start) / 48000;
    // Headless Chromium's audio clock (no sound card) runs a little behind the wall clock at
    // times; the receiver then stretches what it hears by as much. So: at least the 2 s pushed,
    // and no more than the wall-clock time the page took to play them.
    assert.ok(
      seconds > 1.97 && seconds < timing.played / 1000 + 0.06,
      `heard ${seconds.toFixed(3)} s of chirp; 2 s were pushed and played in ${timing.played.toFixed(0)} ms`,
    );
    // The pitch follows the chirp's time line: f(t) = 300 + 600 t.
    for (const t of [0.25, 0.75, 1.25, 1.75]) {
      const at = start + Math.round(t * 48000);
      const f = zeroCrossFrequency(samples.subarray(at - 2400, at + 2400));
      const expected = 300 + 600 * t;
      assert.ok(
        Math.abs(f - expected) / expected < 0.02,
        `at ${t} s heard ${f.toFixed(1)} Hz, expected ${expected}`,
      );
    }
    await page.close();
  });

  test('clearBuffer() cuts a playing chirp within 20 ms of audio; the listener hears it stop there', async () => {
    const { client: listener, recorder } = await listen('pcm-b');
    const page = await openPage(browser, server);
    await publishPcmTrack(page, 'pcm-b', 5000);
    await waitFor(() => listener.remoteUsers.some((u) => u.audioTrack), 10000, 'subscription');
    await sleep(800);
    recorder.clear();
    const cut = await run<Record<string, number>>(
      page,
      `async () => {
        const { track, chirp } = window.pcm;
        const ctx = window.Patchbay.getAudioContext();
        const done = track.push(chirp(300, 1500, 3, 48000));
        while (track._workletStatus.taken < 48000) await new Promise((r) => setTimeout(r, 2));
        const before = track._workletStatus;
        const callFrame = ctx.currentTime * ctx.sampleRate;
        const dropped = track.clearBuffer();
        const queuedAfter = track.queuedDurationMs;
        await done;
        await track.waitForPlayout();
        await new Promise((r) => setTimeout(r, 100));
        const s = track._workletStatus;
        const playedAtCut = s.taken - s.cleared;
        return { callPosition: callFrame - before.firstOutputFrame, playedAtCut, dropped, queuedAfter,
          cleared: track.stats.clearedFrames, underruns: track.stats.underruns };
      }`,
    );
    console.log(`clearBuffer: ${JSON.stringify(cut)}`);
    const lagMs = ((cut.playedAtCut - cut.callPosition) / 48000) * 1000;
    assert.ok(lagMs > -6 && lagMs <= 20, `audio played after clearBuffer(): ${lagMs.toFixed(1)} ms`);
    assert.equal(cut.queuedAfter, 0);
    assert.ok(cut.dropped > 1800 && cut.dropped < 2050, `dropped ${cut.dropped} ms`);
    assert.equal(cut.playedAtCut + cut.cleared, 144000, 'played + cleared = pushed');

    await sleep(600);
    const samples = recorder.samples;
    const region = loudRegion(samples);
    assert.ok(region, 'the listener heard the chirp');
    const [start, end] = exactEdges(samples, region);
    const heardMs = ((end - start) / 48000) * 1000;
    const playedMs = (cut.playedAtCut / 48000) * 1000;
    assert.ok(
      Math.abs(heardMs - playedMs) < 30,
      `heard ${heardMs.toFixed(0)} ms, the track played ${playedMs.toFixed(0)} ms`,
    );
    // The pitch just before the cut says where in the chirp the listener stopped hearing it
    // (f = 300 + 400 t); the last 20 ms, where the cut's click is, are left out.
    const tail = zeroCrossFrequency(samples.subarray(end - 960 - 2400, end - 960));
    const expected = 300 + 400 * ((cut.playedAtCut - 960 - 1200) / 48000);
    assert.ok(
      Math.abs(tail - expected) / expected < 0.03,
      `last pitch ${tail.toFixed(1)} Hz, expected ${expected.toFixed(1)}`,
    );
    await page.close();
  });

  test('bad pushes and formats are rejected with codes; nothing queued is lost', async () => {
    const page = await openPage(browser, server);
    const out = await run<Record<string, unknown>>(
      page,
      `async () => {
        const P = window.Patchbay;
        const code = (f) => { try { f(); return 'accepted'; } catch (e) { return e.name + ':' + e.code; } };
        const out = {};
        out.rate = code(() => P.createPcmAudioTrack({ sampleRate: 22050, channels: 1 }));
        out.channels = code(() => P.createPcmAudioTrack({ sampleRate: 48000, channels: 3 }));
        out.bufferMs = code(() => P.createPcmAudioTrack({ sampleRate: 48000, channels: 1, bufferMs: 0 }));
        const track = P.createPcmAudioTrack({ sampleRate: 16000, channels: 2, bufferMs: 1000 });
        await track.ready;
        track.play();
        const good = new Int16Array(16000 * 2 / 2); // 500 ms of stereo
        for (let i = 0; i < good.length; i++) good[i] = Math.round(8000 * Math.sin(i / 5));
        const accepted = track.push(good, Date.now());
        const queued = track.queuedDurationMs;
        out.type = code(() => track.push('not pcm'));
        out.array = code(() => track.push([1, 2, 3, 4]));
        out.bytes = code(() => track.push(new Uint8Array(8)));
        out.odd = code(() => track.push(new Int16Array(3)));
        out.empty = code(() => track.push(new Float32Array(0)));
        out.nan = code(() => track.push(new Float32Array([0, NaN])));
        out.loud = code(() => track.push(new Float32Array([0.5, 1.5])));
        out.timestamp = code(() => track.push(new Int16Array(2), 'soon'));
        out.queuedKept = track.queuedDurationMs === queued;
        await accepted;
        await track.waitForPlayout();
        out.played = track.stats.playedFrames;
        out.pushed = track.stats.pushedFrames;
        track.close();
        out.closed = code(() => track.push(new Int16Array(2)));
        return out;
      }`,
    );
    assert.deepEqual(out, {
      rate: 'PatchbayError:UNSUPPORTED_AUDIO_FORMAT',
      channels: 'PatchbayError:UNSUPPORTED_AUDIO_FORMAT',
      bufferMs: 'PatchbayError:INVALID_PARAMS',
      type: 'PatchbayError:INVALID_PCM_TYPE',
      array: 'PatchbayError:INVALID_PCM_TYPE',
      bytes: 'PatchbayError:INVALID_PCM_TYPE',
      odd: 'PatchbayError:INVALID_PCM_LENGTH',
      empty: 'PatchbayError:INVALID_PCM_LENGTH',
      nan: 'PatchbayError:INVALID_PCM_VALUE',
      loud: 'PatchbayError:INVALID_PCM_VALUE',
      timestamp: 'PatchbayError:INVALID_PARAMS',
      queuedKept: true,
      played: 8000,
      pushed: 8000,
      closed: 'PatchbayError:INVALID_OPERATION',
    });
    await page.close();
  });
});
