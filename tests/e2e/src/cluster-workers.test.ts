import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { rawJoin, spawnServe, Talker } from './clusterSupport.js';
import { freePort } from './reconnectSupport.js';
import { sleep, waitFor } from './support.js';

describe(
  'patchbay serve --workers 2: one signaling port, every worker carries channels',
  { timeout: 90_000 },
  () => {
    let serve: ReturnType<typeof spawnServe>;
    let entry: string;
    let workerUrls: string[];
    const talkers: Talker[] = [];

    before(async () => {
      const port = await freePort();
      serve = spawnServe(['--workers', '2', '--port', String(port)]);
      const lines = createInterface({ input: serve.child.stdout! });
      const out: string[] = [];
      await new Promise<void>((resolve, reject) => {
        lines.on('line', (line) => {
          // libdatachannel may print a warning of its own first: keep from "Patchbay listening" on.
          if (out.length > 0 || line.startsWith('Patchbay listening')) out.push(line);
          if (out.length === 2) resolve();
        });
        serve.child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${serve.stderr()}`)));
      });
      entry = /\(signaling (ws:\/\/\S+),/.exec(out[0])?.[1] ?? '';
      assert.equal(entry, `ws://127.0.0.1:${port}`, out[0]);
      workerUrls = [...out[1].matchAll(/ws:\/\/\S+?(?=[ ;])/g)].map((m) => m[0]);
      assert.deepEqual(workerUrls, [`ws://127.0.0.1:${port + 1}`, `ws://127.0.0.1:${port + 2}`], out[1]);
    });
    after(async () => {
      for (const t of talkers) await t.leave();
      const exited = new Promise((resolve) => serve.child.once('exit', (code) => resolve(code)));
      serve.child.kill('SIGTERM');
      assert.equal(await exited, 0, serve.stderr());
    });

    /** Channels and participants on each worker, from its own port's /health. */
    async function perWorker(): Promise<Array<{ channels: number; participants: number }>> {
      return Promise.all(
        workerUrls.map(async (url) => {
          const res = await fetch(`${url.replace(/^ws/, 'http')}/health`, {
            signal: AbortSignal.timeout(2000),
          });
          return (await res.json()) as { channels: number; participants: number };
        }),
      );
    }

    it('channels entered through the shared port are placed on both workers', async () => {
      const held = [];
      try {
        for (let i = 0; i < 6; i++) {
          const j = await rawJoin(entry, `w-${i}`, 'u');
          held.push(j.peer);
          assert.equal(j.reply.type, 'result', JSON.stringify(j.reply));
          if (j.redirected)
            assert.ok(workerUrls.includes(j.url), `redirected to a worker's own port: ${j.url}`);
        }
        // The same channel entered again (through whichever worker takes the connection) joins it.
        for (let i = 0; i < 4; i++) {
          const again = await rawJoin(entry, 'w-0', `again-${i}`);
          held.push(again.peer);
          assert.equal(again.reply.type, 'result', JSON.stringify(again.reply));
        }
        const load = await perWorker();
        assert.equal(load[0].channels + load[1].channels, 6, JSON.stringify(load));
        assert.ok(
          load[0].channels > 0 && load[1].channels > 0,
          `both workers carry channels: ${JSON.stringify(load)}`,
        );
        assert.equal(
          load[0].participants + load[1].participants,
          10,
          'w-0 has its 5 participants on one worker',
        );
      } finally {
        for (const p of held) p.close();
      }
    });

    it('two clients entering through the shared port hear each other', async () => {
      const a = new Talker(440);
      const b = new Talker(660);
      talkers.push(a, b);
      await a.join(entry, 'workers-talk', 'alice');
      await b.join(entry, 'workers-talk', 'bob');
      await a.waitToHear(660, 15000);
      await b.waitToHear(440, 15000);
    });

    it('a worker that dies is started again on its ports; its clients come back and hear each other', async (t) => {
      // The owner is the worker that gained these two participants (the previous test's talkers
      // are still joined, maybe on the other worker: counting alone picked the wrong one).
      const before = await perWorker();
      const a = new Talker(440);
      const b = new Talker(660);
      talkers.push(a, b);
      await a.join(entry, 'workers-crash', 'alice');
      await b.join(entry, 'workers-crash', 'bob');
      await a.waitToHear(660, 15000);
      await b.waitToHear(440, 15000);
      const now = await perWorker();
      const owner = now.findIndex((w, i) => w.participants - (before[i]?.participants ?? 0) === 2);
      assert.ok(owner >= 0, 'one worker holds the channel');
      // The worker's pid: the primary's child whose environment names that index.
      const pid = execFileSync('pgrep', ['-P', String(serve.child.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .find((p) =>
          readFileSync(`/proc/${p}/environ`, 'latin1').includes(`PATCHBAY_WORKER_INDEX=${owner}\0`),
        );
      assert.ok(pid, 'found the worker process');
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const [ta, tb] = await Promise.all([
        a.waitForGap(killedAt, 5000).then((gap) => a.waitToHear(660, 15000, gap)),
        b.waitForGap(killedAt, 5000).then((gap) => b.waitToHear(440, 15000, gap)),
      ]);
      t.diagnostic(
        `worker crash: both hear each other again ${Math.max(ta, tb) - killedAt} ms after the kill`,
      );
      await waitFor(() => serve.stderr().includes(`worker ${owner} exited (SIGKILL); starting a new one`));
      // The new worker answers on the same port once it has started (loading takes a few seconds).
      const until = Date.now() + 20000;
      let load = await perWorker().catch(() => null);
      while (!load && Date.now() < until) {
        await sleep(250);
        load = await perWorker().catch(() => null);
      }
      assert.ok(
        load,
        `both workers answer on their own ports again; serve's stderr: ${serve.stderr().slice(-2000)}`,
      );
    });
  },
);
