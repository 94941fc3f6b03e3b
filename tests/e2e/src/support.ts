import { createServer, type PatchbayServer } from '@patchbay/server';

/**
 * The address media binds to in tests: the namespace's veth address when the tests run inside
 * scripts/netns-run.sh (as `npm test` arranges), else loopback.
 */
export const TEST_IP = process.env.PATCHBAY_TEST_IP || '127.0.0.1';

/** A server on free ports, quiet, media on the test address. */
export function startServer(): Promise<PatchbayServer> {
  return createServer({
    host: '127.0.0.1',
    port: 0,
    rtcPort: 0,
    rtcBind: TEST_IP,
    logLevel: (process.env.PATCHBAY_TEST_LOG_LEVEL as 'warn') || 'warn',
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Concatenates 10 ms frames copied from an onAudioFrame/onMixedAudioFrame callback. */
export class FrameRecorder {
  readonly #chunks: Int16Array[] = [];
  readonly push = (frame: { samples: Int16Array }): void => {
    this.#chunks.push(Int16Array.from(frame.samples));
  };
  get samples(): Int16Array {
    return concatSamples(this.#chunks);
  }
}

/** The chunks joined into one array. */
export function concatSamples(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Waits until `predicate()` is true, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
