import { createSocket, type RemoteInfo } from 'node:dgram';
import { createRequire } from 'node:module';

/**
 * A one-client UDP relay that delays every datagram: client -> proxy (+upMs) -> target, and
 * target -> proxy (+downMs) -> client. Used to give one WebRTC peer a longer path to the SFU.
 */
export interface UdpDelayProxy {
  readonly ip: string;
  readonly port: number;
  /** Datagrams relayed each way. */
  readonly relayed: { up: number; down: number };
  setTarget(ip: string, port: number): void;
  close(): void;
}

export async function startUdpDelayProxy(ip: string, upMs: number, downMs: number): Promise<UdpDelayProxy> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  await Promise.all([
    new Promise<void>((resolve) => front.bind(0, ip, resolve)),
    new Promise<void>((resolve) => back.bind(0, ip, resolve)),
  ]);
  let target: { ip: string; port: number } | null = null;
  let client: RemoteInfo | null = null;
  const relayed = { up: 0, down: 0 };
  // Datagrams still delayed when the proxy closes are dropped (a send on a closed socket throws
  // ERR_SOCKET_DGRAM_NOT_RUNNING from a timer, after the test that used it has ended).
  let closed = false;
  front.on('message', (msg, from) => {
    client = from;
    const to = target;
    if (!to) return;
    setTimeout(() => {
      if (closed) return;
      relayed.up++;
      back.send(msg, to.port, to.ip);
    }, upMs);
  });
  back.on('message', (msg) => {
    const to = client;
    if (!to) return;
    setTimeout(() => {
      if (closed) return;
      relayed.down++;
      front.send(msg, to.port, to.address);
    }, downMs);
  });
  return {
    ip,
    port: front.address().port,
    relayed,
    setTarget(targetIp, targetPort) {
      target = { ip: targetIp, port: targetPort };
    },
    close() {
      closed = true;
      front.close();
      back.close();
    },
  };
}

type Description = { type: string; sdp: string };

/**
 * Makes every libwebrtc (wrtc) peer connection of this process that applies an SDP *answer* (the
 * publishers: the SFU answers their offers) reach the SFU through `proxy`, by replacing the host
 * candidate the SFU announces. Subscribers (who get offers) keep the direct path. Returns the undo.
 */
export function routeAnswersThrough(proxy: UdpDelayProxy): () => void {
  const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as {
    RTCPeerConnection: { prototype: { setRemoteDescription(d: Description): Promise<void> } };
  };
  const proto = wrtc.RTCPeerConnection.prototype;
  const original = proto.setRemoteDescription;
  proto.setRemoteDescription = function (this: unknown, d: Description) {
    if (d?.type === 'answer') {
      const sdp = d.sdp.replace(
        /^(a=candidate:\S+ 1 UDP \d+ )(\S+) (\d+)( typ host)/gim,
        (_all, head: string, ip: string, port: string, tail: string) => {
          proxy.setTarget(ip, Number(port));
          return `${head}${proxy.ip} ${proxy.port}${tail}`;
        },
      );
      return original.call(this, { type: d.type, sdp });
    }
    return original.call(this, d);
  };
  return () => {
    proto.setRemoteDescription = original;
  };
}
