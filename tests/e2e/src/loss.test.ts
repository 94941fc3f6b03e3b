/**
 * Audio under loss: a Node SDK publisher's speech-like signal through an ImpairmentProxy (the
 * server's only announced candidate) and the SFU to a Node SDK listener, over real WebRTC.
 * Figures per case go to the log; BENCHMARKS.md has them from `npm run bench -- --only loss`.
 *
 * With RED (server option `red`, on by default; this suite's main server runs the defaults, so
 * it checks the out-of-the-box configuration) each packet also carries the previous one, so a single loss costs
 * nothing; without RED, Opus in-band FEC does the same job less completely, and only once the
 * publisher is told the loss (the SFU's receiver reports, which include its subscribers' loss).
 * The concealed-sample ratio also counts underruns when the shared machine stalls the processes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImpairmentProxy, LossSpec } from '@patchbay/netsim';
import type { PatchbayServer, ServerOptions } from '@patchbay/server';
import { type LossCallResult, runLossCall } from '../../../bench/dist/index.js';
import { describeCall, startImpairedServer } from './lossSupport.js';

const SECONDS = 8;
const WARMUP = 6;

/** A call with `loss` on one direction of `proxy` (the other clean); the counters cover the call. */
function call(
  server: PatchbayServer,
  proxy: ImpairmentProxy,
  channel: string,
  direction: 'up' | 'down',
  loss: LossSpec,
) {
  return runLossCall({
    serverUrl: server.url,
    channel,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    onFlowing: () => {
      proxy.setImpairment('both', { loss: { kind: 'none' }, delayMs: 0, jitterMs: 0, reorderRate: 0 });
      proxy.setImpairment(direction, { loss });
      proxy.resetCounters();
    },
  });
}

/** The same call on a server of its own with other options. */
async function callOn(
  options: Partial<ServerOptions>,
  channel: string,
  direction: 'up' | 'down',
  loss: LossSpec,
  what: string,
) {
  const { server, proxy } = await startImpairedServer(8, options);
  try {
    const r = await call(server, proxy, channel, direction, loss);
    console.log(describeCall(what, r, proxy));
    return r;
  } finally {
    await server.close();
    await proxy.close();
  }
}

function lostShare(r: LossCallResult): number {
  return r.packetsLost / Math.max(1, r.packetsReceived + r.packetsLost);
}

describe('audio under loss (impairment proxy in front of the SFU)', { timeout: 400_000 }, () => {
  let server: PatchbayServer;
  let proxy: ImpairmentProxy;
  before(async () => {
    ({ server, proxy } = await startImpairedServer(8)); // defaults: RED on
  });
  after(async () => {
    await server.close();
    await proxy.close();
  });

  it('10% random loss on the publisher’s uplink, RED: at most 2% concealed, the call stays connected', async () => {
    const r = await call(server, proxy, 'uplink-10', 'up', { kind: 'bernoulli', rate: 0.1 });
    console.log(describeCall('uplink bernoulli 10%', r, proxy));
    assert.ok(r.stayedConnected, `states ${r.states.join(',')}`);
    assert.ok(lostShare(r) >= 0.05, `the loss reached the listener (${r.packetsLost} lost)`);
    assert.ok((r.publisherReportedLoss ?? 0) >= 0.03, `the publisher was told (${r.publisherReportedLoss})`);
    assert.ok(r.publisherBytesPerPacket > 250, `RED in use: ${r.publisherBytesPerPacket} bytes per packet`);
    assert.ok(r.concealedRatio <= 0.02, `concealed ${r.concealedRatio}`);
  });

  it('10% random loss on the downlink: RED covers it; without RED, FEC does once the SFU reports subscriber loss', async () => {
    const r = await call(server, proxy, 'downlink-10', 'down', { kind: 'bernoulli', rate: 0.1 });
    console.log(describeCall('downlink bernoulli 10%', r, proxy));
    assert.ok(r.stayedConnected, `states ${r.states.join(',')}`);
    assert.ok(lostShare(r) >= 0.05, `the loss reached the listener (${r.packetsLost} lost)`);
    assert.ok(r.concealedRatio <= 0.02, `concealed ${r.concealedRatio}`);

    const loss: LossSpec = { kind: 'bernoulli', rate: 0.1 };
    const fec = await callOn(
      { red: false },
      'downlink-10-fec',
      'down',
      loss,
      'downlink bernoulli 10%, no RED',
    );
    const none = await callOn(
      { red: false, reportSubscriberLoss: false },
      'downlink-10-uplink-only',
      'down',
      loss,
      'downlink bernoulli 10%, no RED, uplink-only reports',
    );
    assert.ok(
      (fec.publisherReportedLoss ?? 0) >= 0.03,
      `told the subscriber's loss (${fec.publisherReportedLoss})`,
    );
    assert.ok(
      fec.fecRecovered >= fec.packetsLost * 0.4,
      `FEC rebuilt ${fec.fecRecovered} of ${fec.packetsLost}`,
    );
    assert.equal(none.publisherReportedLoss, 0, 'uplink-only reports: the publisher hears of no loss');
    assert.ok(
      none.fecRecovered <= none.packetsLost * 0.1,
      `no FEC: ${none.fecRecovered} of ${none.packetsLost} rebuilt`,
    );
    assert.ok(
      none.concealedRatio > fec.concealedRatio,
      `concealed ${none.concealedRatio} without reports vs ${fec.concealedRatio} with`,
    );
  });

  it('20% Gilbert-Elliott bursts (mean 3 packets) on the uplink: the call stays up and audio keeps coming', async () => {
    const r = await call(server, proxy, 'bursts-20', 'up', {
      kind: 'gilbert-elliott',
      rate: 0.2,
      meanBurst: 3,
    });
    console.log(describeCall('uplink gilbert-elliott 20% burst 3', r, proxy));
    assert.ok(r.stayedConnected, `states ${r.states.join(',')}`);
    assert.ok(lostShare(r) >= 0.1, `bursts reached the listener (${r.packetsLost} lost)`);
    assert.ok(lostShare(r) <= 0.35, `${r.packetsReceived} packets arrived`);
    assert.ok(r.concealedRatio < 0.4, `concealed ${r.concealedRatio}`);
  });

  it('30 ms jitter and 3% reordering both ways: stays connected, nothing counted lost', async () => {
    const r = await runLossCall({
      serverUrl: server.url,
      channel: 'jitter-30',
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      onFlowing: () => {
        proxy.setImpairment('both', {
          loss: { kind: 'none' },
          delayMs: 10,
          jitterMs: 30,
          reorderRate: 0.03,
          reorderDelayMs: 40,
        });
        proxy.resetCounters();
      },
    });
    console.log(describeCall('jitter 30 ms + reordering 3%', r, proxy));
    assert.ok(r.stayedConnected, `states ${r.states.join(',')}`);
    assert.ok(
      proxy.counters.up.reordered > 10 && proxy.counters.down.reordered > 10,
      'packets were reordered',
    );
    assert.ok(lostShare(r) <= 0.01, `${r.packetsLost} counted lost`);
    assert.ok(r.concealedRatio < 0.05, `concealed ${r.concealedRatio}`);
  });
});
