/**
 * Micro-benchmark of the delay probe's cost on the forwarding path: Producer.onPacket with S fake
 * consumers (their send does nothing), the probe absent (the default) against present and
 * recording, alternating, stamped packets. Prints ns per incoming packet.
 *   node packages/server/dist/metrics/probeCost.micro.js [S=10,40] [packets=2000000] [rounds=4]
 */
import { Consumer } from '../forwarding/Consumer.js';
import { Producer } from '../forwarding/Producer.js';
import { DelayProbe, writeDelayProbeStamp } from './DelayProbe.js';
import { ForwardingTotals } from './ForwardingTotals.js';

const subscriberCounts = (process.argv[2] ?? '10,40').split(',').map(Number);
const packets = Number(process.argv[3] ?? 2_000_000);
const rounds = Number(process.argv[4] ?? 4);

function setup(subscribers: number, probe: boolean): { producer: Producer; totals: ForwardingTotals } {
  const totals = new ForwardingTotals();
  if (probe) totals.probe = new DelayProbe();
  const producer = new Producer(null, totals);
  for (let i = 0; i < subscribers; i++) {
    new Consumer({ mid: String(i), ssrc: 1000 + i, red: false, onRtcp: null, send: () => true }).attach(
      producer,
    );
  }
  return { producer, totals };
}

const packet = Buffer.alloc(112);
packet[0] = 0x80;
packet[1] = 111;
packet.writeUInt32BE(0x1234, 8);
packet[12] = 0x78;

function run(producer: Producer): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < packets; i++) {
    packet.writeUInt16BE(i & 0xffff, 2);
    packet.writeUInt32BE((i * 960) >>> 0, 4);
    writeDelayProbeStamp(packet, 12);
    producer.onPacket(packet);
  }
  return Number(process.hrtime.bigint() - t0) / packets;
}

for (const s of subscriberCounts) {
  const off = setup(s, false);
  const on = setup(s, true);
  run(off.producer); // warm-up, both
  run(on.producer);
  const offNs: number[] = [];
  const onNs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    offNs.push(run(off.producer));
    onNs.push(run(on.producer));
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const probe = on.totals.probe as DelayProbe;
  console.log(
    `${s} consumers: off ${offNs.map((x) => x.toFixed(0)).join(' ')} ns/packet, on ${onNs.map((x) => x.toFixed(0)).join(' ')}; ` +
      `median on − off = ${(med(onNs) - med(offNs)).toFixed(0)} ns per incoming packet ` +
      `(${((med(onNs) - med(offNs)) / s).toFixed(1)} ns per forwarded packet); probe saw ${probe.packets} packets`,
  );
}
