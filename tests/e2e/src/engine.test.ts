import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AudioTrackType,
  ClientRoleType,
  generateTone,
  type NodeClient,
  type RtcEngine,
} from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import {
  analyse,
  assertPitch,
  cleanUp,
  engineFor,
  listen,
  StallMeter,
  waitForFlow,
} from './engineSupport.js';
import { sleep, startServer } from './support.js';

/**
 * Agora's own custom-audio sample flows, rewritten against the native-style engine: a listener
 * in the channel checks what it hears (pitch, length, real-time pacing).
 */
describe('engine: the native sample flows', () => {
  let server: PatchbayServer;
  const clients: NodeClient[] = [];
  const engines: RtcEngine[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await cleanUp(clients, engines);
    await server.close();
  });

  it('a file pushed as 10 ms frames paced by a timer (44.1 kHz stereo, pushAudioFrame)', async () => {
    const l = await listen(server, 'flow-10ms', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    const trackId = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, {
      enableLocalPlayback: false,
    });
    const joined: number[] = [];
    engine.registerEventHandler({ onJoinChannelSuccess: (conn) => joined.push(conn.localUid ?? -1) });
    await engine.joinChannel('', 'flow-10ms', 0, {
      publishCustomAudioTrack: true,
      publishCustomAudioTrackId: trackId,
      publishMicrophoneTrack: false,
      clientRoleType: ClientRoleType.ClientRoleBroadcaster,
    });
    assert.equal(joined.length, 1, 'onJoinChannelSuccess fired once');
    assert.ok(joined[0] > 0, 'a server-assigned uid');
    await waitForFlow(l);
    const file = generateTone(1000, 44100, 2, 2, 0.5);
    const frameSamples = 441 * 2;
    const buffer = new Uint8Array(frameSamples * 2);
    const view = new Int16Array(buffer.buffer);
    const media = engine.getMediaEngine();
    // As the native sample does: a 10 ms timer, the buffer reused, promises ignored. The timer
    // pushes the frames that are due by the clock (a late tick pushes two), as a real-time source does.
    let at = 0;
    const stalls = new StallMeter();
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(file.length, (Math.floor((performance.now() - t0) / 10) + 1) * frameSamples);
        while (at < due) {
          view.set(file.subarray(at, at + frameSamples));
          at += frameSamples;
          void media.pushAudioFrame(
            {
              type: 0,
              samplesPerChannel: 441,
              bytesPerSample: 2,
              channels: 2,
              samplesPerSec: 44100,
              buffer,
              renderTimeMs: Date.now(),
            },
            trackId,
          );
        }
        if (at >= file.length) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    await engine.waitForPlayout(trackId);
    const stalled = stalls.stop();
    await sleep(400);
    l.stop();
    const heard = analyse(l.recorder.samples);
    assertPitch(heard.frequency, 1000, heard.map);
    // Every pushed frame is heard. Under CPU load the listener's jitter buffer may stretch a late
    // stretch of audio (packet-loss concealment of a tone is a tone), so allow more above than below.
    assert.ok(
      heard.audibleMs >= 1900 && heard.audibleMs <= 2250,
      `heard ${heard.audibleMs} ms of tone, want 2000 (-100/+250) ${heard.map}`,
    );
    assert.ok(
      heard.spanMs >= 1900 && heard.spanMs <= 2250 + stalled,
      `span ${heard.spanMs} ms: in real time (the process stalled ${stalled.toFixed(0)} ms) ${heard.map}`,
    );
    const stats = engine.getCustomAudioTrack(trackId)?.stats;
    assert.equal(stats?.pushedFrames, 88200, 'every frame was accepted');
    await engine.leaveChannel();
    await l.client.leave();
  });

  it('100 ms chunks through pushExternalAudioFrame (3.x setExternalAudioSource, 16 kHz mono, awaited)', async () => {
    const l = await listen(server, 'flow-100ms', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    engine.setExternalAudioSource(true, 16000, 1);
    await engine.joinChannel('', 'flow-100ms', 4242, { publishMicrophoneTrack: false });
    await waitForFlow(l);
    const tone = generateTone(700, 16000, 1, 1.5, 0.5);
    const bytes = Buffer.from(tone.buffer);
    const chunk = 1600 * 2;
    const stalls = new StallMeter();
    for (let i = 0; i < bytes.length; i += chunk) {
      await engine.pushExternalAudioFrame(bytes.subarray(i, i + chunk), Date.now(), 16000, 1, 2, 0);
    }
    await engine.waitForPlayout(0);
    const stalled = stalls.stop();
    await sleep(400);
    l.stop();
    const heard = analyse(l.recorder.samples);
    assertPitch(heard.frequency, 700, heard.map);
    assert.ok(
      heard.audibleMs >= 1400 && heard.audibleMs <= 1750,
      `heard ${heard.audibleMs} ms, want 1500 (-100/+250) ${heard.map}`,
    );
    assert.ok(
      heard.spanMs >= 1400 && heard.spanMs <= 1800 + stalled,
      `span ${heard.spanMs} ms (stalled ${stalled.toFixed(0)} ms) ${heard.map}`,
    );
    assert.equal(engine.getCustomAudioTrack(0)?.stats.underruns, 1, 'one underrun: at the end only');
    await engine.leaveChannel();
    assert.throws(() => engine.pushExternalAudioFrame(bytes.subarray(0, 320), 0, 16000, 1, 2, 0), {
      code: 'EXTERNAL_SOURCE_NOT_ENABLED',
    });
    await l.client.leave();
  });

  it('10 s pushed at once: all of it plays, in real time, and waitForPlayout resolves at its end', async () => {
    const l = await listen(server, 'flow-10s', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    engine.setExternalAudioSource(true, 48000, 1);
    await engine.joinChannel('', 'flow-10s', 0, {});
    await waitForFlow(l);
    const tone = generateTone(900, 48000, 1, 10, 0.5);
    const stalls = new StallMeter();
    const startedAt = performance.now();
    const pushed = engine.pushExternalAudioFrame(tone, 0, 48000, 1, 2, 0);
    assert.ok(engine.getQueuedDurationMs(0) >= 9990, 'everything is queued');
    await pushed;
    const queuedWhenAccepted = performance.now() - startedAt;
    await engine.waitForPlayout(0);
    const playedAfter = performance.now() - startedAt;
    const stalled = stalls.stop();
    await sleep(400);
    l.stop();
    const heard = analyse(l.recorder.samples);
    assertPitch(heard.frequency, 900, heard.map);
    assert.ok(
      heard.audibleMs >= 9850 && heard.audibleMs <= 10300,
      `heard ${heard.audibleMs} ms, want 10000 (-150/+300)`,
    );
    assert.ok(
      heard.spanMs >= 9800 && heard.spanMs <= 10400 + stalled,
      `span ${heard.spanMs} ms: real time, not faster`,
    );
    // The push resolves once the rest fits in the 200 ms queue; playout ends 10 s after the start.
    assert.ok(
      queuedWhenAccepted >= 9600 && queuedWhenAccepted <= 10100 + stalled,
      `push resolved after ${queuedWhenAccepted} ms`,
    );
    // The send clock is never early; when a stall delays the first frame it catches up (<= 50 ms).
    assert.ok(
      playedAfter >= 9930 && playedAfter <= 10400 + stalled,
      `waitForPlayout resolved after ${playedAfter} ms`,
    );
    assert.equal(engine.getQueuedDurationMs(0), 0);
    await engine.leaveChannel();
    await l.client.leave();
  });
});
