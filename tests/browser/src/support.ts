import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type PatchbayServer } from '@patchbay/server';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** The address media binds to: the namespace's veth address under scripts/netns-run.sh, else loopback. */
export const TEST_IP = process.env.PATCHBAY_TEST_IP || '127.0.0.1';

const here = dirname(fileURLToPath(import.meta.url));
/** Static test pages (served under /test/). */
export const PAGES_DIR = join(here, '..', 'pages');
const webRoot = dirname(dirname(createRequire(import.meta.url).resolve('@patchbay/web')));
/** The browser bundles (served under /sdk/). */
export const BUNDLE_DIR = join(webRoot, 'bundle');

/** Builds the IIFE bundles when they are missing or older than the compiled SDK. */
export function ensureBundle(): void {
  const bundle = join(BUNDLE_DIR, 'patchbay.js');
  const compat = join(BUNDLE_DIR, 'patchbay-ng-compat.js');
  const dist = join(webRoot, 'dist', 'index.js');
  const stale =
    !existsSync(bundle) ||
    !existsSync(compat) ||
    statSync(bundle).mtimeMs < newestMtime(join(webRoot, 'dist')) ||
    statSync(bundle).mtimeMs < statSync(dist).mtimeMs;
  if (stale) {
    execFileSync(process.execPath, [join(webRoot, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of ['index.js', 'Client.js', 'LocalAudioTrack.js', 'RemoteAudioTrack.js', 'audio.js']) {
    const file = join(dir, name);
    if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
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

/**
 * Where pages are loaded from: the Patchbay server itself (staticRoutes), or, with a server build
 * that does not serve staticRoutes yet, a small local file server (the page then calls setServer()).
 */
let fallback: { server: http.Server; origin: string } | null = null;

async function pageOrigin(server: PatchbayServer): Promise<{ origin: string; sameOrigin: boolean }> {
  const probe = await fetch(`${server.httpUrl}/sdk/patchbay.js`, { method: 'HEAD' });
  if (probe.ok) return { origin: server.httpUrl, sameOrigin: true };
  if (!fallback) {
    const routes: Record<string, string> = { '/sdk/': BUNDLE_DIR, '/test/': PAGES_DIR };
    const files = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      for (const [prefix, dir] of Object.entries(routes)) {
        if (!path.startsWith(prefix)) continue;
        const file = normalize(join(dir, path.slice(prefix.length)));
        if (file.startsWith(dir + sep) && existsSync(file) && statSync(file).isFile()) {
          const type = file.endsWith('.html') ? 'text/html' : 'text/javascript';
          res.writeHead(200, { 'content-type': `${type}; charset=utf-8` });
          createReadStream(file).pipe(res);
          return;
        }
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    files.unref();
    fallback = { server: files, origin: `http://127.0.0.1:${(files.address() as AddressInfo).port}` };
  }
  return { origin: fallback.origin, sameOrigin: false };
}

/** Opens a test page of `server` and waits until the SDK and the helpers are loaded. */
export async function openPage(browser: Browser, server: PatchbayServer, name = 'index.html'): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  page.on('console', (message) => {
    if (process.env.PATCHBAY_TEST_PAGE_LOG) console.error(`[page ${message.type()}] ${message.text()}`);
  });
  const { origin, sameOrigin } = await pageOrigin(server);
  await page.goto(`${origin}/test/${name}`);
  const global = name.includes('ng-compat') ? 'AgoraRTC' : 'Patchbay';
  await page.waitForFunction((g) => (globalThis as Record<string, unknown>)[g] !== undefined, global);
  if (!sameOrigin) {
    await page.evaluate(
      ([g, url]) =>
        (globalThis as unknown as Record<string, { setServer(u: string): void }>)[g].setServer(url),
      [global, server.url] as const,
    );
  }
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
