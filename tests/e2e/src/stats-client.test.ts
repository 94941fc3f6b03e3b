import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NetworkQuality } from '@patchbay/client';
import { createClient, generateTone, type NodeClient } from '@patchbay/node';
import type { PatchbayServer } from '@patchbay/server';
import { sleep, startServer, waitFor } from './support.js';

describe('client audio stats and network quality from real WebRTC statistics', () => {
  let server: PatchbayServer;
  const clients: NodeClient[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    await server.close();
  });

  it('getLocalAudioStats, getRemoteAudioStats and network-quality move with the traffic', async () => {
    const listener = createClient({ server: server.url });
    clients.push(listener);
    let frames = 0;
    listener.on('user-published', (user) => {
      void listener.subscribe(user, 'audio').then((track) => track.onAudioFrame(() => frames++));
    });
    const qualities: NetworkQuality[] = [];
    listener.on('network-quality', (q) => qualities.push(q));
    await listener.join('test-app', 's', null, 'listener');
    const publisher = createClient({ server: server.url });
    clients.push(publisher);
    const pubQualities: NetworkQuality[] = [];
    publisher.on('network-quality', (q) => pubQualities.push(q));
    publisher.setExternalAudioSource(true, 48000, 1);
    await publisher.join('test-app', 's', null, 'publisher');
    const tone = generateTone(440, 48000, 1, 0.1, 0.5);
    const t0 = Date.now();
    while (Date.now() - t0 < 4500) await publisher.pushExternalAudioFrame(tone);
    await waitFor(() => frames > 200, 5000, 'the listener hears');

    const local = publisher.getLocalAudioStats();
    console.log(`# local ${JSON.stringify(local)}`);
    assert.equal(local.codecType, 'opus');
    assert.ok(local.sendPackets > 150, `sendPackets ${local.sendPackets}`);
    assert.ok(local.sendBytes > local.sendPackets * 20);
    // RED (the server's default) about doubles it: measured 202.8 kbps for this tone, 104.3 without.
    assert.ok(local.sendBitrate > 16_000 && local.sendBitrate < 400_000, `sendBitrate ${local.sendBitrate}`);
    assert.ok(local.sendVolumeLevel > 10_000, `sendVolumeLevel ${local.sendVolumeLevel}`); // a -6 dBFS tone
    assert.equal(local.sendPacketsLost, 0);
    assert.ok(local.sendRttMs >= 0 && local.sendRttMs < 100);

    const all = listener.getRemoteAudioStats();
    const remote = all.publisher;
    assert.ok(remote, `stats keyed by uid: ${Object.keys(all).join(',')}`);
    console.log(`# remote ${JSON.stringify(remote)}`);
    assert.ok(remote.receivePackets > 150, `receivePackets ${remote.receivePackets}`);
    assert.ok(
      remote.receiveBitrate > 16_000 && remote.receiveBitrate < 400_000,
      `receiveBitrate ${remote.receiveBitrate}`,
    );
    assert.ok(remote.receiveLevel > 10_000, `receiveLevel ${remote.receiveLevel}`);
    assert.ok(remote.receiveDelay > 0 && remote.receiveDelay < 300, `receiveDelay ${remote.receiveDelay}`);
    // Measured from the publisher's relayed sender report once one arrived (libwebrtc sends one
    // every few seconds), else estimated; end2end-delay.test.ts checks the measured value.
    assert.ok(['sender-report', 'estimate'].includes(remote.end2EndDelaySource));
    assert.ok(remote.end2EndDelay >= 20 && remote.end2EndDelay < 1000, `end2EndDelay ${remote.end2EndDelay}`);
    assert.equal(remote.packetLossRate, 0);
    assert.ok(remote.totalDuration > 3, `totalDuration ${remote.totalDuration}`);
    assert.ok(remote.freezeRate >= 0 && remote.freezeRate < 5, `freezeRate ${remote.freezeRate}`);
    assert.ok(remote.publishDuration >= 2);

    // Clean, low-latency path: excellent or good both ways (0 = unknown on the side that has no media).
    assert.ok(qualities.length >= 2, `network-quality events ${qualities.length}`);
    const last = qualities.at(-1)!;
    assert.ok(last.downlinkNetworkQuality >= 1 && last.downlinkNetworkQuality <= 2, JSON.stringify(last));
    assert.equal(last.uplinkNetworkQuality, 0); // the listener publishes nothing
    const pubLast = pubQualities.at(-1)!;
    assert.ok(
      pubLast.uplinkNetworkQuality >= 1 && pubLast.uplinkNetworkQuality <= 2,
      JSON.stringify(pubLast),
    );

    await listener.leave();
    clients.splice(clients.indexOf(listener), 1);
    const count = qualities.length;
    await sleep(2500);
    assert.equal(qualities.length, count, 'no network-quality after leave');
    assert.deepEqual(listener.getRemoteAudioStats(), {});
  });
});
