import type { PeerConnectionLike, Platform, WebSocketLike } from '@patchbay/client';
import { WebSocket } from 'ws';
import { wrtc } from './wrtc.js';

/** The client core's platform in Node: libwebrtc through @roamhq/wrtc, WebSocket through ws. */
export const nodePlatform: Platform = {
  createPeerConnection(): PeerConnectionLike {
    return new (wrtc().RTCPeerConnection)({ iceServers: [] }) as PeerConnectionLike;
  },
  createWebSocket(url: string): WebSocketLike {
    return new WebSocket(url, { maxPayload: 1024 * 1024 }) as unknown as WebSocketLike;
  },
};
