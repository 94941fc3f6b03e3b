/**
 * The slice of the WebRTC and WebSocket APIs the client core uses. Browsers provide them
 * natively; the Node SDK passes @roamhq/wrtc and ws. Declared structurally so the core needs
 * neither DOM typings nor a particular implementation.
 */

export interface MediaStreamTrackLike {
  readonly id: string;
  readonly kind: string;
  enabled: boolean;
  stop(): void;
}

export interface SessionDescriptionLike {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp?: string;
}

export interface TransceiverLike {
  readonly mid: string | null;
  readonly receiver: { readonly track: MediaStreamTrackLike };
  readonly sender: {
    readonly track: MediaStreamTrackLike | null;
    replaceTrack(track: MediaStreamTrackLike | null): Promise<void>;
  };
  direction: string;
}

export interface PeerConnectionLike {
  readonly localDescription: SessionDescriptionLike | null;
  readonly remoteDescription: SessionDescriptionLike | null;
  readonly iceGatheringState: string;
  readonly connectionState: string;
  onicegatheringstatechange: ((ev: unknown) => void) | null;
  onconnectionstatechange: ((ev: unknown) => void) | null;
  addTransceiver(
    track: MediaStreamTrackLike | string,
    init?: { direction?: string; streams?: unknown[] },
  ): TransceiverLike;
  getTransceivers(): TransceiverLike[];
  createOffer(): Promise<SessionDescriptionLike>;
  createAnswer(): Promise<SessionDescriptionLike>;
  setLocalDescription(description: SessionDescriptionLike): Promise<void>;
  setRemoteDescription(description: SessionDescriptionLike): Promise<void>;
  getStats(): Promise<unknown>;
  close(): void;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Platform {
  createPeerConnection(): PeerConnectionLike;
  createWebSocket(url: string): WebSocketLike;
}
