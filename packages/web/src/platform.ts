import type { PeerConnectionLike, Platform, WebSocketLike } from '@patchbay/client';

/** The client core's platform in a browser: the page's own RTCPeerConnection and WebSocket. */
export const browserPlatform: Platform = {
  createPeerConnection(): PeerConnectionLike {
    // The server is the only peer and announces its own address: no STUN/TURN needed.
    return new RTCPeerConnection({ iceServers: [] }) as unknown as PeerConnectionLike;
  },
  createWebSocket(url: string): WebSocketLike {
    return new WebSocket(url) as unknown as WebSocketLike;
  },
};
