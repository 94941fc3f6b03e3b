import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generateTone, rms } from './audio/analysis.js';
import { LocalAudioMixer } from './LocalAudioMixer.js';
import { PcmAudioTrack } from './PcmAudioTrack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lastIndex = <T>(xs: T[], pred: (x: T) => boolean): number => {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i])) return i;
  return -1;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A mixer with one track, recording when (wall clock) each sent frame went out and what it held. */
async function rig(options: ConstructorParameters<typeof PcmAudioTrack>[0]) {
  const mixer = new LocalAudioMixer();
  const track = new PcmAudioTrack(options);
  await track.ready;
  mixer.add(track, { send: true });
  const frames: { at: number; samples: Int16Array; channels: number }[] = [];
  mixer.onRecordFrame((f) =>
    frames.push({ at: performance.now(), samples: Int16Array.from(f.samples), channels: f.channels }),
  );
  return { mixer, track, frames };
}

/**
 * Where a marker (a loud burst after silence) comes out: wall time of the frame that holds its
 * first loud sample, plus that sample's offset in the frame (the audio-time position).
 */
function markerOut(
  frames: { at: number; samples: Int16Array; channels: number }[],
  after: number,
): number | null {
  for (const f of frames) {
    if (f.at < after) continue;
    for (let i = 0; i < f.samples.length; i += f.channels) {
      if (Math.abs(f.samples[i]) > 3000) return f.at + i / f.channels / 48;
    }
  }
  return null;
}

describe('LocalAudioMixer + PcmAudioTrack: latency, exact playout, synchronous mode, drift', () => {
  const mixers: LocalAudioMixer[] = [];
  after(() => {
    for (const m of mixers) m.close();
  });

  it('measures the queue latency of real-time 10 ms pushes at the default setting (200 ms buffer)', async () => {
    const { mixer, track, frames } = await rig({ sampleRate: 48000, channels: 1 });
    mixers.push(mixer);
    mixer.start();
    const silence = new Int16Array(480);
    const marker = generateTone(1000, 48000, 1, 0.01, 0.5).fill(16000, 0, 4);
    const latencies: number[] = [];
    // Markers during which this process stalled (a 10 ms timer > 15 ms late) measure the machine, not the queue.
    const stalls: number[] = [];
    let lastBeat = performance.now();
    const beat = setInterval(() => {
      const now = performance.now();
      if (now - lastBeat > 25) stalls.push(now);
      lastBeat = now;
    }, 10);
    const t0 = performance.now();
    let pushed = 0;
    let markerAt = 0;
    // A real-time producer: a 10 ms timer pushing the frames that are due; a marker every 300 ms.
    while (pushed < 300) {
      const due = Math.floor((performance.now() - t0) / 10) + 1;
      while (pushed < due && pushed < 300) {
        const isMarker = pushed % 30 === 15;
        if (isMarker) markerAt = performance.now();
        void track.push(isMarker ? marker : silence);
        pushed++;
        if (isMarker) {
          const at = markerAt;
          setTimeout(() => {
            const out = markerOut(frames, at - 1);
            const stalled = stalls.some((s) => s > at - 300 && s < at + 150);
            if (out !== null && !stalled) latencies.push(out - at);
          }, 150);
        }
      }
      await sleep(10);
    }
    await sleep(300);
    clearInterval(beat);
    assert.ok(track.stats.pushedFrames === 300 * 480, 'every frame was queued');
    if (latencies.length === 0) {
      console.log(
        `# queue latency: every marker overlapped one of ${stalls.length} stalls of this process; not measured`,
      );
      return;
    }
    const m = median(latencies);
    console.log(
      `# queue latency, default 200 ms buffer, real-time 10 ms pushes: median ${m.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms (n=${latencies.length} of 10 markers; ${stalls.length} stalls)`,
    );
    // The jitter cushion is 30 ms and grows (up to 80 ms) when the producer's timer is late.
    if (latencies.length >= 3) assert.ok(m < 100, `median ${m.toFixed(1)} ms`);
    assert.ok(track.stats.pushedFrames === 300 * 480, 'every frame was queued');
  });

  it('measures the latency when the producer runs ahead and waits on back-pressure (queue full)', async () => {
    const { mixer, track, frames } = await rig({ sampleRate: 48000, channels: 1 });
    mixers.push(mixer);
    mixer.start();
    const tone = generateTone(300, 48000, 1, 1, 0.05);
    for (let i = 0; i < 3; i++) await track.push(tone); // the 200 ms queue is full from here on
    const marker = new Int16Array(480).fill(16000);
    const at = performance.now();
    const queued = track.queuedDurationMs;
    await track.push(marker);
    await track.waitForPlayout();
    const out = markerOut(frames, at - 1);
    assert.ok(out !== null);
    console.log(
      `# queue latency, default 200 ms buffer, producer ahead (back-pressure): ${(out - at).toFixed(1)} ms (queued at push: ${queued.toFixed(0)} ms)`,
    );
    assert.ok(Math.abs(out - at - queued) < 40, `latency ${(out - at).toFixed(1)} ms ≈ queued ${queued} ms`);
  });

  for (const rate of [48000, 44100]) {
    it(`synchronous mode (bufferMs 0) at ${rate} Hz sends inside push(): measured latency`, async () => {
      const { mixer, track, frames } = await rig({ sampleRate: rate, channels: 1, bufferMs: 0 });
      mixers.push(mixer);
      mixer.start();
      assert.throws(() => track.push(new Int16Array(rate / 100 + 1)), { code: 'INVALID_PCM_LENGTH' });
      const silence = new Int16Array(rate / 100);
      const marker = new Int16Array(rate / 100).fill(16000);
      const latencies: number[] = [];
      for (let n = 0; n < 100; n++) {
        const before = frames.length;
        const at = performance.now();
        await track.push(n % 20 === 10 ? marker : silence);
        assert.ok(frames.length === before + 1, 'one frame sent per 10 ms pushed, inside push()');
        if (n % 20 === 10 || n % 20 === 11) {
          const out = markerOut(frames.slice(before), 0);
          if (out !== null && n % 20 === 10) latencies.push(out - at);
          if (out !== null && n % 20 === 11) latencies.push(out - at + 10); // came out with the next push
        }
        await sleep(10);
      }
      const m = median(latencies);
      console.log(
        `# queue latency, synchronous mode, ${rate} Hz: median ${m.toFixed(2)} ms (audio time; n=${latencies.length})`,
      );
      assert.equal(track.stats.silenceFrames, 0, 'nothing is zero-filled when the app pushes on time');
      assert.ok(m < (rate === 48000 ? 2 : 12), `median ${m.toFixed(2)} ms`);
    });
  }

  it('waitForPlayout resolves in the tick that hands the last sample on, not when it is dequeued', async () => {
    const { mixer, track, frames } = await rig({ sampleRate: 44100, channels: 2 });
    mixers.push(mixer);
    mixer.start();
    await track.push(generateTone(500, 44100, 2, 0.5, 0.5));
    await track.waitForPlayout();
    const resolvedAt = frames.length;
    const lastLoud = lastIndex(frames, (f) => rms(f.samples) > 0.01);
    // The tail of the tone (the resampler's look-ahead) is in the frame just handed on.
    assert.equal(
      lastLoud,
      resolvedAt - 1,
      `last audible frame ${lastLoud}, resolved after frame ${resolvedAt - 1}`,
    );
    await sleep(50);
    assert.equal(
      lastIndex(frames, (f) => rms(f.samples) > 0.001),
      lastLoud,
      'nothing audible after',
    );
  });

  it('absorbs a producer clock 0.5% fast without growing delay', async () => {
    const track = new PcmAudioTrack({ sampleRate: 48000, channels: 1 });
    await track.ready;
    const frame = new Int16Array(480).fill(1000);
    // 60 s of simulated time: the producer pushes 201 frames per 200 the sender reads.
    for (let tick = 0; tick < 6000; tick++) {
      void track.push(frame);
      if (tick % 200 === 0) void track.push(frame);
      track.readFrame();
    }
    const skipped = track.stats.driftSkippedFrames;
    console.log(
      `# drift absorption: queue ${track.queuedDurationMs.toFixed(1)} ms after 60 s at +0.5%, ${skipped} frames skipped`,
    );
    assert.ok(
      track.queuedDurationMs < 80,
      `queue ${track.queuedDurationMs} ms (would be 330 ms without absorption)`,
    );
    assert.ok(skipped > 0 && skipped < 48000 * 0.01 * 60, 'skips only what drift added');
    track.close();
  });

  it('mixes tracks of different formats with their gains; playback routes are not sent', async () => {
    const mixer = new LocalAudioMixer();
    mixers.push(mixer);
    const a = new PcmAudioTrack({ sampleRate: 48000, channels: 1 });
    const b = new PcmAudioTrack({ sampleRate: 48000, channels: 2 });
    const c = new PcmAudioTrack({ sampleRate: 48000, channels: 1 });
    await Promise.all([a.ready, b.ready, c.ready]);
    mixer.add(a, { send: true, sendGain: 1 });
    mixer.add(b, { send: true, sendGain: 0.5 });
    mixer.add(c, { send: false, playback: true });
    assert.equal(mixer.channels, 2, 'a stereo track makes the send stereo');
    const sent: Int16Array[] = [];
    const played: Int16Array[] = [];
    mixer.onRecordFrame((f) => sent.push(Int16Array.from(f.samples)));
    mixer.onPlaybackFrame((f) => played.push(Int16Array.from(f.samples)));
    void a.push(new Int16Array(4800).fill(1000));
    void b.push(new Int16Array(9600).fill(2000));
    void c.push(new Int16Array(4800).fill(7000));
    mixer.start();
    await sleep(150);
    mixer.stop();
    const steady = sent.find((f) => f[0] !== 0);
    assert.ok(steady, 'something was sent');
    assert.equal(steady[0], 2000, '1000 + 0.5 x 2000, on the left');
    assert.equal(steady[1], 2000, 'and on the right');
    assert.ok(
      played.some((f) => f[0] === 7000),
      'the playback-only track is played',
    );
    assert.ok(!sent.some((f) => f.includes(7000) || f.includes(8000) || f.includes(9000)), 'and never sent');
  });
  it('gives an echo-cancelling processor what is played (local playback + echo sources) before it processes', async () => {
    const mixer = new LocalAudioMixer();
    mixers.push(mixer);
    const played = new PcmAudioTrack({ sampleRate: 48000, channels: 1 });
    const mic = new PcmAudioTrack({ sampleRate: 48000, channels: 1 });
    await Promise.all([played.ready, mic.ready]);
    const calls: string[] = [];
    const references: Int16Array[] = [];
    const processor = {
      reverse: (samples: Int16Array, channels: 1 | 2) => {
        assert.equal(channels, 2);
        calls.push('reverse');
        references.push(Int16Array.from(samples));
      },
      process: (samples: Int16Array) => {
        calls.push('process');
        samples.fill(100); // the processed frame is what is sent and played
      },
    };
    mixer.add(played, { send: false, playback: true, playbackGain: 0.5 });
    mixer.add(mic, { send: true, playback: true, processor });
    // A remote source delivering 300 on every frame (as a RemoteAudioTrack would).
    let emit:
      | ((f: { samples: Int16Array; sampleRate: number; channels: 1 | 2; samplesPerChannel: number }) => void)
      | null = null;
    const remove = mixer.addEchoReference({
      onAudioFrame: (cb) => {
        emit = cb;
        return () => {
          emit = null;
        };
      },
    });
    const remoteTimer = setInterval(
      () =>
        emit?.({
          samples: new Int16Array(480).fill(300),
          sampleRate: 48000,
          channels: 1,
          samplesPerChannel: 480,
        }),
      10,
    );
    const sent: Int16Array[] = [];
    const playback: Int16Array[] = [];
    mixer.onRecordFrame((f) => sent.push(Int16Array.from(f.samples)));
    mixer.onPlaybackFrame((f) => playback.push(Int16Array.from(f.samples)));
    void played.push(new Int16Array(9600).fill(8000));
    void mic.push(new Int16Array(9600).fill(2000));
    mixer.start();
    await sleep(150);
    mixer.stop();
    clearInterval(remoteTimer);
    remove();
    assert.ok(
      calls.length > 4 && calls.every((c, i) => c === (i % 2 === 0 ? 'reverse' : 'process')),
      'reverse, then process, each tick',
    );
    assert.ok(
      references.some((r) => r[0] === 4000 && r[1] === 4000),
      'the reference holds the local playback at its gain',
    );
    assert.ok(
      references.some((r) => r[0] === 4300),
      'and the echo source',
    );
    assert.ok(!references.some((r) => r[0] === 4100 || r[0] === 4400), 'but not the processed track itself');
    assert.ok(
      sent.some((f) => f[0] === 100) && !sent.some((f) => f[0] === 2000),
      'what is sent is processed',
    );
    assert.ok(
      playback.some((f) => f[0] === 4100),
      'the processed track is played after the unprocessed ones',
    );
  });
});
