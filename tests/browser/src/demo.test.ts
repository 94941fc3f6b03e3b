import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PatchbayServer } from '@patchbay/server';
import type { Page } from 'playwright-core';
import { ARTIFACTS_DIR, collectErrors, run, startAppServer } from './appSupport.js';
import { type Browser, launchBrowser, sleep } from './support.js';

/** A mono 16-bit WAV of a `freq` Hz sine. */
function wav(freq: number, seconds: number, rate = 48000): Buffer {
  const n = Math.round(seconds * rate);
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    b.writeInt16LE(Math.round(16000 * Math.sin((2 * Math.PI * freq * i) / rate)), 44 + i * 2);
  return b;
}

/**
 * Page side: records what the demo receives from `uid` for `ms` (through the remote track's
 * setAudioFrameCallback) and reads the demo's level meter; returns frequency, RMS and peak meter level.
 */
const LISTEN = `async ({ uid, ms }) => {
  const demo = window.demo;
  const deadline = Date.now() + 10000;
  let user;
  while (!(user = demo.client.remoteUsers.find((u) => String(u.uid) === uid && u.audioTrack && !u.audioTrack.released)) ||
      !demo.remotes.get(uid)?.handle) {
    if (Date.now() > deadline) throw new Error('no remote track from ' + uid);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 700));
  const chunks = [];
  let meter = 0;
  const track = user.audioTrack;
  track.setAudioFrameCallback((b) => chunks.push(Float32Array.from(b.getChannelData(0))), 1024);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    meter = Math.max(meter, demo.remotes.get(uid)?.level ?? 0);
    await new Promise((r) => setTimeout(r, 30));
  }
  track.setAudioFrameCallback(null);
  const all = new Float32Array(chunks.length * 1024);
  chunks.forEach((c, i) => all.set(c, i * 1024));
  let sum = 0;
  for (const s of all) sum += s * s;
  // Frequency from rising zero crossings in 4096-sample windows; the median ignores a window
  // spoiled by a glitch of headless Chromium's audio clock.
  const estimates = [];
  for (let at = 0; at + 4096 <= all.length; at += 4096) {
    const w = all.subarray(at, at + 4096);
    let peak = 0;
    for (const s of w) peak = Math.max(peak, Math.abs(s));
    const level = 0.1 * peak;
    let armed = false, first = -1, last = -1, count = 0;
    for (let i = 1; i < w.length; i++) {
      const prev = w[i - 1], cur = w[i];
      if (cur < -level) armed = true;
      else if (armed && prev < 0 && cur >= 0) {
        const t = i - 1 + prev / (prev - cur);
        if (first < 0) first = t;
        last = t;
        count++;
        armed = false;
      }
    }
    if (count >= 2 && peak > 0.01) estimates.push(((count - 1) * 48000) / (last - first));
  }
  estimates.sort((x, y) => x - y);
  const frequency = estimates.length ? estimates[Math.floor(estimates.length / 2)] : 0;
  return { frequency, rms: Math.sqrt(sum / Math.max(1, all.length)), meter };
}`;

type Heard = { frequency: number; rms: number; meter: number };

describe('demo app (apps/demo) in two tabs', () => {
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

  async function openDemo(path: string, errors: string[]): Promise<Page> {
    const page = await browser.context.newPage();
    const own = collectErrors(page);
    page.on('close', () => errors.push(...own));
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.httpUrl}${path}`);
    await page.waitForFunction(() => (globalThis as { demo?: unknown }).demo !== undefined);
    return page;
  }

  async function joinDemo(page: Page, uid: string): Promise<void> {
    await page.fill('#uid', uid);
    await page.click('#join');
    await page.waitForFunction("document.querySelector('#me').textContent.startsWith('you are')");
    assert.equal(await page.textContent('#state'), 'CONNECTED');
  }

  async function pick(page: Page, source: string): Promise<void> {
    await page.click(`.sources label:has(input[value="${source}"])`);
  }

  async function waitPublished(page: Page): Promise<void> {
    await page.waitForFunction("window.demo.publishing && !document.querySelector('#publish').disabled");
  }

  test('every source kind published from one tab is heard in the other; controls work; screenshot', async () => {
    const errors: string[] = [];
    const a = await openDemo('/index.html?channel=demo-a', errors);
    const b = await openDemo('/index.html?channel=demo-a', errors);
    assert.equal(await a.inputValue('#channel'), 'demo-a');
    await joinDemo(a, 'alice');
    await joinDemo(b, 'bob');
    const listen = (ms = 1200) => run<Heard>(b, LISTEN, { uid: 'alice', ms });

    // Tone (the default source) at 700 Hz.
    await a.fill('#toneFreq', '700');
    await a.click('#publish');
    await waitPublished(a);
    const tone = await listen();
    assert.ok(Math.abs(tone.frequency - 700) / 700 < 0.01, `tone: heard ${JSON.stringify(tone)}`);
    assert.ok(tone.meter > 0.2, `tone: remote meter ${tone.meter}`);
    // Tab B marks alice as the active speaker and shows how the call is doing.
    await b.waitForSelector('.user.speaking[data-uid="alice"]', { timeout: 5000 });
    await b.waitForFunction(
      "document.querySelector('#netStats').textContent.includes('network')",
      undefined,
      {
        timeout: 5000,
      },
    );

    // Mute and volume (what the other tab hears).
    await a.click('#mute');
    await sleep(600);
    assert.ok((await listen(600)).rms < 0.005, 'muted: silence');
    await a.click('#mute');
    await a.fill('#volume', '50');
    const half = await listen(800);
    assert.ok(
      half.rms / tone.rms > 0.4 && half.rms / tone.rms < 0.6,
      `volume 50: ${half.rms} vs ${tone.rms}`,
    );
    await a.fill('#volume', '100');

    // Local mute of a remote user in tab B stops its playback there.
    await b.click('.user[data-uid="alice"] .mute-remote');
    const stopped = await run<boolean>(
      b,
      `async () => window.demo.client.remoteUsers.find((u) => u.uid === 'alice').audioTrack.isPlaying`,
    );
    assert.equal(stopped, false);
    await b.click('.user[data-uid="alice"] .mute-remote');

    // Audio file (a 523 Hz WAV) with pause and seek.
    await a.setInputFiles('#fileInput', { name: 'c5.wav', mimeType: 'audio/wav', buffer: wav(523, 3) });
    await pick(a, 'file');
    await waitPublished(a);
    const file = await listen();
    assert.ok(Math.abs(file.frequency - 523) / 523 < 0.01, `file: heard ${JSON.stringify(file)}`);
    await a.click('#filePlay');
    assert.equal(await a.textContent('#filePlay'), 'Play');
    await sleep(600);
    assert.ok((await listen(600)).rms < 0.005, 'file paused: silence');
    await a.evaluate(
      "(() => { const seek = document.querySelector('#fileSeek'); seek.value = '500'; seek.dispatchEvent(new Event('input')); })()",
    );
    const position = await run<number>(a, 'async () => window.demo.source.file.time()');
    assert.ok(Math.abs(position - 1.5) < 0.05, `seek to the middle: ${position}`);
    await a.click('#filePlay');
    assert.ok((await listen(600)).rms > 0.1, 'file resumed');

    // Microphone (Chromium's fake device beeps).
    await pick(a, 'mic');
    await waitPublished(a);
    const mic = await listen(2000);
    assert.ok(mic.rms > 0.01 && mic.meter > 0.02, `microphone: ${JSON.stringify(mic)}`);

    // Microphone through the ring modulator.
    await pick(a, 'voice');
    await waitPublished(a);
    const voice = await listen(2000);
    assert.ok(voice.rms > 0.01 && voice.meter > 0.02, `voice changer: ${JSON.stringify(voice)}`);

    // Generated speech through the PCM push track; Interrupt calls clearBuffer().
    await pick(a, 'pcm');
    await waitPublished(a);
    const pcm = await listen(2000);
    assert.ok(pcm.rms > 0.008 && pcm.meter > 0.03, `PCM track: ${JSON.stringify(pcm)}`);
    // Tab B publishes too, so the screenshot shows both directions.
    await b.click('#publish');
    await waitPublished(b);
    await a.waitForSelector('.user[data-uid="bob"] .mute-remote:not([disabled])');
    await sleep(500);
    // Catch alice mid-syllable, so the screenshot shows her meter moving.
    await b.waitForFunction("window.demo.remotes.get('alice').level > 0.05", undefined, { timeout: 5000 });
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const shot = join(ARTIFACTS_DIR, 'demo.png');
    await b.screenshot({ path: shot });
    console.log(`demo screenshot: ${shot}`);
    await b.setViewportSize({ width: 390, height: 844 });
    await sleep(200);
    const phone = join(ARTIFACTS_DIR, 'demo-phone.png');
    await b.screenshot({ path: phone, fullPage: true });
    console.log(`demo phone-width screenshot: ${phone}`);
    const overflow = await b.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `no horizontal scrolling at phone width (${overflow} px)`);

    await a.click('#pcmInterrupt');
    const cleared = await run<number>(a, 'async () => window.demo.source.track.stats.clearedFrames');
    assert.ok(cleared > 0, 'Interrupt dropped queued PCM');
    await sleep(300);
    assert.match(
      (await a.textContent('#pcmStats')) ?? '',
      /queued \d+ ms · underruns \d+ · cleared [1-9]\d* ms/,
    );

    await a.click('#publish');
    await a.click('#leave');
    await a.waitForFunction("document.querySelector('#state').textContent === 'DISCONNECTED'");
    await b.waitForFunction(`!document.querySelector('.user[data-uid="alice"]')`);
    await a.close();
    await b.close();
    assert.deepEqual(errors, [], 'no console errors in either tab');
  });

  test('the v3 demo page and the NG demo page hear each other', async () => {
    const errors: string[] = [];
    const v3 = await openDemo('/v3.html?channel=demo-b', errors);
    const ng = await openDemo('/index.html?channel=demo-b', errors);
    await joinDemo(v3, '4242');
    await joinDemo(ng, 'ng-user');
    await v3.fill('#toneFreq', '600');
    await v3.click('#publish');
    await waitPublished(v3);
    const heardByNg = await run<Heard>(ng, LISTEN, { uid: '4242', ms: 1200 });
    assert.ok(Math.abs(heardByNg.frequency - 600) / 600 < 0.01, `NG heard ${JSON.stringify(heardByNg)}`);

    await ng.fill('#toneFreq', '900');
    await ng.click('#publish');
    await waitPublished(ng);
    await v3.waitForSelector('.user[data-uid="ng-user"]');
    await sleep(1500);
    const v3Meter = await run<number>(v3, `async () => window.demo.remotes.get('ng-user').level`);
    assert.ok(v3Meter > 0.2, `the v3 page's meter for the NG user: ${v3Meter}`);

    // PCM push track on the v3 page (its MediaStreamTrack as the v3 audioSource).
    await pick(v3, 'pcm');
    await waitPublished(v3);
    const pcm = await run<Heard>(ng, LISTEN, { uid: '4242', ms: 1500 });
    assert.ok(
      pcm.rms > 0.008 && pcm.meter > 0.03,
      `NG heard the v3 page's PCM track: ${JSON.stringify(pcm)}`,
    );
    await v3.click('#leave');
    await v3.close();
    await ng.close();
    assert.deepEqual(errors, [], 'no console errors');
  });
});
