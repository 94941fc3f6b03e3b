/**
 * What the SFU needs from a WebRTC stack: receive one publisher's audio, and send any number of
 * audio streams to one subscriber. node-datachannel implements it (DatachannelEngine); werift
 * could, behind the same interface.
 */

export interface IngressHandlers {
  /** Every datagram of the publisher's audio track, RTP and RTCP (demuxed by the caller). */
  onPacket(buf: Buffer): void;
  /** The connection failed or closed by itself. */
  onClosed(reason: string): void;
}

export interface IngressEndpoint {
  /** The SDP answer to send back to the publisher. */
  readonly answer: string;
  /** Payload type of RED (RFC 2198) negotiated with the publisher (it sends RED), or null (plain Opus). */
  readonly redPayloadType: number | null;
  /** Sends RTCP (our receiver reports) to the publisher; false when the path is not open. */
  sendRtcp(buf: Buffer): boolean;
  close(): void;
}

export interface EgressSlot {
  readonly mid: string;
  readonly ssrc: number;
  /** The subscriber accepted RED on this m-line (set when its answer is applied): forward RED as is. */
  red: boolean;
  /** Sends one RTP or RTCP datagram; returns false when the path is not open yet. */
  send(buf: Buffer): boolean;
  /** RTCP the subscriber sends about this stream (receiver reports, NACK, PLI). */
  onRtcp: ((buf: Buffer) => void) | null;
}

export interface EgressEndpoint {
  /** Adds a send-only audio m-line. It takes effect with the next offer. */
  addSlot(): EgressSlot;
  /** Creates an offer covering all slots (initial or renegotiation). */
  createOffer(): Promise<string>;
  /** Applies the subscriber's answer. Throws on SDP the stack rejects. */
  setAnswer(sdp: string): void;
  close(): void;
}

export interface EgressHandlers {
  onClosed(reason: string): void;
}

export interface MediaEngine {
  createIngress(label: string, offer: string, handlers: IngressHandlers): Promise<IngressEndpoint>;
  createEgress(label: string, handlers: EgressHandlers): EgressEndpoint;
  /** Media connections created and not closed yet (leak checks; see metrics/Internals.ts). */
  readonly openConnections?: number;
  close(): void;
}
