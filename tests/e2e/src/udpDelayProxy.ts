import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';

/**
 * A UDP relay that delays every datagram: client -> proxy (+upMs) -> target, and
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
  await new Promise<void>((resolve) => front.bind(0, ip, resolve));
  let target: { ip: string; port: number } | null = null;
  const relayed = { up: 0, down: 0 };
  // Datagrams still delayed when the proxy closes are dropped (a send on a closed socket throws
  // ERR_SOCKET_DGRAM_NOT_RUNNING from a timer, after the test that used it has ended).
  let closed = false;
  // One back socket per client address, like a NAT: a peer with several host candidates sends its
  // ICE checks from several sockets, and each must get its own replies (with one shared back
  // socket, replies went to whichever client address had sent last, and the checks of the
  // other candidate failed: the publisher then sometimes never connected through the proxy).
  const backs = new Map<string, Socket>();
  const backFor = (from: RemoteInfo): Socket => {
    const key = `${from.address}:${from.port}`;
    let back = backs.get(key);
    if (!back) {
      const socket = createSocket('udp4');
      socket.bind(0, ip);
      socket.on('message', (msg) => {
        setTimeout(() => {
          if (closed) return;
          relayed.down++;
          front.send(msg, from.port, from.address);
        }, downMs);
      });
      backs.set(key, socket);
      back = socket;
    }
    return back;
  };
  front.on('message', (msg, from) => {
    const to = target;
    if (!to || closed) return;
    const back = backFor(from);
    setTimeout(() => {
      if (closed) return;
      relayed.up++;
      back.send(msg, to.port, to.ip);
    }, upMs);
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
      for (const back of backs.values()) back.close();
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
