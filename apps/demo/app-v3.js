// The demo through the legacy Web SDK v3 API (window.AgoraRTC from patchbay-v3-compat.js):
// callbacks, streams and `audioSource`. The PCM push track comes from window.Patchbay.
'use strict';

(() => {
  const A = window.AgoraRTC;
  const D = window.Demo;
  let client = null;
  const stateListeners = [];
  let remoteUi = null;

  /** v3 callbacks as a promise: f(ok, err). */
  const cb = (f) =>
    new Promise((resolve, reject) => f(resolve, (e) => reject(typeof e === 'string' ? new Error(e) : e)));

  /** Creates and initializes a v3 stream publishing `audioSource` (or the microphone when omitted). */
  async function stream(audioSource) {
    const s = A.createStream({
      streamID: 0,
      audio: true,
      video: false,
      ...(audioSource ? { audioSource } : {}),
    });
    s.setAudioProfile('music_standard');
    await cb((ok, err) => s.init(ok, err));
    return s;
  }

  function wrap(s, extra = {}, dispose = () => undefined) {
    return {
      stream: s,
      level: () => s.getAudioLevel(),
      setMuted: (muted) => (muted ? s.muteAudio() : s.unmuteAudio()),
      setVolume: (v) => s.setAudioVolume(Math.min(100, v)),
      dispose() {
        dispose();
        s.close();
      },
      ...extra,
    };
  }

  const adapter = {
    onState(listener) {
      stateListeners.push(listener);
    },
    onRemote(ui) {
      remoteUi = ui;
    },

    async join({ appId, channel, uid, token }) {
      A.getAudioContext().resume();
      client = A.createClient({ mode: 'rtc', codec: 'vp8' });
      window.demo.client = client;
      client.on('connection-state-change', (e) => stateListeners.forEach((l) => l(e.curState)));
      client.on('stream-added', (e) =>
        client.subscribe(e.stream, (err) => D.toast(`subscribe failed: ${err}`)),
      );
      client.on('stream-subscribed', (e) => {
        const s = e.stream;
        s.play(`remote-${s.getId()}`);
        remoteUi.published(s.getId(), {
          stream: s,
          level: () => s.getAudioLevel(),
          setMuted: (m) => (m ? s.muteAudio() : s.unmuteAudio()),
          setVolume: (v) => s.setAudioVolume(v),
        });
      });
      client.on('peer-online', (e) => remoteUi.joined(e.uid));
      client.on('stream-removed', (e) => remoteUi.unpublished(e.stream.getId()));
      client.on('peer-leave', (e) => remoteUi.left(e.uid));
      client.on('error', (e) => D.toast(`connection error: ${e.reason}`));
      await cb((ok, err) => client.init(appId, ok, err));
      // As in the vendor's samples: the success callback in the 4th slot.
      return cb((ok, err) => client.join(token, channel, uid, ok, err));
    },

    leave() {
      return client ? cb((ok, err) => client.leave(ok, err)) : Promise.resolve();
    },

    async createSource(kind, opts) {
      const ctx = A.getAudioContext();
      if (kind === 'mic') return wrap(await stream());
      if (kind === 'tone') {
        const tone = D.toneSource(ctx, opts.toneFrequency, opts.toneType);
        return wrap(await stream(tone.track), { tone }, tone.dispose);
      }
      if (kind === 'voice') {
        const voice = await D.ringModulatorSource(ctx, opts.ringFrequency);
        return wrap(await stream(voice.track), { voice }, voice.dispose);
      }
      if (kind === 'file') {
        const buffer = await ctx.decodeAudioData(await opts.file.arrayBuffer());
        const dest = ctx.createMediaStreamDestination();
        let node = null;
        let offset = 0;
        let startedAt = 0;
        const play = (from) => {
          node?.stop();
          node = new AudioBufferSourceNode(ctx, { buffer, loop: true });
          node.connect(dest);
          node.start(0, from);
          offset = from;
          startedAt = ctx.currentTime;
        };
        const time = () => (node ? (offset + ctx.currentTime - startedAt) % buffer.duration : offset);
        play(0);
        const file = {
          playing: () => node !== null,
          pause: () => {
            offset = time();
            node?.stop();
            node = null;
          },
          resume: () => play(offset),
          seek: (s) => (node ? play(s) : (offset = s)),
          time,
          duration: () => buffer.duration,
        };
        return wrap(await stream(dest.stream.getAudioTracks()[0]), { file }, () => node?.stop());
      }
      if (kind === 'pcm') {
        const track = window.Patchbay.createPcmAudioTrack({ sampleRate: 16000, channels: 1, bufferMs: 300 });
        await track.ready;
        const pcm = D.pcmFeeder(track, 16000, opts.onPcmStats);
        return wrap(await stream(track.getMediaStreamTrack()), { pcm }, () => {
          pcm.stop();
          track.close();
        });
      }
      throw new Error(`unknown source ${kind}`);
    },

    publish(source) {
      return new Promise((resolve, reject) => {
        const done = (e) => {
          if (e.stream !== source.stream) return;
          client.off('stream-published', done);
          resolve();
        };
        client.on('stream-published', done);
        client.publish(source.stream, (err) => {
          client.off('stream-published', done);
          reject(new Error(err));
        });
      });
    },
    unpublish(source) {
      if (client.getConnectionState() !== 'CONNECTED') return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = (e) => {
          if (e.stream !== source.stream) return;
          client.off('stream-unpublished', done);
          resolve();
        };
        client.on('stream-unpublished', done);
        client.unpublish(source.stream, (err) => {
          client.off('stream-unpublished', done);
          reject(new Error(err));
        });
      });
    },
  };

  D.start('v3', adapter);
})();
