import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AudioTrackType, generateTone, type NodeClient, type RtcEngine, rms } from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { analyse, assertPitch, cleanUp, engineFor, listen, toneLevel, waitForFlow } from './engineSupport.js';
import { sleep, startServer } from './support.js';

/** Tone levels of a 48 kHz recording slice, for the frequencies asked. */
function levels(samples: Int16Array, fromMs: number, toMs: number, freqs: number[]): number[] {
  const slice = samples.subarray(Math.round(fromMs * 48), Math.round(toMs * 48));
  return freqs.map((f) => toneLevel(slice, 48000, f));
}

describe('engine: buffer control and mixing', () => {
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

  it('clearBuffer in the middle of speech stops it at once; the next push plays', async () => {
    const l = await listen(server, 'clear', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    const id = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, { bufferMs: 5000 });
    // What is handed to the encoder, 10 ms at a time: loud or not.
    const sent: boolean[] = [];
    engine.registerAudioFrameObserver({
      onRecordAudioFrame: (_ch, f) => {
        const b = f.buffer as Uint8Array;
        sent.push(rms(new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2)) > 0.05);
      },
    });
    await engine.joinChannel('', 'clear', 0, { publishCustomAudioTrackId: id });
    await waitForFlow(l);
    // 3 s of "speech" at once (a 5 s queue holds it all); cut after about 1 s.
    void engine.pushExternalAudioFrame(generateTone(600, 48000, 1, 3), 0, 48000, 1, 2, id);
    const track = engine.getCustomAudioTrack(id);
    assert.ok(track);
    const startPlayed = track.stats.playedFrames;
    await sleep(1000);
    const playedBeforeClear = (track.stats.playedFrames - startPlayed) / 48;
    const dropped = engine.clearBuffer(id);
    const sentAtClear = sent.length;
    assert.equal(engine.getQueuedDurationMs(id), 0, 'nothing left queued');
    assert.ok(
      Math.abs(dropped + playedBeforeClear - 3000) <= 1,
      `dropped ${dropped} + played ${playedBeforeClear} = 3000 ms`,
    );
    const playout = performance.now();
    await engine.waitForPlayout(id);
    const playoutMs = performance.now() - playout;
    assert.ok(playoutMs <= 30, `waitForPlayout after clearBuffer resolved in ${playoutMs.toFixed(1)} ms`);
    await sleep(600);
    const afterClear = sent.slice(sentAtClear).filter(Boolean).length;
    assert.ok(
      afterClear <= 2,
      `${afterClear * 10} ms of the cut speech were still sent after clearBuffer() (max 20)`,
    );
    // Then a new phrase (barge-in reply) plays normally.
    const split = l.recorder.samples.length;
    await engine.pushExternalAudioFrame(generateTone(1100, 48000, 1, 0.5), 0, 48000, 1, 2, id);
    await engine.waitForPlayout(id);
    await sleep(400);
    l.stop();
    const samples = l.recorder.samples;
    const first = analyse(samples.subarray(0, split));
    assertPitch(first.frequency, 600, first.map);
    // The listener heard what was sent before the cut (its jitter buffer may stretch a little under load).
    assert.ok(
      first.audibleMs >= playedBeforeClear - 30 && first.audibleMs <= playedBeforeClear + 150,
      `heard ${first.audibleMs} ms before the cut, ${playedBeforeClear} ms were sent ${first.map}`,
    );
    const second = analyse(samples.subarray(split));
    assertPitch(second.frequency, 1100, second.map);
    assert.ok(second.audibleMs >= 440 && second.audibleMs <= 700, `reply heard for ${second.audibleMs} ms`);
    await engine.leaveChannel();
    await l.client.leave();
  });

  it('two Mixable tracks are mixed; a Direct track then replaces them', async () => {
    const l = await listen(server, 'mix', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    const a = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, { enableLocalPlayback: false });
    const b = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, { enableLocalPlayback: false });
    const direct = engine.createCustomAudioTrack(AudioTrackType.AudioTrackDirect, {
      enableLocalPlayback: false,
    });
    await engine.joinChannel('', 'mix', 0, { publishCustomAudioTrackId: a, publishMicrophoneTrack: false });
    await waitForFlow(l);
    // Different formats on purpose: 16 kHz mono and 44.1 kHz stereo, mixed at 48 kHz.
    void engine.pushExternalAudioFrame(generateTone(500, 16000, 1, 9, 0.3), 0, 16000, 1, 2, a);
    void engine.pushExternalAudioFrame(generateTone(1300, 44100, 2, 9, 0.3), 0, 44100, 2, 2, b);
    void engine.pushExternalAudioFrame(generateTone(2100, 48000, 1, 9, 0.3), 0, 48000, 1, 2, direct);
    const t0 = l.recorder.samples.length / 48;
    await sleep(1800);
    await engine.updateChannelMediaOptions({ publishCustomAudioTrackId: direct });
    const t1 = l.recorder.samples.length / 48;
    await sleep(2000);
    const t2 = l.recorder.samples.length / 48;
    const samples = l.recorder.samples;
    const [m500, m1300, m2100] = levels(samples, t0 + 500, t1 - 100, [500, 1300, 2100]);
    assert.ok(
      m500 > 0.1 && m1300 > 0.1,
      `both Mixable tones heard: 500 Hz ${m500.toFixed(3)}, 1300 Hz ${m1300.toFixed(3)}`,
    );
    assert.ok(m2100 < 0.01, `the unselected Direct track is not sent (2100 Hz ${m2100.toFixed(3)})`);
    const [d500, d1300, d2100] = levels(samples, t1 + 1000, t2, [500, 1300, 2100]);
    assert.ok(d2100 > 0.1, `the Direct track is heard (2100 Hz ${d2100.toFixed(3)})`);
    assert.ok(
      d500 < 0.01 && d1300 < 0.01,
      `and replaces the Mixable ones (${d500.toFixed(3)}, ${d1300.toFixed(3)})`,
    );
    // Publish volume: the Direct track at 50 sends half the amplitude.
    engine.adjustCustomAudioPublishVolume(direct, 50);
    await sleep(1500);
    const t3 = l.recorder.samples.length / 48;
    const [half] = levels(l.recorder.samples, t3 - 700, t3, [2100]);
    l.stop();
    assert.ok(
      Math.abs(half / d2100 - 0.5) < 0.15,
      `volume 50 gives ${(half / d2100).toFixed(2)} of the level`,
    );
    await engine.leaveChannel();
    await l.client.leave();
  });
});
