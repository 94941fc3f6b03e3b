import { ImpairmentProxy } from '@patchbay/netsim';
import type { LossCallResult } from '../../../bench/dist/index.js';
import { createServer, type PatchbayServer, type ServerOptions } from '@patchbay/server';

/** The proxy's address: the namespace's second veth address (clients and server use the first). */
export const PROXY_IP = process.env.PATCHBAY_TEST_IP2 || '127.0.0.1';
const SERVER_IP = process.env.PATCHBAY_TEST_IP || '127.0.0.1';

/**
 * A server whose only announced candidate is an ImpairmentProxy in front of its media port: all
 * media of every client, both directions, passes through the proxy (unimpaired until told).
 */
export async function startImpairedServer(
  seed = 1,
  options: Partial<ServerOptions> = {},
): Promise<{ server: PatchbayServer; proxy: ImpairmentProxy }> {
  const proxy = await ImpairmentProxy.start({ host: PROXY_IP, seed });
  const server = await createServer({
    host: '127.0.0.1',
    port: 0,
    rtcPort: 0,
    rtcBind: SERVER_IP,
    announcedIp: proxy.host,
    announcedPort: proxy.port,
    logLevel: (process.env.PATCHBAY_TEST_LOG_LEVEL as 'warn') || 'warn',
    ...options,
  });
  proxy.setTarget(server.options.rtcBind, server.rtcPort);
  return { server, proxy };
}

/** One line of figures for the test log. */
export function describeCall(what: string, r: LossCallResult, proxy: ImpairmentProxy): string {
  const expected = r.packetsReceived + r.packetsLost;
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return (
    `${what}: proxy up ${JSON.stringify(proxy.counters.up)} down ${JSON.stringify(proxy.counters.down)}; ` +
    `listener lost ${r.packetsLost}/${expected}, FEC rebuilt ${r.fecRecovered}, concealed ${pct(r.concealedRatio)} ` +
    `(audible ${pct(r.audibleConcealedRatio)}), segSNR ${r.segSnrDb.toFixed(1)} dB (aligned ${pct(r.alignedShare)}), ` +
    `jitter buffer ${r.jitterBufferMs.toFixed(0)} ms, publisher sent ${r.publisherBytesPerPacket.toFixed(0)} B/packet, told loss ${r.publisherReportedLoss}, states ${r.states.join(',')}`
  );
}
