/**
 * A released connection lets go of everything it was given: node-datachannel keeps a track's
 * callbacks (and through them the SFU's Producer, Consumers and slots) until the track itself is
 * closed, so the engine must close every track, not only the PeerConnection. Checked with the
 * garbage collector: what the engine was handed is collected after close().
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, describe, it } from 'node:test';
import nodeDataChannel, { Audio } from 'node-datachannel';
import pino from 'pino';
import { DatachannelEngine } from './DatachannelEngine.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Resolves true once every registered object was collected (false after ~2 s). */
async function collected(count: () => number): Promise<boolean> {
  for (let i = 0; i < 40 && count() > 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return count() === 0;
}

async function publisherOffer(): Promise<string> {
  const pc = new nodeDataChannel.PeerConnection('offerer', { iceServers: [], disableAutoNegotiation: true });
  const audio = new Audio('0', 'SendOnly');
  audio.addOpusCodec(111);
  audio.addSSRC(1234, 'test');
  pc.addTrack(audio);
  pc.setLocalDescription('offer');
  const sdp = pc.localDescription()?.sdp ?? '';
  pc.close();
  return sdp;
}

describe('DatachannelEngine release', () => {
  const engine = new DatachannelEngine({
    bind: '127.0.0.1',
    port: 0,
    announcedIp: '127.0.0.1',
    announcedPort: 0,
    red: false,
    logger: pino({ level: 'silent' }),
  });
  after(() => engine.close());

  it('closes every track: the packet handler and the egress slots are collectable after close()', async () => {
    let live = 0;
    const registry = new FinalizationRegistry(() => live--);
    const watch = (o: object) => {
      live++;
      registry.register(o, null);
    };
    await (async () => {
      const onPacket = () => undefined;
      watch(onPacket);
      const ingress = await engine.createIngress('test/pub', await publisherOffer(), {
        onPacket,
        onClosed: () => undefined,
      });
      const egress = engine.createEgress('test/sub', { onClosed: () => undefined });
      for (let i = 0; i < 3; i++) watch(egress.addSlot());
      await egress.createOffer();
      assert.equal(engine.openConnections, 2);
      ingress.close();
      egress.close();
    })();
    assert.equal(engine.openConnections, 0);
    assert.ok(await collected(() => live), `${live} of 4 objects still held after close()`);
  });
});
