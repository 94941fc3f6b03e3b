/**
 * The soak's loss accounting (StreamCounter ranges fed by the load receiver) counts exactly the
 * packets of a publisher's index range that arrived: a dropped packet shows as loss, and packets
 * outside the range (before the settle window, after the cut) are not counted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeReceiver, Recorder, StreamCounter } from '../../../bench/dist/load.js';

/** An RTP packet as a load publisher sends it: payload TOC, send time, publisher, index. */
function packet(publisher: number, index: number): Buffer {
  const p = Buffer.alloc(12 + 100);
  p[0] = 0x80;
  p[1] = 111;
  p[12] = 0x78;
  p.writeDoubleLE(performance.now(), 13);
  p.writeUInt32LE(publisher, 21);
  p.writeUInt32LE(index, 25);
  return p;
}

describe('soak loss accounting', () => {
  it('counts the packets of [from, to) that arrived, and only those', () => {
    const streams = new Map<number, StreamCounter>();
    const stream = new StreamCounter();
    streams.set(7, stream);
    const receive = makeReceiver(new Recorder(1), streams);
    stream.setRange(10); // settle: 0..9 not counted
    const dropped = new Set([12, 13, 40]);
    for (let i = 0; i < 45; i++) if (!dropped.has(i)) receive(packet(7, i));
    stream.rangeTo = 45; // the cut: the publisher had sent 45 packets
    for (let i = 45; i < 50; i++) receive(packet(7, i)); // sent after the cut: not counted
    const expected = 45 - 10;
    assert.equal(stream.inRange, expected - dropped.size);
    // Another publisher's packets go to its own counter.
    receive(packet(8, 20));
    assert.equal(stream.inRange, expected - dropped.size);
    assert.equal(streams.get(8)?.inRange, 0, 'a counter created by the receiver counts nothing');
  });

  it('counts indices beyond the 8192-packet bitmap (a 30-minute subscription)', () => {
    const streams = new Map<number, StreamCounter>();
    const stream = new StreamCounter();
    streams.set(1, stream);
    const receive = makeReceiver(new Recorder(1), streams);
    stream.setRange(25);
    for (let i = 0; i < 90_000; i++) if (i !== 50_000) receive(packet(1, i));
    stream.rangeTo = 90_000;
    assert.equal(stream.inRange, 90_000 - 25 - 1);
  });
});
