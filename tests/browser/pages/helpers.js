// Test helpers for the pages the browser tests open; exposed as window.T.
// Everything the Node side needs comes back as plain JSON from page.evaluate().
(() => {
  const P = window.Patchbay;
  const state = { client: null, clients: [], tones: [], recordings: new Map(), events: [] };

  /** An OscillatorNode in the page's own AudioContext, gated by a GainNode; returns its MediaStreamTrack. */
  function makeTone(freq, { on = true } = {}) {
    const ctx = new AudioContext();
    const osc = new OscillatorNode(ctx, { frequency: freq });
    const gate = new GainNode(ctx, { gain: on ? 0.5 : 0 });
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gate).connect(dest);
    osc.start();
    const tone = { ctx, osc, gate, dest, track: dest.stream.getAudioTracks()[0] };
    state.tones.push(tone);
    void ctx.resume();
    return tone;
  }

  /** Frequency of a mono Float32 recording from rising zero crossings of its active region (with hysteresis). */
  function zeroCrossFreq(samples, sampleRate) {
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s));
    if (peak === 0) return 0;
    const level = 0.1 * peak;
    let start = -1;
    let end = -1;
    for (let i = 0; i < samples.length; i++) {
      if (Math.abs(samples[i]) > level) {
        if (start < 0) start = i;
        end = i;
      }
    }
    let armed = false;
    let first = -1;
    let last = -1;
    let count = 0;
    let prev = samples[start];
    for (let i = start + 1; i <= end; i++) {
      const cur = samples[i];
      if (cur < -level) armed = true;
      else if (armed && prev < 0 && cur >= 0) {
        const t = i - 1 + prev / (prev - cur);
        if (first < 0) first = t;
        last = t;
        count++;
        armed = false;
      }
      prev = cur;
    }
    return count >= 2 && last > first ? ((count - 1) * sampleRate) / (last - first) : 0;
  }

  function rms(samples) {
    let sum = 0;
    for (const s of samples) sum += s * s;
    return samples.length ? Math.sqrt(sum / samples.length) : 0;
  }

  function errorInfo(error) {
    return { name: error?.name, code: error?.code, message: String(error?.message ?? error) };
  }

  function track(client) {
    client.on('user-joined', (u) => state.events.push({ type: 'user-joined', uid: u.uid }));
    client.on('user-left', (u, reason) => state.events.push({ type: 'user-left', uid: u.uid, reason }));
    client.on('user-published', (u, m) =>
      state.events.push({ type: 'user-published', uid: u.uid, mediaType: m }),
    );
    client.on('user-unpublished', (u, m) =>
      state.events.push({ type: 'user-unpublished', uid: u.uid, mediaType: m }),
    );
    return client;
  }

  /** A mono 16-bit WAV file (as a Blob) of `seconds` of a `freq` Hz sine at `rate`. */
  function wavBlob(freq, seconds, rate = 48000) {
    const n = Math.round(seconds * rate);
    const view = new DataView(new ArrayBuffer(44 + n * 2));
    const text = (at, s) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
    text(0, 'RIFF');
    view.setUint32(4, 36 + n * 2, true);
    text(8, 'WAVEfmt ');
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true);
    view.setUint16(22, 1, true);
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * 2, true);
    view.setUint16(32, 2, true);
    view.setUint16(34, 16, true);
    text(36, 'data');
    view.setUint32(40, n * 2, true);
    for (let i = 0; i < n; i++)
      view.setInt16(44 + i * 2, Math.round(16000 * Math.sin((2 * Math.PI * freq * i) / rate)), true);
    return new Blob([view.buffer], { type: 'audio/wav' });
  }

  window.T = {
    wavBlob,
    state,
    makeTone,
    zeroCrossFreq,
    rms,
    errorInfo,

    /** createClient + join; returns the uid the SDK resolved, and its type. */
    async join(channel, uid = null, config = { mode: 'rtc', codec: 'vp8' }) {
      const client = track(P.createClient(config));
      state.clients.push(client);
      state.client = client;
      const got = await client.join('test-app', channel, null, uid);
      return { uid: got, type: typeof got };
    },

    /** Publishes an oscillator through createCustomAudioTrack(); returns the local track's label and volume level. */
    async publishTone(freq, opts = {}) {
      const tone = makeTone(freq, opts);
      const local = P.createCustomAudioTrack({ mediaStreamTrack: tone.track });
      state.local = local;
      state.tone = tone;
      await state.client.publish(local);
      return { isPromise: local instanceof Promise, label: local.getTrackLabel() };
    },

    /** Starts the gated tone now; returns the wall-clock time of the start. */
    toneOn(gain = 0.5) {
      const g = state.tone.gate.gain;
      g.setValueAtTime(gain, state.tone.ctx.currentTime);
      return Date.now();
    },

    /** Subscribes to `uid` (waits until it publishes) and records its audio through setAudioFrameCallback. */
    async subscribeAndRecord(uid, frameSize = 4096, threshold = 0.05) {
      const client = state.client;
      const deadline = Date.now() + 10000;
      let user;
      while (!(user = client.remoteUsers.find((u) => u.uid === uid && u.hasAudio))) {
        if (Date.now() > deadline) throw new Error(`user ${uid} did not publish`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const remote = await client.subscribe(user, 'audio');
      const rec = {
        chunks: [],
        sampleRate: 0,
        onsetAt: 0,
        hasTrack: user.audioTrack === remote,
        userId: remote.getUserId(),
      };
      state.recordings.set(uid, rec);
      remote.setAudioFrameCallback((buffer) => {
        const data = buffer.getChannelData(0);
        rec.sampleRate = buffer.sampleRate;
        rec.chunks.push(Float32Array.from(data));
        if (!rec.onsetAt && rms(data) > threshold) {
          // The callback runs just after the buffer's last sample; date the first loud sample.
          const first = data.findIndex((v) => Math.abs(v) > threshold);
          rec.onsetAt = Date.now() - ((data.length - first) / buffer.sampleRate) * 1000;
        }
      }, frameSize);
      return { hasTrack: rec.hasTrack, userId: rec.userId };
    },

    /** Frequency, RMS and onset time of what was recorded from `uid` so far (only loud chunks count). */
    analyse(uid) {
      const rec = state.recordings.get(uid);
      if (!rec) return null;
      const firstLoud = rec.chunks.findIndex((c) => rms(c) > 0.05);
      let lastLoud = -1;
      rec.chunks.forEach((c, i) => {
        if (rms(c) > 0.05) lastLoud = i;
      });
      const loud = firstLoud < 0 ? [] : rec.chunks.slice(firstLoud, lastLoud + 1);
      const total = loud.reduce((n, c) => n + c.length, 0);
      const all = new Float32Array(total);
      let at = 0;
      for (const c of loud) {
        all.set(c, at);
        at += c.length;
      }
      return {
        chunks: rec.chunks.length,
        loudChunks: loud.length,
        sampleRate: rec.sampleRate,
        frequency: zeroCrossFreq(all, rec.sampleRate),
        rms: rms(all),
        onsetAt: rec.onsetAt,
        loudSeconds: rec.sampleRate ? total / rec.sampleRate : 0,
      };
    },
  };
})();
