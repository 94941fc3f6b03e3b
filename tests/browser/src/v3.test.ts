import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PatchbayServer } from '@patchbay/server';
import type { Page } from 'playwright-core';
import { collectErrors, run, startAppServer } from './appSupport.js';
import { type Browser, CHROMIUM_PITCH_TOLERANCE, launchBrowser, sleep } from './support.js';

/** Page-side helpers for the v3 page: a tone as a MediaStreamTrack, and a recorder of any track. */
const V3_HELPERS = `() => {
  const A = window.AgoraRTC;
  window.H = {
    events: [],
    tone(freq) {
      const ctx = A.getAudioContext();
      const osc = new OscillatorNode(ctx, { frequency: freq });
      const gain = new GainNode(ctx, { gain: 0.5 });
      const dest = ctx.createMediaStreamDestination();
      osc.connect(gain).connect(dest);
      osc.start();
      return dest.stream.getAudioTracks()[0];
    },
    record(track) {
      const ctx = A.getAudioContext();
      const src = ctx.createMediaStreamSource(new MediaStream([track]));
      const node = ctx.createScriptProcessor(1024, 1, 1);
      const chunks = [];
      node.onaudioprocess = (e) => chunks.push(Float32Array.from(e.inputBuffer.getChannelData(0)));
      src.connect(node);
      node.connect(ctx.destination);
      return chunks;
    },
    frequency(chunks, seconds) {
      const take = chunks.slice(-Math.round((seconds * 48000) / 1024));
      const all = new Float32Array(take.length * 1024);
      take.forEach((c, i) => all.set(c, i * 1024));
      let peak = 0;
      for (const s of all) peak = Math.max(peak, Math.abs(s));
      const level = 0.1 * peak;
      let armed = false, first = -1, last = -1, count = 0;
      for (let i = 1; i < all.length; i++) {
        const prev = all[i - 1], cur = all[i];
        if (cur < -level) armed = true;
        else if (armed && prev < 0 && cur >= 0) {
          const t = i - 1 + prev / (prev - cur);
          if (first < 0) first = t;
          last = t;
          count++;
          armed = false;
        }
      }
      let sum = 0;
      for (const s of all) sum += s * s;
      return { frequency: count >= 2 ? ((count - 1) * 48000) / (last - first) : 0, rms: Math.sqrt(sum / all.length) };
    },
  };
}`;

describe('v3 API (patchbay-v3-compat.js) over the NG client', () => {
  let server: PatchbayServer;
  let browser: Browser;

  before(async () => {
    server = await startAppServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(path: string, global: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.httpUrl}${path}`);
    await page.waitForFunction((g) => (globalThis as Record<string, unknown>)[g] !== undefined, global);
    return { page, errors };
  }

  test('a v3 page (callbacks, audioSource stream) and an NG page in one channel hear each other', async () => {
    const v3 = await open('/test/v3.html', 'AgoraRTC');
    const ng = await open('/test/index.html', 'T');
    await run(v3.page, V3_HELPERS);

    const joined = await run<Record<string, unknown>>(
      v3.page,
      `() => new Promise((resolve, reject) => {
        const A = window.AgoraRTC;
        const H = window.H;
        const client = A.createClient({ mode: 'rtc', codec: 'vp8' });
        H.client = client;
        for (const name of ['stream-added', 'stream-removed', 'stream-subscribed', 'stream-published', 'peer-online',
          'peer-leave', 'connection-state-change', 'volume-indicator', 'mute-audio', 'unmute-audio']) {
          client.on(name, (evt) => H.events.push({ name, uid: evt.uid ?? (evt.stream && evt.stream.getId()),
            reason: evt.reason, state: evt.curState && evt.prevState + '>' + evt.curState, attr: evt.attr }));
        }
        client.on('stream-added', (evt) => client.subscribe(evt.stream, (err) => reject(new Error('subscribe: ' + err))));
        client.on('stream-subscribed', (evt) => {
          H.remote = evt.stream;
          evt.stream.play('remote');
          H.chunks = H.record(evt.stream.getAudioTrack());
        });
        client.init('test-app', () => {
          // Samples pass the success callback 4th, where the typings put optionalInfo.
          client.join(null, 'v3-a', 1111, (uid) => {
            const stream = A.createStream({ streamID: uid, audio: true, video: false, audioSource: H.tone(440) });
            stream.setAudioProfile('speech_standard');
            stream.init(() => {
              H.local = stream;
              client.publish(stream, (err) => reject(new Error('publish: ' + err)));
              client.on('stream-published', () => resolve({ uid, id: stream.getId(), state: client.getConnectionState() }));
            }, (err) => reject(new Error('init: ' + err.msg)));
          }, (err) => reject(new Error('join: ' + err)));
        }, (err) => reject(new Error('init: ' + err)));
      })`,
    );
    assert.deepEqual(joined, { uid: 1111, id: 1111, state: 'CONNECTED' });

    await run(ng.page, `async () => { await T.join('v3-a', 'ng-page'); await T.publishTone(660); }`);
    await run(ng.page, `async () => T.subscribeAndRecord(1111, 1024)`);
    await run(v3.page, `async () => window.H.client.enableAudioVolumeIndicator()`);
    await sleep(3000);

    const heardByNg = await run<{ frequency: number; rms: number }>(ng.page, `async () => T.analyse(1111)`);
    assert.ok(
      Math.abs(heardByNg.frequency - 440) / 440 < CHROMIUM_PITCH_TOLERANCE,
      `the NG page heard ${heardByNg.frequency.toFixed(1)} Hz from the v3 page, expected 440`,
    );
    const v3State = await run<Record<string, unknown>>(
      v3.page,
      `async () => {
        const H = window.H;
        const heard = H.frequency(H.chunks, 1);
        return {
          frequency: heard.frequency, rms: heard.rms,
          remoteId: H.remote.getId(), level: H.remote.getAudioLevel(), playing: H.remote.isPlaying(),
          events: H.events.filter((e) => e.name !== 'volume-indicator' && !e.name.endsWith('mute-audio')).map((e) => e.name + ':' + (e.state ?? e.uid)),
          volume: H.events.filter((e) => e.name === 'volume-indicator').pop(),
        };
      }`,
    );
    assert.ok(
      Math.abs((v3State.frequency as number) - 660) / 660 < 0.01,
      `the v3 page heard ${(v3State.frequency as number).toFixed(1)} Hz from the NG page, expected 660`,
    );
    assert.equal(v3State.remoteId, 'ng-page');
    assert.ok((v3State.level as number) > 0.1, `remote getAudioLevel ${v3State.level}`);
    assert.equal(v3State.playing, true);
    assert.deepEqual(v3State.events, [
      'connection-state-change:DISCONNECTED>CONNECTING',
      'connection-state-change:CONNECTING>CONNECTED',
      'stream-published:1111',
      'peer-online:ng-page',
      'stream-added:ng-page',
      'stream-subscribed:ng-page',
    ]);
    const volume = v3State.volume as { attr: { uid: unknown; level: number }[] };
    assert.deepEqual(volume.attr.map((a) => a.uid).sort(), [1111, 'ng-page'].sort());

    // muteAudio() on the v3 side silences what the NG page hears; unmuteAudio() brings it back.
    await run(
      ng.page,
      `async () => {
      globalThis.infos = [];
      T.state.client.on('user-info-updated', (uid, msg) => globalThis.infos.push(uid + ':' + msg));
    }`,
    );
    const muted = await run<unknown[]>(
      v3.page,
      `async () => [window.H.local.muteAudio(), window.H.local.muteAudio()]`,
    );
    assert.deepEqual(muted, [true, false], 'muteAudio() returns whether the state changed');
    await sleep(600);
    const silentLevel = await run<number>(
      ng.page,
      `async () => T.state.client.remoteUsers.find((u) => u.uid === 1111).audioTrack.getVolumeLevel()`,
    );
    assert.ok(silentLevel < 0.01, `muted v3 stream: the NG page hears level ${silentLevel}`);
    await run(v3.page, `async () => window.H.local.unmuteAudio()`);
    await sleep(600);
    const backLevel = await run<number>(
      ng.page,
      `async () => T.state.client.remoteUsers.find((u) => u.uid === 1111).audioTrack.getVolumeLevel()`,
    );
    assert.ok(backLevel > 0.1, `unmuted: level ${backLevel}`);
    // ... and the NG page was told (user-info-updated), as a v3 page would be (mute-audio / unmute-audio).
    assert.deepEqual(await run<string[]>(ng.page, 'async () => globalThis.infos'), [
      '1111:mute-audio',
      '1111:unmute-audio',
    ]);
    await run(ng.page, 'async () => { await T.state.local.setMuted(true); }');
    let v3Heard: string[] = [];
    for (let i = 0; i < 30 && !v3Heard.includes('mute-audio:ng-page'); i++) {
      await sleep(100);
      v3Heard = await run<string[]>(v3.page, 'async () => window.H.events.map((e) => e.name + ":" + e.uid)');
    }
    assert.ok(v3Heard.includes('mute-audio:ng-page'), 'the v3 page got mute-audio for the NG user');
    await run(ng.page, 'async () => { await T.state.local.setMuted(false); }');

    // The NG page unpublishes, then leaves: stream-removed, then peer-leave.
    await run(ng.page, `async () => { await T.state.client.unpublish(); }`);
    await sleep(500);
    await run(ng.page, `async () => { await T.state.client.leave(); }`);
    await sleep(500);
    const tail = await run<string[]>(
      v3.page,
      `async () => window.H.events.filter((e) => e.name === 'stream-removed' || e.name === 'peer-leave').map((e) => e.name + ':' + e.uid + ':' + (e.reason ?? ''))`,
    );
    assert.deepEqual(tail, ['stream-removed:ng-page:', 'peer-leave:ng-page:Quit']);
    const left = await run<string>(
      v3.page,
      `() => new Promise((resolve) => window.H.client.leave(() => resolve(window.H.client.getConnectionState())))`,
    );
    assert.equal(left, 'DISCONNECTED');
    assert.deepEqual(v3.errors, [], 'no errors on the v3 page');
    await v3.page.close();
    await ng.page.close();
  });

  test('v3 failure callbacks and argument shifting: join optionalInfo, subscribe(stream, err), stream errors', async () => {
    const v3 = await open('/test/v3.html', 'AgoraRTC');
    await run(v3.page, V3_HELPERS);
    const out = await run<Record<string, unknown>>(
      v3.page,
      `async () => {
        const A = window.AgoraRTC;
        const H = window.H;
        const cb = (f) => new Promise((resolve) => f((...a) => resolve(['ok', ...a]), (...a) => resolve(['err', ...a])));
        const out = {};
        const client = new A.createClient({ mode: 'live', codec: 'h264' });
        out.joinBeforeInit = await cb((ok, err) => client.join(null, 'v3-b', 5, ok, err));
        out.init = await cb((ok, err) => client.init('test-app', ok, err));
        out.joinOptionalInfo = await cb((ok, err) => client.join(null, 'v3-b', 5, 'some-info', ok, err));
        out.repeatJoin = await cb((ok, err) => client.join(null, 'v3-b', 6, ok, err));
        const raw = A.createStream({ audio: true, video: false, audioSource: H.tone(300) });
        out.publishUninitialized = await cb((ok, err) => client.publish(raw, err));
        const video = A.createStream({ streamID: 9, audio: true, video: true });
        out.videoInit = await cb((ok, err) => video.init(ok, err));
        const mic = A.createStream({ streamID: 10, audio: true, video: false });
        const access = [];
        mic.on('accessAllowed', () => access.push('allowed'));
        out.micInit = await cb((ok, err) => mic.init(ok, err));
        out.access = access;
        out.micTrack = mic.getAudioTrack().kind;
        out.replaced = await cb((ok, err) => mic.replaceTrack(H.tone(500), ok, err));
        out.replaceBad = await cb((ok, err) => mic.replaceTrack(null, ok, err));
        out.badVolume = (() => { try { mic.setAudioVolume(101); return 'accepted'; } catch (e) { return e.code; } })();
        out.badProfile = (() => { try { mic.setAudioProfile('nope'); return 'accepted'; } catch (e) { return e.code; } })();
        out.subscribeLocal = await cb((ok, err) => client.subscribe(mic, err));
        out.role = await cb((ok) => client.setClientRole('host', ok));
        out.logger = typeof A.Logger.setLogLevel;
        out.requirements = A.checkSystemRequirements();
        out.devices = await cb((ok, err) => A.getDevices((d) => ok(d.length > 0), err));
        mic.close();
        out.closedTrack = mic.getAudioTrack() === undefined;
        out.left = await cb((ok, err) => client.leave(ok, err));
        return out;
      }`,
    );
    assert.deepEqual(out, {
      joinBeforeInit: ['err', 'INVALID_OPERATION'],
      init: ['ok'],
      joinOptionalInfo: ['ok', 5],
      repeatJoin: ['err', 'ERR_REPEAT_JOIN'],
      publishUninitialized: ['err', 'INVALID_LOCAL_STREAM'],
      videoInit: [
        'err',
        {
          type: 'error',
          msg: 'NOT_SUPPORTED',
          info: 'Patchbay carries audio only: create the stream with video: false',
        },
      ],
      micInit: ['ok'],
      access: ['allowed'],
      micTrack: 'audio',
      replaced: ['ok'],
      replaceBad: ['err', 'INVALID_PARAMS'],
      badVolume: 'INVALID_PARAMS',
      badProfile: 'INVALID_PARAMS',
      subscribeLocal: ['err', 'INVALID_REMOTE_STREAM'],
      role: ['ok', null],
      logger: 'function',
      requirements: true,
      devices: ['ok', true],
      closedTrack: true,
      left: ['ok'],
    });
    assert.deepEqual(v3.errors, []);
    await v3.page.close();
  });
});
