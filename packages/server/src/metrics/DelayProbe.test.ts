import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Consumer } from '../forwarding/Consumer.js';
import { Producer } from '../forwarding/Producer.js';
import type { EgressSlot } from '../media/MediaEngine.js';
import { DelayHistogram } from './DelayHistogram.js';
import {
  DELAY_PROBE_OFFSET,
  DelayProbe,
  monotonicMs,
  monotonicOffsetMs,
  writeDelayProbeStamp,
} from './DelayProbe.js';
import { ForwardingTotals } from './ForwardingTotals.js';

describe('DelayHistogram', () => {
  it('nearest-rank percentiles are exact bucket upper edges on known inputs', () => {
    const h = new DelayHistogram(10, 100);
    // 1000 samples: 0, 1, ..., 999 µs.
    for (let us = 0; us < 1000; us++) h.record(us);
    assert.equal(h.count, 1000);
    // p50: the 500th smallest is 499 µs, in bucket [490, 500): 500.
    assert.equal(h.percentile(50), 500);
    // p99: the 990th is 989 µs -> [980, 990): 990. p99.9: the 999th is 998 -> 1000.
    assert.equal(h.percentile(99), 990);
    assert.equal(h.percentile(99.9), 1000);
    assert.equal(h.percentile(100), 1000);
    // p0.1: the 1st -> 0 µs -> 10.
    assert.equal(h.percentile(0.1), 10);
    assert.equal(h.maxUs, 999);
    assert.equal(h.sumUs, (999 * 1000) / 2);
    assert.equal(h.overflow, 0);
  });

  it('a skewed distribution: the tail percentile lands on the outliers', () => {
    const h = new DelayHistogram(10, 5000);
    for (let i = 0; i < 985; i++) h.record(42); // bucket [40, 50)
    for (let i = 0; i < 15; i++) h.record(1234); // bucket [1230, 1240)
    assert.equal(h.percentile(50), 50);
    assert.equal(h.percentile(98.5), 50); // rank 985 is still the last fast one
    assert.equal(h.percentile(99), 1240);
    assert.equal(h.percentile(99.9), 1240);
  });

  it('counts overflow and negatives, and a percentile in the overflow is Infinity', () => {
    const h = new DelayHistogram(10, 10); // up to 100 µs
    h.record(-3);
    h.record(5);
    h.record(99.99);
    h.record(100);
    h.record(1e6);
    assert.equal(h.count, 5);
    assert.equal(h.negative, 1);
    assert.equal(h.overflow, 2);
    assert.equal(h.percentile(20), 10); // the negative counts in bucket 0
    assert.equal(h.percentile(40), 10);
    assert.equal(h.percentile(60), 100);
    assert.equal(h.percentile(80), Infinity);
    assert.ok(Number.isNaN(new DelayHistogram().percentile(50)));
  });

  it('snapshots are sparse, merge exactly, and reset clears', () => {
    const a = new DelayHistogram(10, 5000);
    const b = new DelayHistogram(10, 5000);
    for (let i = 0; i < 99; i++) a.record(100);
    b.record(20_000);
    b.record(60_000); // overflow at 50 ms
    const s = a.snapshot();
    assert.deepEqual(s.counts, [[10, 99]]);
    const m = DelayHistogram.fromSnapshots([s, b.snapshot()]);
    assert.equal(m.buckets, 5000);
    assert.equal(m.count, 101);
    assert.equal(m.overflow, 1);
    assert.equal(m.percentile(98), 110);
    assert.equal(m.percentile(99), 20_010); // rank 100 of 101
    assert.equal(m.percentile(99.5), Infinity); // rank 101: the overflow
    assert.equal(m.percentile(100), Infinity);
    assert.equal(m.maxUs, 60_000);
    a.reset();
    assert.equal(a.count, 0);
    assert.deepEqual(a.snapshot().counts, []);
  });
});

function slot(ssrc: number, sent: number[], spinUs = 0): EgressSlot {
  return {
    mid: String(ssrc),
    ssrc,
    red: false,
    onRtcp: null,
    send: () => {
      // A consumer's send that takes `spinUs` (the JS span must include it).
      const until = performance.now() + spinUs / 1000;
      while (performance.now() < until);
      sent.push(ssrc);
      return true;
    },
  };
}

function packet(seq: number, payloadBytes = 100): Buffer {
  const p = Buffer.alloc(12 + payloadBytes);
  p[0] = 0x80;
  p[1] = 111;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(seq * 960, 4);
  p.writeUInt32BE(0x1234, 8);
  return p;
}

describe('DelayProbe through a Producer', () => {
  it('the monotonic clock is the one process.hrtime.bigint() reads (CLOCK_MONOTONIC)', () => {
    const before = Number(process.hrtime.bigint()) / 1e6;
    const mono = monotonicMs();
    const after = Number(process.hrtime.bigint()) / 1e6;
    assert.ok(mono >= before - 0.001 && mono <= after + 0.001, `${before} <= ${mono} <= ${after}`);
    assert.ok(Math.abs(monotonicOffsetMs() - monotonicOffsetMs()) < 0.005);
  });

  it('observe(): exact spans from a stamp and the two times (offset 0: stamps on the performance clock)', () => {
    const probe = new DelayProbe(0);
    const p = packet(1);
    writeDelayProbeStamp(p, 12, 100);
    probe.observe(p, p.length, 12, 102, 102.5);
    writeDelayProbeStamp(p, 12, 200);
    probe.observe(p, p.length, 12, 200.25, 200.375);
    assert.equal(probe.packets, 2);
    // 2500 µs -> bucket [2500, 2510); 375 µs -> [370, 380).
    assert.deepEqual(probe.ingressToEgress.snapshot().counts, [
      [37, 1],
      [250, 1],
    ]);
    assert.deepEqual(probe.ingressToJs.snapshot().counts, [
      [25, 1],
      [200, 1],
    ]);
    assert.deepEqual(probe.js.snapshot().counts, [
      [12, 1],
      [50, 1],
    ]);
    assert.equal(probe.ingressToEgress.percentile(50), 380);
    assert.equal(probe.ingressToEgress.percentile(100), 2510);
    assert.equal(probe.ingressToEgress.maxUs, 2500);
  });

  it('through a Producer: stamp → last send, stamp → JS and the JS span, every forwarded packet', () => {
    const totals = new ForwardingTotals();
    const probe = new DelayProbe();
    totals.probe = probe;
    const producer = new Producer(null, totals);
    const sent: number[] = [];
    new Consumer(slot(1, sent)).attach(producer);
    new Consumer(slot(2, sent, 300)).attach(producer); // the last send takes ≥ 300 µs
    // Stamped 2 ms ago: as if the packet spent 2 ms between the sender and the JS callback.
    for (let seq = 0; seq < 10; seq++) {
      const p = packet(seq);
      writeDelayProbeStamp(p, 12, monotonicMs() - 2);
      producer.onPacket(p);
    }
    assert.equal(sent.length, 20);
    assert.equal(probe.packets, 10);
    assert.equal(probe.unstamped, 0);
    assert.equal(probe.ingressToEgress.count, 10);
    // Lower bounds only: a busy machine can stretch any of these.
    const js = probe.js.percentile(1);
    const before = probe.ingressToJs.percentile(1);
    const total = probe.ingressToEgress.percentile(1);
    assert.ok(js >= 300, `JS span ${js}`);
    assert.ok(before >= 2000, `ingress→JS ${before}`);
    assert.ok(total >= 2300 && total >= before, `ingress→egress ${total}`);
    assert.equal(probe.snapshot().ingressToEgress.count, 10);
    probe.reset();
    assert.equal(probe.ingressToEgress.count, 0);
    assert.equal(probe.packets, 0);
  });

  it('packets without a stamp count only in the JS span; a paused probe records nothing', () => {
    const totals = new ForwardingTotals();
    const probe = new DelayProbe();
    totals.probe = probe;
    const producer = new Producer(null, totals);
    new Consumer(slot(1, [])).attach(producer);
    producer.onPacket(packet(1)); // zeros where the marker would be
    producer.onPacket(packet(2, DELAY_PROBE_OFFSET + 4)); // too short for a stamp
    assert.equal(probe.packets, 2);
    assert.equal(probe.unstamped, 2);
    assert.equal(probe.js.count, 2);
    assert.equal(probe.ingressToEgress.count, 0);
    probe.enabled = false;
    const p = packet(3);
    writeDelayProbeStamp(p, 12);
    producer.onPacket(p);
    assert.equal(probe.packets, 2);
    assert.equal(producer.stats.packetsForwarded, 3);
  });

  it('without a probe (the default) forwarding is unchanged', () => {
    const totals = new ForwardingTotals();
    const producer = new Producer(null, totals);
    const sent: number[] = [];
    new Consumer(slot(1, sent)).attach(producer);
    const p = packet(1);
    writeDelayProbeStamp(p, 12);
    producer.onPacket(p);
    assert.equal(totals.probe, null);
    assert.deepEqual(sent, [1]);
  });
});
