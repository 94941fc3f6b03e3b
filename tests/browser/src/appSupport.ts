// Shared by the demo, v3, PCM-track and examples tests: bundles, a server that also serves the
// demo app and the examples, page helpers and PCM analysis.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type PatchbayServer } from '@patchbay/server';
import type { Page } from 'playwright-core';
import { BUNDLE_DIR, ensureBundle, PAGES_DIR, TEST_IP } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..', '..', '..');
export const DEMO_DIR = join(REPO_ROOT, 'apps', 'demo');
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'artifacts');
/** The three bundles, fresh (kept for the callers of this module). */
export const ensureAllBundles = ensureBundle;

/** A server on free ports with /sdk/, /test/, /examples/ and the demo app at / (as `patchbay serve`). */
export function startAppServer(): Promise<PatchbayServer> {
  ensureAllBundles();
  return createServer({
    host: '127.0.0.1',
    port: 0,
    rtcPort: 0,
    rtcBind: TEST_IP,
    logLevel: (process.env.PATCHBAY_TEST_LOG_LEVEL as 'warn') || 'warn',
    staticRoutes: { '/sdk/': BUNDLE_DIR, '/test/': PAGES_DIR, '/examples/': EXAMPLES_DIR, '/': DEMO_DIR },
  });
}

/** Collects console errors and page errors of `page` (the demo must have none). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (process.env.PATCHBAY_TEST_PAGE_LOG) console.error(`[page ${message.type()}] ${message.text()}`);
    // A failed load is reported below with its URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(`console.error: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return errors;
}

/** Runs `body` (source of an async function of `arg`) in the page and returns its result. */
export function run<R>(page: Page, body: string, arg?: unknown): Promise<R> {
  return page.evaluate(
    ([source, a]) => {
      const fn = new Function('arg', `return (${source})(arg);`);
      return fn(a) as unknown;
    },
    [body, arg] as const,
  ) as Promise<R>;
}

/** Frequency of 16-bit PCM from rising zero crossings (with hysteresis at 10% of its peak). */
export function zeroCrossFrequency(samples: Int16Array, sampleRate = 48000): number {
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  if (peak === 0) return 0;
  const level = 0.1 * peak;
  let armed = false;
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1];
    const cur = samples[i];
    if (cur < -level) armed = true;
    else if (armed && prev < 0 && cur >= 0) {
      const t = i - 1 + prev / (prev - cur);
      if (first < 0) first = t;
      last = t;
      count++;
      armed = false;
    }
  }
  return count >= 2 && last > first ? ((count - 1) * sampleRate) / (last - first) : 0;
}

/** [start, end) sample indices of the region louder than `threshold` (fraction of full scale) in 10 ms blocks. */
export function loudRegion(samples: Int16Array, threshold = 0.02, block = 480): [number, number] | null {
  let start = -1;
  let end = -1;
  for (let at = 0; at + block <= samples.length; at += block) {
    let sum = 0;
    for (let i = at; i < at + block; i++) sum += samples[i] * samples[i];
    if (Math.sqrt(sum / block) / 32768 > threshold) {
      if (start < 0) start = at;
      end = at + block;
    }
  }
  return start < 0 ? null : [start, end];
}

/** Refines a region edge to the first/last sample above `threshold`. */
export function exactEdges(
  samples: Int16Array,
  region: [number, number],
  threshold = 0.02,
): [number, number] {
  const limit = threshold * 32768;
  let [start, end] = region;
  const from = Math.max(0, start - 480);
  start = region[0];
  for (let i = from; i < region[1]; i++) {
    if (Math.abs(samples[i]) > limit) {
      start = i;
      break;
    }
  }
  for (let i = Math.min(samples.length, end + 480) - 1; i >= start; i--) {
    if (Math.abs(samples[i]) > limit) {
      end = i + 1;
      break;
    }
  }
  return [start, end];
}
