import { ImpairmentProxy } from '@patchbay/netsim';
import { createServer, type PatchbayServer } from '@patchbay/server';

/** The proxy's address: the namespace's second veth address (clients and server use the first). */
export const PROXY_IP = process.env.PATCHBAY_TEST_IP2 || '127.0.0.1';
const SERVER_IP = process.env.PATCHBAY_TEST_IP || '127.0.0.1';

/**
 * A server whose only announced candidate is an ImpairmentProxy in front of its media port: all
 * media of every client, both directions, passes through the proxy (unimpaired until told).
 */
export async function startImpairedServer(seed = 1): Promise<{ server: PatchbayServer; proxy: ImpairmentProxy }> {
  const proxy = await ImpairmentProxy.start({ host: PROXY_IP, seed });
  const server = await createServer({
    host: '127.0.0.1',
    port: 0,
    rtcPort: 0,
    rtcBind: SERVER_IP,
    announcedIp: proxy.host,
    announcedPort: proxy.port,
    logLevel: (process.env.PATCHBAY_TEST_LOG_LEVEL as 'warn') || 'warn',
  });
  proxy.setTarget(server.options.rtcBind, server.rtcPort);
  return { server, proxy };
}
