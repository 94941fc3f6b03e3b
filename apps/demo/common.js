// Patchbay demo: the page shell, the Web Audio sources and the UI wiring shared by the NG page
// (index.html, app.js) and the v3 page (v3.html, app-v3.js). Each page supplies an "adapter"
// that does the SDK calls; everything else lives here. No build step: plain browser JavaScript.
'use strict';

window.Demo = (() => {
  const $ = (sel, root = document) => root.querySelector(sel);

  const SOURCES = [
    ['mic', 'Microphone', 'your mic'],
    ['tone', 'Tone', 'oscillator'],
    ['file', 'Audio file', 'play · pause · seek'],
    ['voice', 'Voice changer', 'mic → ring mod'],
    ['pcm', 'Generated PCM', 'PCM push track'],
  ];

  function shell(api) {
    const params = new URLSearchParams(location.search);
    const channel = params.get('channel') || 'lobby';
    document.body.innerHTML = `
      <header>
        <div class="brand"><img src="favicon.svg" alt="" /> Patchbay <span class="sub status">custom audio sources</span></div>
        <span id="state" class="pill">DISCONNECTED</span>
        <nav>
          <a href="index.html" class="${api === 'ng' ? 'active' : ''}">NG API</a>
          <a href="v3.html" class="${api === 'v3' ? 'active' : ''}">v3 API</a>
        </nav>
      </header>
      <main>
        <div>
          <section class="card" aria-labelledby="join-title">
            <h2 id="join-title">Join a channel</h2>
            <form id="joinForm" autocomplete="off">
              <div class="grid2">
                <div class="field"><label for="appId">App ID</label><input id="appId" type="text" value="demo" required /></div>
                <div class="field"><label for="channel">Channel</label><input id="channel" type="text" value="${channel.replace(/[^\w-]/g, '')}" required /></div>
                <div class="field"><label for="uid">UID <span class="status">(optional)</span></label><input id="uid" type="text" placeholder="auto" /></div>
                <div class="field"><label for="token">Token <span class="status">(optional)</span></label><input id="token" type="text" placeholder="none in testing mode" /></div>
              </div>
              <div class="row">
                <button id="join" class="primary" type="submit">Join</button>
                <button id="leave" type="button" disabled>Leave</button>
                <span id="me" class="status"></span>
              </div>
            </form>
          </section>
          <section class="card" aria-labelledby="pub-title">
            <h2 id="pub-title">Publish</h2>
            <div class="sources" role="radiogroup" aria-label="Audio source">
              ${SOURCES.map(([v, name, hint], i) => `<label><input type="radio" name="source" value="${v}" ${i === 1 ? 'checked' : ''} />${name}<small>${hint}</small></label>`).join('')}
            </div>
            <div class="panel" data-panel="mic" hidden><p class="status">Publishes your microphone (echo cancellation on). Use headphones.</p></div>
            <div class="panel" data-panel="tone">
              <div class="grid2">
                <div class="field"><label for="toneFreq">Frequency (Hz)</label><input id="toneFreq" type="number" min="50" max="4000" value="440" /></div>
                <div class="field"><label for="toneType">Waveform</label>
                  <select id="toneType"><option>sine</option><option>triangle</option><option>square</option><option>sawtooth</option></select></div>
              </div>
            </div>
            <div class="panel" data-panel="file" hidden>
              <div class="field"><label for="fileInput">Audio file</label><input id="fileInput" type="file" accept="audio/*" /></div>
              <p class="status">No file? A built-in chime is used.</p>
              <div class="row">
                <button id="filePlay" type="button" disabled>Pause</button>
                <input id="fileSeek" type="range" min="0" max="1000" value="0" disabled aria-label="Seek" />
                <span id="fileTime" class="status">0:00 / 0:00</span>
              </div>
            </div>
            <div class="panel" data-panel="voice" hidden>
              <div class="field"><label for="ringFreq">Ring modulator carrier: <span id="ringLabel">70</span> Hz</label>
                <input id="ringFreq" type="range" min="20" max="400" value="70" /></div>
            </div>
            <div class="panel" data-panel="pcm" hidden>
              <p class="status">A synthetic voice, pushed as 16 kHz PCM in 100 ms chunks through <code>createPcmAudioTrack</code>
                (back-pressure paces the generator).</p>
              <div class="row"><button id="pcmInterrupt" type="button" disabled>Interrupt (clearBuffer)</button>
                <span id="pcmStats" class="status"></span></div>
            </div>
            <div class="row">
              <button id="publish" class="primary" type="button" disabled>Publish</button>
              <button id="mute" type="button" disabled>Mute</button>
              <label for="volume" style="margin:0">Volume</label>
              <input id="volume" type="range" min="0" max="200" value="100" disabled />
            </div>
            <div class="row" style="margin-top:12px"><span class="status">Sending</span><div class="meter" id="localMeter"><i></i></div></div>
          </section>
        </div>
        <section class="card" aria-labelledby="users-title">
          <h2 id="users-title">In the channel</h2>
          <div id="remotes" class="users"><div class="empty" id="noRemotes">Nobody else is here yet. Open this page in another tab and join the same channel.</div></div>
        </section>
      </main>
      <footer>Patchbay · ${api === 'ng' ? 'Web SDK NG API (window.Patchbay)' : 'Web SDK v3 API (window.AgoraRTC)'} · audio is forwarded by your Patchbay server</footer>
      <div id="toast" role="status"></div>`;
  }

  let toastTimer = 0;
  function toast(message) {
    const el = $('#toast');
    el.textContent = message;
    el.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
  }

  function describeError(error) {
    const code = error && (error.code || error.msg);
    const text = (error && (error.message || error.info)) || String(error);
    return code ? `${code}: ${text}` : text;
  }

  // ---- Web Audio sources (any AudioContext) ----

  function toneSource(ctx, frequency, type) {
    const osc = new OscillatorNode(ctx, { frequency, type });
    const gain = new GainNode(ctx, { gain: type === 'sine' ? 0.5 : 0.25 });
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    return {
      track: dest.stream.getAudioTracks()[0],
      setFrequency: (f) => osc.frequency.setTargetAtTime(f, ctx.currentTime, 0.02),
      setType: (t) => (osc.type = t),
      dispose() {
        osc.stop();
        osc.disconnect();
        dest.stream.getTracks().forEach((t) => t.stop());
      },
    };
  }

  /** Microphone through a ring modulator: the input multiplied by a sine carrier (the classic robot voice). */
  async function ringModulatorSource(ctx, carrierHz) {
    const mic = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
    });
    const input = ctx.createMediaStreamSource(mic);
    const ring = new GainNode(ctx, { gain: 0 });
    const carrier = new OscillatorNode(ctx, { frequency: carrierHz });
    const boost = new GainNode(ctx, { gain: 1.6 });
    const dest = ctx.createMediaStreamDestination();
    carrier.connect(ring.gain);
    input.connect(ring).connect(boost).connect(dest);
    carrier.start();
    return {
      track: dest.stream.getAudioTracks()[0],
      setCarrier: (f) => carrier.frequency.setTargetAtTime(f, ctx.currentTime, 0.02),
      dispose() {
        carrier.stop();
        input.disconnect();
        boost.disconnect();
        mic.getTracks().forEach((t) => t.stop());
        dest.stream.getTracks().forEach((t) => t.stop());
      },
    };
  }

  /** A voice-like signal: a gliding glottal pulse train shaped by vowel formants, in syllables. */
  class VoiceGenerator {
    constructor(sampleRate) {
      this.rate = sampleRate;
      this.t = 0;
      this.phase = 0;
      this.formants = [
        [730, 1090, 2440],
        [270, 2290, 3010],
        [300, 870, 2240],
        [530, 1840, 2480],
      ];
      this.state = this.formants[0].map(() => [0, 0]);
    }
    /** `frames` samples of Int16 PCM. */
    next(frames) {
      const out = new Int16Array(frames);
      const r = this.rate;
      for (let i = 0; i < frames; i++) {
        const t = this.t++ / r;
        const syllable = Math.floor(t * 3.2);
        const within = (t * 3.2) % 1;
        const envelope = syllable % 5 === 4 ? 0 : Math.sin(Math.PI * Math.min(1, within * 1.25)) ** 2;
        const f0 = 125 + 25 * Math.sin(2 * Math.PI * 0.4 * t) + 4 * Math.sin(2 * Math.PI * 5.5 * t);
        this.phase += f0 / r;
        let pulse = 0;
        if (this.phase >= 1) {
          this.phase -= 1;
          pulse = 1;
        }
        const vowel = this.formants[syllable % this.formants.length];
        let y = 0;
        vowel.forEach((fc, k) => {
          // Two-pole resonator per formant.
          const bw = 80 + 40 * k;
          const rr = Math.exp((-Math.PI * bw) / r);
          const a1 = 2 * rr * Math.cos((2 * Math.PI * fc) / r);
          const a2 = -rr * rr;
          const s = this.state[k];
          const v = pulse * (1 - rr) * 6 + a1 * s[0] + a2 * s[1];
          s[1] = s[0];
          s[0] = v;
          y += v / (k + 1);
        });
        out[i] = Math.max(-32767, Math.min(32767, Math.round(y * envelope * 9000)));
      }
      return out;
    }
  }

  /** Feeds `track` (a PCM push track: push/clearBuffer/queuedDurationMs) until stop(); interrupt() barges in. */
  function pcmFeeder(track, sampleRate, onStats) {
    const gen = new VoiceGenerator(sampleRate);
    let running = true;
    let pausedUntil = 0;
    (async () => {
      while (running) {
        if (Date.now() < pausedUntil) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        try {
          await track.push(gen.next(sampleRate / 10));
        } catch (error) {
          if (running) toast(describeError(error));
          return;
        }
      }
    })();
    const timer = setInterval(() => onStats && onStats(track), 250);
    return {
      interrupt() {
        const dropped = track.clearBuffer();
        pausedUntil = Date.now() + 800;
        toast(`clearBuffer(): dropped ${Math.round(dropped)} ms of queued speech`);
      },
      stop() {
        running = false;
        clearInterval(timer);
      },
    };
  }

  /** A 4 s chime (C5-E5-G5-C6) as a WAV Blob: the file source when no file is chosen. */
  function chimeWav(rate = 48000) {
    const notes = [523.25, 659.25, 783.99, 1046.5];
    const n = rate * 4;
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
    for (let i = 0; i < n; i++) {
      const t = i / rate;
      const k = Math.floor(t);
      const local = t - k;
      const v = Math.sin(2 * Math.PI * notes[k] * t) * Math.exp(-2.2 * local) * Math.min(1, local * 200);
      view.setInt16(44 + i * 2, Math.round(v * 20000), true);
    }
    return new Blob([view.buffer], { type: 'audio/wav' });
  }

  function formatTime(s) {
    const m = Math.floor(s / 60);
    return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  }

  // ---- UI wiring (the adapter does the SDK calls) ----

  /**
   * adapter: {
   *   join({ appId, channel, uid, token }) -> uid; leave();
   *   createSource(kind, ui) -> { level(), setMuted(bool), setVolume(0..200), dispose(), file?, pcm?, tone?, voice? };
   *   publish(source); unpublish(source);
   *   onState(cb(state)); onRemote({ joined(uid), published(uid, handle), unpublished(uid), left(uid) })
   *     // handle: { level(), setMuted(bool), setVolume(0..100) }
   * }
   */
  function start(api, adapter) {
    shell(api);
    const ui = {
      state: $('#state'),
      join: $('#join'),
      leave: $('#leave'),
      publish: $('#publish'),
      mute: $('#mute'),
      volume: $('#volume'),
      me: $('#me'),
      remotes: $('#remotes'),
    };
    const demo = { api, source: null, publishing: false, joined: false, remotes: new Map(), adapter };
    window.demo = demo;
    const kind = () => document.querySelector('input[name=source]:checked').value;

    const showPanel = () => {
      for (const panel of document.querySelectorAll('.panel')) panel.hidden = panel.dataset.panel !== kind();
    };
    showPanel();

    adapter.onState((state) => {
      ui.state.textContent = state;
      ui.state.className = `pill ${state}`;
    });

    const setJoined = (joined) => {
      demo.joined = joined;
      ui.join.disabled = joined;
      ui.leave.disabled = !joined;
      ui.publish.disabled = !joined;
      for (const id of ['appId', 'channel', 'uid', 'token']) $(`#${id}`).disabled = joined;
    };

    const setPublishing = (on) => {
      demo.publishing = on;
      ui.publish.textContent = on ? 'Unpublish' : 'Publish';
      ui.publish.classList.toggle('primary', !on);
      ui.mute.disabled = !on;
      ui.volume.disabled = !on;
      ui.mute.textContent = 'Mute';
      ui.mute.classList.remove('on');
      $('#pcmInterrupt').disabled = !(on && demo.source && demo.source.pcm);
      const file = on && demo.source && demo.source.file;
      $('#filePlay').disabled = !file;
      $('#fileSeek').disabled = !file;
    };

    const stopPublishing = async () => {
      const source = demo.source;
      demo.source = null;
      setPublishing(false);
      if (!source) return;
      try {
        await adapter.unpublish(source);
      } finally {
        source.dispose();
      }
    };

    const startPublishing = async () => {
      const source = await adapter.createSource(kind(), {
        toneFrequency: Number($('#toneFreq').value) || 440,
        toneType: $('#toneType').value,
        file: $('#fileInput').files[0] || chimeWav(),
        ringFrequency: Number($('#ringFreq').value),
        onPcmStats: (t) => {
          const s = t.stats;
          $('#pcmStats').textContent =
            `queued ${Math.round(t.queuedDurationMs)} ms · underruns ${s.underruns} · cleared ${Math.round((s.clearedFrames / t.sampleRate) * 1000)} ms`;
        },
      });
      source.setVolume(Number(ui.volume.value));
      demo.source = source;
      await adapter.publish(source);
      setPublishing(true);
    };

    const busy = async (button, work) => {
      button.disabled = true;
      try {
        await work();
      } catch (error) {
        toast(describeError(error));
      } finally {
        button.disabled = false;
      }
    };

    $('#joinForm').addEventListener('submit', (event) => {
      event.preventDefault();
      const uid = $('#uid').value.trim();
      busy(ui.join, async () => {
        const got = await adapter.join({
          appId: $('#appId').value.trim(),
          channel: $('#channel').value.trim(),
          uid: uid === '' ? null : /^\d+$/.test(uid) ? Number(uid) : uid,
          token: $('#token').value.trim() || null,
        });
        ui.me.textContent = `you are ${got}`;
        setJoined(true);
      }).then(() => setJoined(demo.joined));
    });

    ui.leave.addEventListener('click', () =>
      busy(ui.leave, async () => {
        await stopPublishing().catch(() => undefined);
        await adapter.leave();
        ui.me.textContent = '';
        for (const uid of [...demo.remotes.keys()]) removeRemote(uid);
        setJoined(false);
      }).then(() => setJoined(demo.joined)),
    );

    ui.publish.addEventListener('click', () =>
      busy(ui.publish, async () => {
        if (demo.publishing) await stopPublishing();
        else
          await startPublishing().catch(async (error) => {
            if (demo.source) await stopPublishing().catch(() => undefined);
            throw error;
          });
      }),
    );

    for (const radio of document.querySelectorAll('input[name=source]')) {
      radio.addEventListener('change', () => {
        showPanel();
        if (demo.publishing) {
          busy(ui.publish, async () => {
            await stopPublishing();
            await startPublishing();
          });
        }
      });
    }

    ui.mute.addEventListener('click', () => {
      const muted = !ui.mute.classList.contains('on');
      demo.source && demo.source.setMuted(muted);
      ui.mute.classList.toggle('on', muted);
      ui.mute.textContent = muted ? 'Unmute' : 'Mute';
    });
    ui.volume.addEventListener('input', () => demo.source && demo.source.setVolume(Number(ui.volume.value)));
    $('#toneFreq').addEventListener('change', () =>
      demo.source?.tone?.setFrequency(Number($('#toneFreq').value) || 440),
    );
    $('#toneType').addEventListener('change', () => demo.source?.tone?.setType($('#toneType').value));
    $('#ringFreq').addEventListener('input', () => {
      $('#ringLabel').textContent = $('#ringFreq').value;
      demo.source?.voice?.setCarrier(Number($('#ringFreq').value));
    });
    $('#pcmInterrupt').addEventListener('click', () => demo.source?.pcm?.interrupt());
    $('#fileInput').addEventListener('change', () => {
      if (demo.publishing && kind() === 'file') {
        busy(ui.publish, async () => {
          await stopPublishing();
          await startPublishing();
        });
      }
    });
    $('#filePlay').addEventListener('click', () => {
      const file = demo.source && demo.source.file;
      if (!file) return;
      if (file.playing()) file.pause();
      else file.resume();
      $('#filePlay').textContent = file.playing() ? 'Pause' : 'Play';
    });
    const seek = $('#fileSeek');
    seek.addEventListener('input', () => {
      const file = demo.source && demo.source.file;
      if (file) file.seek((Number(seek.value) / 1000) * file.duration());
    });

    /** A card per remote user: present from user-joined, with a live meter while it publishes. */
    function remoteCard(uid) {
      const key = String(uid);
      let entry = demo.remotes.get(key);
      if (entry) return entry;
      $('#noRemotes').hidden = true;
      const card = document.createElement('div');
      card.className = 'user';
      card.dataset.uid = key;
      card.innerHTML = `
        <div class="who"><span class="avatar"></span><div><span class="name"></span><small class="what">not publishing</small></div></div>
        <div class="row"><div class="meter"><i></i></div></div>
        <div class="row"><button type="button" class="mute-remote" disabled>Mute for me</button>
          <input type="range" min="0" max="100" value="100" aria-label="Volume" disabled /></div>`;
      card.querySelector('.avatar').textContent = key.slice(0, 2).toUpperCase();
      card.querySelector('.avatar').style.background = `hsl(${hash(key) % 360}, 55%, 52%)`;
      card.querySelector('.name').textContent = key;
      entry = { handle: null, card, level: 0, muted: false };
      const muteButton = card.querySelector('.mute-remote');
      muteButton.addEventListener('click', () => {
        entry.muted = !entry.muted;
        entry.handle?.setMuted(entry.muted);
        muteButton.classList.toggle('on', entry.muted);
        muteButton.textContent = entry.muted ? 'Unmute for me' : 'Mute for me';
      });
      card
        .querySelector('input')
        .addEventListener('input', (e) => entry.handle?.setVolume(Number(e.target.value)));
      ui.remotes.appendChild(card);
      demo.remotes.set(key, entry);
      return entry;
    }

    function published(uid, handle) {
      const entry = remoteCard(uid);
      entry.handle = handle;
      const input = entry.card.querySelector('input');
      handle.setVolume(Number(input.value));
      if (entry.muted) handle.setMuted(true);
      entry.card.querySelector('.what').textContent = 'publishing';
      entry.card.querySelector('.mute-remote').disabled = false;
      input.disabled = false;
    }

    function unpublished(uid) {
      const entry = demo.remotes.get(String(uid));
      if (!entry) return;
      entry.handle = null;
      entry.level = 0;
      entry.card.querySelector('.what').textContent = 'not publishing';
      entry.card.querySelector('.mute-remote').disabled = true;
      entry.card.querySelector('input').disabled = true;
    }

    function removeRemote(uid) {
      const entry = demo.remotes.get(String(uid));
      if (!entry) return;
      entry.card.remove();
      demo.remotes.delete(String(uid));
      $('#noRemotes').hidden = demo.remotes.size > 0;
    }

    adapter.onRemote({ joined: remoteCard, published, unpublished, left: removeRemote });

    const localBar = $('#localMeter i');
    const tick = () => {
      const level = demo.source ? demo.source.level() : 0;
      setMeter(localBar, level);
      for (const entry of demo.remotes.values()) {
        entry.level = entry.handle ? entry.handle.level() : 0;
        setMeter(entry.card.querySelector('.meter i'), entry.level);
      }
      const file = demo.source && demo.source.file;
      if (file) {
        const t = file.time();
        $('#fileTime').textContent = `${formatTime(t)} / ${formatTime(file.duration())}`;
        if (document.activeElement !== seek)
          seek.value = String(Math.round((t / file.duration()) * 1000) || 0);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return demo;
  }

  /** A level 0..1 (RMS) on a -50..0 dBFS scale, as a percentage. */
  function meterPercent(level) {
    if (!(level > 0.003)) return 0;
    return Math.max(0, Math.min(100, Math.round((20 * Math.log10(level) + 50) * 2)));
  }

  function setMeter(bar, level) {
    const percent = meterPercent(level);
    bar.style.width = `${percent}%`;
    bar.classList.toggle('hot', percent > 85);
  }

  function hash(s) {
    let h = 0;
    for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return h;
  }

  return {
    start,
    toast,
    toneSource,
    ringModulatorSource,
    pcmFeeder,
    VoiceGenerator,
    chimeWav,
    describeError,
  };
})();
