import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioStatsPoller, qualityFrom } from './AudioStats.js';
import type { PeerConnectionLike } from './platform.js';

function pc(entries: Record<string, unknown>[]): PeerConnectionLike {
  return { getStats: async () => new Map(entries.map((e) => [e.id, e])) } as unknown as PeerConnectionLike;
}

function inbound(packets: number, lost: number, bytes: number): Record<string, unknown> {
  return {
    id: 'in',
    type: 'inbound-rtp',
    kind: 'audio',
    mid: '0',
    ssrc: 1,
    packetsReceived: packets,
    packetsLost: lost,
    bytesReceived: bytes,
    headerBytesReceived: 0,
    jitterBufferDelay: 40 * 0.05,
    jitterBufferEmittedCount: 40,
    concealedSamples: 4800 + 960,
    silentConcealedSamples: 960,
    totalSamplesDuration: 10,
    audioLevel: 0.5,
  };
}

const pair = { id: 'p', type: 'candidate-pair', nominated: true, bytesSent: 1, currentRoundTripTime: 0.1 };

describe('AudioStatsPoller', () => {
  it('computes rates, loss, delays and freeze from consecutive reports', async () => {
    let sub = pc([inbound(100, 0, 10_000), pair]);
    const poller = new AudioStatsPoller({
      publisherConnection: null,
      get subscriberConnection() {
        return sub;
      },
      uidForMid: (mid) => (mid === '0' ? 'alice' : undefined),
      onQuality: () => undefined,
    });
    await poller.poll(1000);
    sub = pc([inbound(140, 10, 14_000), pair]);
    await poller.poll(2000);
    const r = poller.remote.alice;
    assert.ok(r);
    assert.equal(r.receiveBitrate, 32_000);
    assert.equal(r.currentPacketLossRate, 20); // 10 lost of 50 in the last second
    assert.equal(r.packetLossRate, 6.7); // 10 of 150
    assert.equal(r.receiveDelay, 50);
    assert.equal(r.transportDelay, 50);
    assert.equal(r.end2EndDelay, 2 * 50 + 50 + 20);
    assert.equal(r.end2EndDelaySource, 'estimate'); // no sender report: RTT-based estimate
    assert.equal(r.totalFreezeTime, 0.1);
    assert.equal(r.freezeRate, 1);
    assert.equal(r.receiveLevel, 16384);
    assert.equal(r.publishDuration, 1);
    assert.deepEqual(poller.quality, { uplinkNetworkQuality: 0, downlinkNetworkQuality: 5 });
    assert.equal(poller.local.sendPackets, 0); // not publishing: zeros
  });

  it('end2EndDelay from the relayed sender report: transit + recent jitter buffer + framing', async () => {
    const withJb = (delayS: number, emitted: number, sr?: { at: number; ntp: number }) => {
      const e: Record<string, unknown> = {
        ...inbound(100, 0, 10_000),
        jitterBufferDelay: delayS,
        jitterBufferEmittedCount: emitted,
      };
      if (!sr) return pc([e, pair]);
      e.remoteId = 'ro';
      const ro = { id: 'ro', type: 'remote-outbound-rtp', timestamp: sr.at, remoteTimestamp: sr.ntp };
      return pc([e, ro, pair]);
    };
    let sub = withJb(48_000 * 0.03, 48_000);
    const poller = new AudioStatsPoller({
      publisherConnection: null,
      get subscriberConnection() {
        return sub;
      },
      uidForMid: () => 'alice',
      onQuality: () => undefined,
    });
    await poller.poll(1000);
    assert.equal(poller.remote.alice.end2EndDelaySource, 'estimate');
    // Last second: 48,000 samples emitted with 60 ms each; the SR took 7 ms publisher -> here.
    sub = withJb(48_000 * 0.03 + 48_000 * 0.06, 96_000, { at: 1_800_000_000_107, ntp: 1_800_000_000_100 });
    await poller.poll(2000);
    assert.equal(poller.remote.alice.end2EndDelaySource, 'sender-report');
    assert.equal(poller.remote.alice.end2EndDelay, 7 + 60 + 20);
    assert.equal(poller.remote.alice.receiveDelay, 45); // the mean since the start is unchanged
    // Clocks 2 s apart the wrong way: not a transit, back to the estimate.
    sub = withJb(48_000 * 0.09 + 48_000 * 0.06, 144_000, { at: 1_800_000_000_107, ntp: 1_800_000_002_100 });
    await poller.poll(3000);
    assert.equal(poller.remote.alice.end2EndDelaySource, 'estimate');
    assert.equal(poller.remote.alice.end2EndDelay, 2 * 50 + 60 + 20);
  });

  it('scores quality from loss and RTT', () => {
    assert.equal(qualityFrom(0, 20), 1);
    assert.equal(qualityFrom(2, 20), 2);
    assert.equal(qualityFrom(0, 400), 3);
    assert.equal(qualityFrom(50, 20), 6);
  });
});
