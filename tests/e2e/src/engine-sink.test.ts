import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AudioExternalSourcePosition,
  AudioTrackType,
  createClient,
  estimateFrequency,
  generateTone,
  type NativeAudioFrame,
  type NodeClient,
  RawAudioFrameOpModeType,
  type RtcEngine,
  rms,
} from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { cleanUp, engineFor, listen, waitForFlow } from './engineSupport.js';
import { sleep, startServer, waitFor } from './support.js';

/** Copies observer frames and concatenates them; remembers every format seen. */
class NativeRecorder {
  readonly chunks: Int16Array[] = [];
  readonly formats = new Set<string>();
  readonly push = (frame: NativeAudioFrame): void => {
    const b = frame.buffer as Uint8Array;
    this.chunks.push(new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    this.formats.add(`${frame.samplesPerSec}/${frame.channels}/${frame.samplesPerChannel}/${b.byteLength}`);
  };
  get samples(): Int16Array {
    const out = new Int16Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/**
 * Frequency of interleaved PCM, measured on its longest run of audible (>5% RMS) 10 ms windows:
 * a stall of the shared test machine may leave a gap, which must not read as a pitch change.
 */
function pitchOf(samples: Int16Array, rate: number, channels: number): number {
  const win = (rate / 100) * channels;
  let best = { start: 0, length: 0 };
  let start = -1;
  const windows = Math.floor(samples.length / win);
  for (let w = 0; w <= windows; w++) {
    const loud = w < windows && rms(samples.subarray(w * win, (w + 1) * win)) > 0.05;
    if (loud && start < 0) start = w;
    if (!loud && start >= 0) {
      if (w - start > best.length) best = { start, length: w - start };
      start = -1;
    }
  }
  assert.ok(best.length > 20, `audible for ${best.length * 10} ms in one stretch`);
  return estimateFrequency(
    samples.subarray((best.start + 2) * win, (best.start + best.length - 2) * win),
    rate,
    channels,
  );
}

describe('engine: push positions, the sink and observers', () => {
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

  it('the playout-only position is heard locally and never sent', async () => {
    const l = await listen(server, 'playout', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    const local = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, {
      position: AudioExternalSourcePosition.AudioExternalPlayoutSource,
    });
    const sent = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, {
      enableLocalPlayback: false,
    });
    const played = new NativeRecorder();
    engine.setPlaybackAudioFrameParameters(
      48000,
      1,
      RawAudioFrameOpModeType.RawAudioFrameOpModeReadOnly,
      480,
    );
    engine.registerAudioFrameObserver({ onPlaybackAudioFrame: (_ch, f) => played.push(f) });
    await engine.joinChannel('', 'playout', 0, { publishMicrophoneTrack: false });
    await waitForFlow(l);
    void engine.pushExternalAudioFrame(generateTone(800, 48000, 1, 1.5), 0, 48000, 1, 2, local);
    await engine.waitForPlayout(local);
    // A sent track proves the stream carries audio at all.
    await engine.pushExternalAudioFrame(generateTone(450, 48000, 1, 0.6), 0, 48000, 1, 2, sent);
    await engine.waitForPlayout(sent);
    await sleep(400);
    l.stop();
    const heard = l.recorder.samples;
    const pitch = pitchOf(heard, 48000, 1);
    assert.ok(Math.abs(pitch - 450) < 10, `the listener hears only the sent track: ${pitch.toFixed(1)} Hz`);
    const heardMs = heard.length / 48;
    let loudMs = 0;
    for (let i = 0; i + 480 <= heard.length; i += 480)
      if (rms(heard.subarray(i, i + 480)) > 0.05) loudMs += 10;
    assert.ok(loudMs <= 700, `the listener heard ${loudMs} of ${heardMs} ms: only the 600 ms sent tone`);
    const localPitch = pitchOf(played.samples, 48000, 1);
    assert.ok(Math.abs(localPitch - 800) < 8, `played locally: ${localPitch.toFixed(1)} Hz`);
    await engine.leaveChannel();
    await l.client.leave();
  });

  it("the sink's pullAudioFrame returns what a remote user publishes", async () => {
    const engine = engineFor(server);
    engines.push(engine);
    engine.setExternalAudioSink(true, 16000, 1);
    const joinedUsers: number[] = [];
    const offline: string[] = [];
    const states: string[] = [];
    engine.registerEventHandler({
      onUserJoined: (_c, uid) => joinedUsers.push(uid),
      onUserOffline: (_c, uid, reason) => offline.push(`${uid}:${reason}`),
      onConnectionStateChanged: (_c, state, reason) => states.push(`${state}:${reason}`),
    });
    await engine.joinChannel('', 'sink', 0, { clientRoleType: 2 });
    const speaker = createClient({ server: server.url });
    clients.push(speaker);
    speaker.setExternalAudioSource(true, 44100, 2);
    await speaker.join('test-app', 'sink', null, 777);
    await waitFor(() => joinedUsers.includes(777), 5000, 'onUserJoined(777)');
    // The app pulls 10 ms per 10 ms of its own clock, as a playback device would (a late timer pulls two).
    const pulled: Int16Array[] = [];
    const frame: NativeAudioFrame = { samplesPerChannel: 160, buffer: new Uint8Array(320) };
    const t0 = performance.now();
    const timer = setInterval(() => {
      const due = Math.floor((performance.now() - t0) / 10);
      while (pulled.length < due) {
        assert.equal(engine.pullAudioFrame(frame), 0);
        pulled.push(new Int16Array((frame.buffer as Uint8Array).buffer.slice(0)));
      }
    }, 10);
    await sleep(1500);
    await speaker.pushExternalAudioFrame(generateTone(600, 44100, 2, 1.5));
    await speaker.externalAudioTrack?.waitForPlayout();
    await sleep(500);
    clearInterval(timer);
    assert.equal(frame.samplesPerSec, 16000);
    assert.equal(frame.channels, 1);
    const all = new Int16Array(pulled.length * 160);
    pulled.forEach((p, i) => all.set(p, i * 160));
    const pitch = pitchOf(all, 16000, 1);
    assert.ok(Math.abs(pitch - 600) < 6, `pulled ${pitch.toFixed(1)} Hz at 16 kHz, want 600`);
    let loudMs = 0;
    for (let i = 0; i + 160 <= all.length; i += 160) if (rms(all.subarray(i, i + 160)) > 0.05) loudMs += 10;
    assert.ok(loudMs >= 1350 && loudMs <= 1750, `pulled ${loudMs} ms of the tone, want 1500 (-150/+250)`);
    await speaker.leave();
    await waitFor(() => offline.includes('777:0'), 5000, 'onUserOffline(777, UserOfflineQuit)');
    await engine.leaveChannel();
    // Connecting (2, reason Connecting 0) -> Connected (3, JoinSuccess 1) -> Disconnected (1, LeaveChannel 5).
    assert.deepEqual(states, ['2:0', '3:1', '1:5']);
  });

  it('observers see frames at their configured format (record, playback, mixed, before mixing)', async () => {
    const engine = engineFor(server);
    engines.push(engine);
    const record = new NativeRecorder();
    const playback = new NativeRecorder();
    const mixed = new NativeRecorder();
    const perUser = new Map<number, NativeRecorder>();
    engine.setRecordingAudioFrameParameters(
      16000,
      1,
      RawAudioFrameOpModeType.RawAudioFrameOpModeReadOnly,
      320,
    );
    engine.setPlaybackAudioFrameParameters(
      44100,
      2,
      RawAudioFrameOpModeType.RawAudioFrameOpModeReadOnly,
      1764,
    );
    engine.setMixedAudioFrameParameters(32000, 1, 640);
    engine.setPlaybackAudioFrameBeforeMixingParameters(48000, 2);
    engine.getMediaEngine().registerAudioFrameObserver({
      onRecordAudioFrame: (_ch, f) => record.push(f),
      onPlaybackAudioFrame: (_ch, f) => playback.push(f),
      onMixedAudioFrame: (_ch, f) => mixed.push(f),
      onPlaybackAudioFrameBeforeMixing: (_ch, uid, f) => {
        if (!perUser.has(uid)) perUser.set(uid, new NativeRecorder());
        perUser.get(uid)?.push(f);
      },
    });
    const own = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, {
      enableLocalPlayback: false,
    });
    const volumes = new Map<number, number>();
    engine.registerEventHandler({
      onAudioVolumeIndication: (_c, speakers) => {
        for (const v of speakers)
          volumes.set(v.uid ?? -1, Math.max(volumes.get(v.uid ?? -1) ?? 0, v.volume ?? 0));
      },
    });
    engine.enableAudioVolumeIndication(200, 0, false);
    await engine.joinChannel('', 'observe', 0, {});
    const speaker = createClient({ server: server.url });
    clients.push(speaker);
    speaker.setExternalAudioSource(true, 48000, 1);
    await speaker.join('test-app', 'observe', null, 31);
    await waitFor(() => perUser.has(31), 8000, 'frames from user 31');
    const remoteDone = speaker.pushExternalAudioFrame(generateTone(650, 48000, 1, 1.5));
    await engine.pushExternalAudioFrame(generateTone(1200, 32000, 1, 1.5), 0, 32000, 1, 2, own);
    await remoteDone;
    await engine.waitForPlayout(own);
    await speaker.externalAudioTrack?.waitForPlayout();
    await sleep(500);
    assert.deepEqual([...record.formats], ['16000/1/320/640'], 'record: 16 kHz mono, 20 ms calls');
    assert.deepEqual(
      [...playback.formats],
      ['44100/2/882/3528'],
      'playback: 44.1 kHz stereo, 1764 samples per call',
    );
    assert.deepEqual([...mixed.formats], ['32000/1/640/1280'], 'mixed: 32 kHz mono');
    assert.deepEqual(
      [...(perUser.get(31)?.formats ?? [])],
      ['48000/2/480/1920'],
      'before mixing: 48 kHz stereo, 10 ms',
    );
    assert.ok(Math.abs(pitchOf(record.samples, 16000, 1) - 1200) < 12, 'record carries what we send');
    assert.ok(Math.abs(pitchOf(playback.samples, 44100, 2) - 650) < 7, 'playback carries the remote user');
    assert.ok(
      Math.abs(pitchOf(perUser.get(31)?.samples ?? new Int16Array(0), 48000, 2) - 650) < 7,
      'per-user frames too',
    );
    const m = mixed.samples;
    const loud: number[] = [];
    for (let i = 0; i + 320 <= m.length; i += 320) if (rms(m.subarray(i, i + 320)) > 0.05) loud.push(i);
    assert.ok(loud.length >= 140, `mixed is audible for ${loud.length * 10} ms`);
    assert.ok((volumes.get(31) ?? 0) > 100, `onAudioVolumeIndication: user 31 at ${volumes.get(31)}`);
    assert.ok((volumes.get(0) ?? 0) > 100, `onAudioVolumeIndication: local user at ${volumes.get(0)}`);
    await engine.leaveChannel();
    await speaker.leave();
  });

  it('the before-processing position runs noise suppression (RNNoise) before sending', async () => {
    const l = await listen(server, 'processing', 'listener');
    const engine = engineFor(server);
    clients.push(l.client);
    engines.push(engine);
    const raw = engine.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, {
      enableLocalPlayback: false,
    });
    const processed = engine.createCustomAudioTrack(AudioTrackType.AudioTrackDirect, {
      enableLocalPlayback: false,
      enableAudioProcessing: true,
    });
    await engine.joinChannel('', 'processing', 0, { publishCustomAudioTrackId: raw });
    await waitForFlow(l);
    // Red noise (deterministic), 3 s on the post-processing track, then 6 s on the pre-processing one.
    const noise = (seconds: number): Int16Array => {
      const out = new Int16Array(48000 * seconds);
      let x = 7;
      let b = 0;
      for (let i = 0; i < out.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        b = 0.98 * b + (((x >>> 0) / 0xffffffff) * 2 - 1) * 0.2;
        out[i] = Math.round(b * 0.3 * 32767);
      }
      return out;
    };
    const mark = () => l.recorder.samples.length;
    await engine.pushExternalAudioFrame(noise(3), 0, 48000, 1, 2, raw);
    await engine.waitForPlayout(raw);
    const rawEnd = mark();
    await engine.updateChannelMediaOptions({ publishCustomAudioTrackId: processed });
    await engine.pushExternalAudioFrame(noise(6), 0, 48000, 1, 2, processed);
    await engine.waitForPlayout(processed);
    const processedEnd = mark();
    l.stop();
    const s = l.recorder.samples;
    const before = rms(s.subarray(rawEnd - 48000 * 2, rawEnd - 48000));
    const after = rms(s.subarray(processedEnd - 48000 * 2, processedEnd - 48000));
    const db = 20 * Math.log10(before / after);
    console.log(
      `# heard noise: ${before.toFixed(4)} RMS unprocessed, ${after.toFixed(4)} processed (${db.toFixed(1)} dB less)`,
    );
    assert.ok(before > 0.03, `the unprocessed noise is heard (${before.toFixed(4)})`);
    assert.ok(db > 15, `noise suppression removed ${db.toFixed(1)} dB`);
    await engine.leaveChannel();
    await l.client.leave();
  });
});
