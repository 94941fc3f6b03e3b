// Patchbay demo: the page shell and the UI wiring shared by the NG page
// (index.html, app.js) and the v3 page (v3.html, app-v3.js). Each page supplies an "adapter"
// that does the SDK calls; everything else lives here. No build step: plain browser JavaScript.
'use strict';

window.Demo = (() => {
  // The sources live in sources.js (loaded first); they are re-exported below.
  const { toneSource, ringModulatorSource, VoiceGenerator, pcmFeeder, chimeWav } = window.DemoSources;
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
        <span id="netStats" class="status" aria-live="off"></span>
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
