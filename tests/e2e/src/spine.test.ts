import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  estimateFrequency,
  findActiveRegion,
  generateTone,
  type NodeClient,
  rms,
} from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { FrameRecorder, sleep, startServer, waitFor } from './support.js';

/** A listener that subscribes to everyone and records the mix. */
async function listener(server: PatchbayServer, channel: string, uid: string) {
  const client = createClient({ server: server.url });
  const recorder = new FrameRecorder();
  const stop = client.onMixedAudioFrame(recorder.push);
  const published: string[] = [];
  const flowing = { frames: 0 };
  client.on('user-published', (user) => {
    published.push(String(user.uid));
    client
      .subscribe(user, 'audio')
      .then((track) => track.onAudioFrame(() => flowing.frames++))
      .catch((error) => assert.fail(error));
  });
  await client.join('test-app', channel, null, uid);
  return { client, recorder, stop, published, flowing };
}

/** Milliseconds of 10 ms windows louder than 5% RMS: the tone's heard length, gaps excluded. */
function audibleMs(samples: Int16Array): number {
  let ms = 0;
  for (let i = 0; i + 480 <= samples.length; i += 480) if (rms(samples.subarray(i, i + 480)) > 0.05) ms += 10;
  return ms;
}

function analyse(samples: Int16Array) {
  const region = findActiveRegion(samples, 48000, 1);
  assert.ok(region, 'the listener heard something');
  const tone = samples.subarray(Math.round((region.startMs + 50) * 48), Math.round((region.endMs - 50) * 48));
  return {
    spanMs: region.endMs - region.startMs,
    audibleMs: audibleMs(samples),
    frequency: estimateFrequency(tone, 48000, 1),
  };
}

describe('spine: a Node app pushes PCM, everyone in the channel hears it', () => {
  let server: PatchbayServer;
  const clients: NodeClient[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    await server.close();
  });

  const cases: Array<{ rate: number; channels: 1 | 2; freq: number }> = [
    { rate: 44100, channels: 2, freq: 1000 },
    { rate: 8000, channels: 1, freq: 440 },
    { rate: 16000, channels: 1, freq: 700 },
    { rate: 32000, channels: 2, freq: 1200 },
    { rate: 48000, channels: 1, freq: 900 },
  ];
  for (const { rate, channels, freq } of cases) {
    it(`${rate} Hz ${channels === 2 ? 'stereo' : 'mono'}: two subscribers hear ${freq} Hz for 1.5 s`, async () => {
      const channel = `spine-${rate}-${channels}`;
      const a = await listener(server, channel, 'listener-a');
      const b = await listener(server, channel, 'listener-b');
      // Someone in another channel must hear nothing.
      const other = await listener(server, `${channel}-other`, 'elsewhere');
      const publisher = createClient({ server: server.url });
      clients.push(a.client, b.client, other.client, publisher);
      publisher.setExternalAudioSource(true, rate, channels);
      const uid = await publisher.join('test-app', channel, null, null);
      assert.equal(typeof uid, 'number', 'a null uid is assigned a number');
      // The publisher sends silence until we push: wait until both listeners receive its stream.
      await waitFor(
        () => a.flowing.frames > 30 && b.flowing.frames > 30,
        10000,
        'audio flowing to both listeners',
      );
      // Push in uneven chunks (37 ms) to exercise re-chunking; await gives back-pressure.
      const tone = generateTone(freq, rate, channels, 1.5, 0.5);
      const chunk = Math.round(rate * 0.037) * channels;
      for (let i = 0; i < tone.length; i += chunk)
        await publisher.pushExternalAudioFrame(tone.subarray(i, i + chunk));
      await publisher.externalAudioTrack?.waitForPlayout();
      await sleep(400);
      for (const l of [a, b, other]) l.stop();
      for (const l of [a, b]) {
        const { spanMs, audibleMs: heard, frequency } = analyse(l.recorder.samples);
        assert.ok(
          Math.abs(frequency - freq) / freq < 0.01,
          `pitch ${frequency.toFixed(1)} Hz, want ${freq} Hz ±1%`,
        );
        // Nothing lost or added: the audible length matches what was pushed. The span may stretch a
        // little when the shared 2-core test machine stalls the sender's clock (audio is delayed, not lost).
        assert.ok(Math.abs(heard - 1500) <= 100, `heard ${heard} ms of tone, want 1500 ±100 ms`);
        assert.ok(spanMs >= 1400 && spanMs <= 1800, `tone spanned ${spanMs} ms, want 1400..1800 ms`);
      }
      assert.deepEqual(other.published, [], 'no user-published leaks into another channel');
      assert.ok(rms(other.recorder.samples) < 0.001, 'the other channel hears silence');
      for (const c of [publisher, a.client, b.client, other.client]) await c.leave();
    });
  }

  it('tells newcomers about users and tracks already present, and user-left on leave', async () => {
    const channelsBefore = server.stats().channels;
    const publisher = createClient({ server: server.url });
    clients.push(publisher);
    publisher.setExternalAudioSource(true, 48000, 1);
    await publisher.join('test-app', 'presence', null, 'speaker');
    const late = createClient({ server: server.url });
    clients.push(late);
    const events: string[] = [];
    late.on('user-joined', (u) => events.push(`joined:${String(u.uid)}`));
    late.on('user-published', (u) => events.push(`published:${String(u.uid)}`));
    late.on('user-unpublished', (u) => events.push(`unpublished:${String(u.uid)}`));
    late.on('user-left', (u, reason) => events.push(`left:${String(u.uid)}:${reason}`));
    const uid = await late.join('test-app', 'presence', null, 42);
    assert.equal(uid, 42, 'a numeric uid comes back as a number');
    assert.deepEqual(events, ['joined:speaker', 'published:speaker']);
    assert.equal(late.remoteUsers[0]?.hasAudio, true);
    const track = await late.subscribe('speaker', 'audio');
    // Opus in-band FEC is negotiated both ways through the SFU.
    assert.match(
      publisher.publisherConnection?.remoteDescription?.sdp ?? '',
      /a=fmtp:\d+ [^\r\n]*useinbandfec=1/,
    );
    assert.match(
      late.subscriberConnection?.remoteDescription?.sdp ?? '',
      /a=fmtp:111 [^\r\n]*useinbandfec=1/,
    );
    assert.equal(track.getUserId(), 'speaker');
    await publisher.unpublish();
    await waitFor(() => events.includes('unpublished:speaker'), 3000, 'user-unpublished');
    assert.equal(late.remoteUsers[0]?.audioTrack, undefined, 'the remote track is released');
    await publisher.leave();
    await waitFor(() => events.includes('left:speaker:Quit'), 3000, 'user-left');
    await late.leave();
    assert.equal(server.stats().channels, channelsBefore, 'the empty channel is removed');
  });
});
