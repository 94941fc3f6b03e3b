import { after, before, describe, it } from 'node:test';
import type { ImpairmentProxy } from '@patchbay/netsim';
import type { PatchbayServer } from '@patchbay/server';
import { runLossCall } from '../../../bench/dist/index.js';
import { startImpairedServer } from './lossSupport.js';

const CASES = (process.env.EXPLORE ?? 'up:0.1,down:0.1').split(',').map((c) => c.split(':'));
describe('explore', () => {
  let server: PatchbayServer;
  let proxy: ImpairmentProxy;
  before(async () => ({ server, proxy } = await startImpairedServer(3)));
  after(async () => {
    await server.close();
    await proxy.close();
  });
  for (const [dir, rate] of CASES) {
    it(`${dir} ${rate}`, async () => {
      const r = await runLossCall({
        serverUrl: server.url,
        channel: `x${dir}${rate}`,
        seconds: 10,
        warmupSeconds: Number(process.env.WARMUP ?? 8),
        onFlowing: () => {
          proxy.setImpairment('both', { loss: { kind: 'none' } });
          proxy.setImpairment(dir as 'up', { loss: { kind: 'bernoulli', rate: Number(rate) } });
          proxy.resetCounters();
        },
      });
      console.log(dir, rate, JSON.stringify(r), JSON.stringify(proxy.counters));
    });
  }
});
