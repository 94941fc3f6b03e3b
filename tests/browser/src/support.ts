import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type PatchbayServer } from '@patchbay/server';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** The address media binds to: the namespace's veth address under scripts/netns-run.sh, else loopback. */
/**
 * Relative pitch error allowed where audio passes through Chromium (its Web Audio render thread
 * and fake audio device glitch when the 2-core CI machine is busy, which shifts the measured
 * pitch: runs after the merge of session 2 saw 1.3-3.9 % on a loaded machine; the Node-only
 * paths keep 1 %). Not yet explained beyond that; see the closing note of session 2.
 */
export const CHROMIUM_PITCH_TOLERANCE = 0.03;

export const TEST_IP = process.env.PATCHBAY_TEST_IP || '127.0.0.1';

const here = dirname(fileURLToPath(import.meta.url));
/** Static test pages (served under /test/). */
export const PAGES_DIR = join(here, '..', 'pages');
const webRoot = dirname(dirname(createRequire(import.meta.url).resolve('@patchbay/web')));
/** The browser bundles (served under /sdk/). */
export const BUNDLE_DIR = join(webRoot, 'bundle');

/** Builds the IIFE bundles when any is missing or older than any compiled file of the SDK. */
export function ensureBundle(): void {
  const bundles = ['patchbay.js', 'patchbay-ng-compat.js', 'patchbay-v3-compat.js'].map((f) =>
    join(BUNDLE_DIR, f),
  );
  const newest = newestJs(join(webRoot, 'dist'));
  if (bundles.some((f) => !existsSync(f) || statSync(f).mtimeMs < newest)) {
    execFileSync(process.execPath, [join(webRoot, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
  }
}

function newestJs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestJs(path));
    else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** A server on free ports serving the bundles at /sdk/ and the test pages at /test/. */
export function startServer(): Promise<PatchbayServer> {
  ensureBundle();
  return createServer({
    host: '127.0.0.1',
    port: 0,
    rtcPort: 0,
    rtcBind: TEST_IP,
    logLevel: (process.env.PATCHBAY_TEST_LOG_LEVEL as 'warn') || 'warn',
    staticRoutes: { '/sdk/': BUNDLE_DIR, '/test/': PAGES_DIR },
  });
}

export const CHROMIUM_PATH = process.env.PATCHBAY_CHROMIUM || '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Debian Chromium with fake media devices and autoplay allowed. */
export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'patchbay-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      // Host candidates as IPs rather than mDNS names: the server cannot resolve .local names.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a test page of `server` and waits until the SDK and the helpers are loaded. */
export async function openPage(browser: Browser, server: PatchbayServer, name = 'index.html'): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  page.on('console', (message) => {
    if (process.env.PATCHBAY_TEST_PAGE_LOG) console.error(`[page ${message.type()}] ${message.text()}`);
  });
  // The page comes from the Patchbay server itself, so the SDK's default server (the page's origin) is right.
  await page.goto(`${server.httpUrl}/test/${name}`);
  const global = name.includes('ng-compat') ? 'AgoraRTC' : 'Patchbay';
  await page.waitForFunction((g) => (globalThis as Record<string, unknown>)[g] !== undefined, global);
  return page;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `predicate()` is true, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Concatenates 10 ms frames copied from an onAudioFrame/onMixedAudioFrame callback. */
export class FrameRecorder {
  readonly #chunks: Int16Array[] = [];
  #length = 0;
  readonly push = (frame: { samples: Int16Array }): void => {
    this.#chunks.push(Int16Array.from(frame.samples));
    this.#length += frame.samples.length;
  };
  clear(): void {
    this.#chunks.length = 0;
    this.#length = 0;
  }
  /** RMS (fraction of full scale) of the last `ms` of 48 kHz mono audio recorded. */
  recentRms(ms = 100): number {
    const want = Math.round(48 * ms);
    let sum = 0;
    let n = 0;
    for (let i = this.#chunks.length - 1; i >= 0 && n < want; i--) {
      for (const s of this.#chunks[i]) sum += (s / 32768) ** 2;
      n += this.#chunks[i].length;
    }
    return n ? Math.sqrt(sum / n) : 0;
  }

  /** Waits until the last 100 ms are louder than `threshold` (audio flows end to end). */
  async waitForSound(threshold = 0.05, timeoutMs = 10000): Promise<void> {
    await waitFor(() => this.recentRms(100) > threshold, timeoutMs, 'audio at the listener');
  }

  get samples(): Int16Array {
    const out = new Int16Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Runs `body` (source of an async function of the page's Patchbay object, its test helpers `T` and `arg`) in the page. */
export function runWithSdk<R>(page: Page, body: string, arg?: unknown): Promise<R> {
  return page.evaluate(
    ([source, a]) => {
      const fn = new Function('P', 'T', 'arg', `return (${source})(P, T, arg);`);
      const g = globalThis as unknown as { Patchbay: unknown; T: unknown };
      return fn(g.Patchbay, g.T, a) as unknown;
    },
    [body, arg] as const,
  ) as Promise<R>;
}
