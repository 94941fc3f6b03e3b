// The demo through the Web SDK NG API (window.Patchbay, the same API as window.AgoraRTC in
// patchbay-ng-compat.js). Every source is published as a custom source.
'use strict';

(() => {
  const P = window.Patchbay;
  const D = window.Demo;
  let client = null;
  const stateListeners = [];
  let remoteUi = null;

  /** A local track with the demo's common controls. */
  function wrap(track, extra = {}, dispose = () => undefined) {
    return {
      track,
      level: () => track.getVolumeLevel(),
      setMuted: (muted) => track.setMuted(muted),
      setVolume: (v) => track.setVolume(v),
      dispose() {
        dispose();
        track.close();
      },
      ...extra,
    };
  }

  const adapter = {
    onState(cb) {
      stateListeners.push(cb);
    },
    onRemote(ui) {
      remoteUi = ui;
    },

    async join({ appId, channel, uid, token }) {
      P.resumeAudioContext();
      client = P.createClient({ mode: 'rtc', codec: 'vp8' });
      window.demo.client = client;
      client.on('connection-state-change', (cur) => stateListeners.forEach((cb) => cb(cur)));
      client.on('user-published', async (user) => {
        try {
          const track = await client.subscribe(user, 'audio');
          track.play();
          remoteUi.published(user.uid, {
            track,
            level: () => (track.released ? 0 : track.getVolumeLevel()),
            setMuted: (m) => (m ? track.stop() : track.play()),
            setVolume: (v) => track.setVolume(v),
          });
        } catch (error) {
          D.toast(D.describeError(error));
        }
      });
      client.on('user-joined', (user) => remoteUi.joined(user.uid));
      client.on('user-unpublished', (user) => remoteUi.unpublished(user.uid));
      client.on('user-left', (user) => remoteUi.left(user.uid));
      // Who is speaking (from the server's audio-level reading) and how the call is doing.
      client.on('active-speaker', (speaker) => {
        for (const card of document.querySelectorAll('.user')) {
          card.classList.toggle('speaking', speaker !== null && card.dataset.uid === String(speaker));
        }
      });
      const quality = ['unknown', 'excellent', 'good', 'poor', 'bad', 'very bad', 'down'];
      client.on('network-quality', (q) => {
        const s = client.getRTCStats();
        const up = quality[q.uplinkNetworkQuality] ?? '?';
        const down = quality[q.downlinkNetworkQuality] ?? '?';
        document.getElementById('netStats').textContent =
          `network ↑ ${up} ↓ ${down} · send ${Math.round(s.SendBitrate / 1000)} kbps · receive ${Math.round(s.RecvBitrate / 1000)} kbps · RTT ${s.RTT} ms`;
      });
      return client.join(appId, channel, token, uid);
    },

    async leave() {
      await client?.leave();
    },

    async createSource(kind, opts) {
      const ctx = P.getAudioContext();
      if (kind === 'mic') {
        return wrap(await P.createMicrophoneAudioTrack({ AEC: true, ANS: true, AGC: true }));
      }
      if (kind === 'tone') {
        const tone = D.toneSource(ctx, opts.toneFrequency, opts.toneType);
        return wrap(P.createCustomAudioTrack({ mediaStreamTrack: tone.track }), { tone }, tone.dispose);
      }
      if (kind === 'voice') {
        const voice = await D.ringModulatorSource(ctx, opts.ringFrequency);
        return wrap(P.createCustomAudioTrack({ mediaStreamTrack: voice.track }), { voice }, voice.dispose);
      }
      if (kind === 'file') {
        const track = await P.createBufferSourceAudioTrack({ source: opts.file });
        track.startProcessAudioBuffer({ loop: true });
        const file = {
          playing: () => track.currentState === 'playing',
          pause: () => track.pauseProcessAudioBuffer(),
          resume: () => track.resumeProcessAudioBuffer(),
          seek: (s) => track.seekAudioBuffer(Math.min(s, track.duration)),
          time: () => track.getCurrentTime(),
          duration: () => track.duration,
        };
        return wrap(track, { file });
      }
      if (kind === 'pcm') {
        const track = P.createPcmAudioTrack({ sampleRate: 16000, channels: 1, bufferMs: 300 });
        await track.ready;
        const pcm = D.pcmFeeder(track, 16000, opts.onPcmStats);
        return wrap(track, { pcm }, () => pcm.stop());
      }
      throw new Error(`unknown source ${kind}`);
    },

    publish(source) {
      return client.publish(source.track);
    },
    unpublish(source) {
      return client.connectionState === 'CONNECTED' ? client.unpublish(source.track) : Promise.resolve();
    },
  };

  D.start('ng', adapter);
})();
