import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_IP } from './support.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'patchbay.js');

/** `patchbay serve` in its own process (its event loop apart from the test's), on free ports. */
export interface ServerProcess {
  /** Signaling WebSocket URL. */
  readonly url: string;
  close(): Promise<void>;
}

export async function spawnServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--rtc-port', '0', '--rtc-bind', TEST_IP, '--log-level', 'warn'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null }));
  const first = await Promise.race([once(lines, 'line').then(([line]) => line as string), exited]);
  if (typeof first !== 'string') {
    throw new Error(`patchbay serve exited (${String(first.code)}) before listening: ${stderr}`);
  }
  const url = /\(signaling (ws:\/\/\S+),/.exec(first)?.[1];
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line of patchbay serve: ${first}`);
  }
  return {
    url,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
