import nodeDataChannel, { Audio, IceUdpMuxListener, type PeerConnection, type Track } from 'node-datachannel';
import type { Logger } from '../logger.js';
import type {
  EgressEndpoint,
  EgressHandlers,
  EgressSlot,
  IngressEndpoint,
  IngressHandlers,
  MediaEngine,
} from './MediaEngine.js';
import {
  acceptsRed,
  announceCandidate,
  parseAudioOffer,
  SdpError,
  stripCandidates,
  stripSsrcLines,
  withPtime,
} from './sdp.js';

export interface DatachannelEngineOptions {
  /** Address the shared UDP socket binds to. */
  bind: string;
  /** The one UDP port for every connection (ICE UDP mux). */
  port: number;
  /** Address announced as the only ICE candidate. */
  announcedIp: string;
  /** Port announced in that candidate (the media port unless a relay or NAT forwards to it). */
  announcedPort: number;
  /** Negotiate RED (RFC 2198) for Opus with endpoints that offer or accept it. */
  red: boolean;
  /** Opus frame length asked of publishers, ms (see ServerOptions.opusPtimeMs). Default 20. */
  opusPtimeMs?: number;
  logger: Logger;
}

const OPUS_PT = 111;
/** RED's payload type on subscriber m-lines (Chrome's and libwebrtc's choice). */
export const RED_PT = 63;
const GATHER_TIMEOUT_MS = 5000;
const CNAME = 'patchbay';

function waitForGathering(pc: PeerConnection): Promise<void> {
  if (pc.gatheringState() === 'complete') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ICE gathering timed out')), GATHER_TIMEOUT_MS);
    pc.onGatheringStateChange((state) => {
      if (state === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function randomSsrc(): number {
  return (Math.random() * 0xfffffffe + 1) >>> 0;
}

/** The SFU's media engine on libdatachannel: native ICE/DTLS/SRTP, all media on one UDP port. */
export class DatachannelEngine implements MediaEngine {
  readonly #options: DatachannelEngineOptions;
  readonly #log: Logger;
  #closed = false;
  /** Every PeerConnection created and not closed yet (a leak shows up here), with its tracks. */
  readonly #open = new Map<PeerConnection, Track[]>();
  /**
   * Holds the shared UDP socket open for the engine's lifetime. Without it libjuice tears the
   * mux down when the last connection closes, and a connection created during that teardown fails.
   */
  readonly #mux: IceUdpMuxListener;

  constructor(options: DatachannelEngineOptions) {
    this.#options = options;
    this.#log = options.logger;
    const rtcLog = process.env.PATCHBAY_RTC_LOG;
    if (rtcLog) {
      // libdatachannel's own log, for debugging ICE/DTLS (Verbose, Debug, Info, Warning, Error).
      nodeDataChannel.initLogger(rtcLog as 'Debug', (level, message) => this.#log.info({ level }, message));
    }
    this.#mux = new IceUdpMuxListener(options.port, options.bind);
    this.#mux.onUnhandledStunRequest(() => undefined);
  }

  #peer(label: string): PeerConnection {
    if (this.#closed) throw new Error('media engine closed');
    const { bind, port } = this.#options;
    const pc = new nodeDataChannel.PeerConnection(label, {
      iceServers: [],
      enableIceUdpMux: true,
      portRangeBegin: port,
      portRangeEnd: port,
      bindAddress: bind,
      disableAutoNegotiation: true,
    });
    this.#open.set(pc, []);
    return pc;
  }

  get openConnections(): number {
    return this.#open.size;
  }

  #addTrack(pc: PeerConnection, description: Audio): Track {
    const track = pc.addTrack(description);
    this.#open.get(pc)?.push(track);
    return track;
  }

  /**
   * Closes a connection and, first, each of its tracks. Closing the PeerConnection does not close
   * node-datachannel's track wrappers: each keeps its native track and its callbacks (thread-safe
   * functions holding the JS closures: the Producer, the Consumer and its slot) until track.close(),
   * so without it every participant who left stayed in memory (found by the soak, docs/resilience.md).
   */
  #release(pc: PeerConnection): void {
    const tracks = this.#open.get(pc) ?? [];
    this.#open.delete(pc);
    for (const track of tracks) {
      try {
        track.close();
      } catch {
        // already closed
      }
    }
    closeQuietly(pc);
  }

  #announce(sdp: string): string {
    return announceCandidate(sdp, this.#options.announcedIp, this.#options.announcedPort);
  }

  async createIngress(label: string, offer: string, handlers: IngressHandlers): Promise<IngressEndpoint> {
    const audio = parseAudioOffer(offer);
    const pc = this.#peer(label);
    try {
      const description = new Audio(audio.mid, 'RecvOnly');
      // RED first when the publisher offers it: it then sends each packet with the previous one
      // as redundancy, and the SFU forwards it, or strips it for subscribers without RED.
      const redPayloadType = this.#options.red ? audio.redPayloadType : null;
      if (redPayloadType !== null) {
        description.addAudioCodec(redPayloadType, 'red', `${audio.opusPayloadType}/${audio.opusPayloadType}`);
      }
      description.addOpusCodec(audio.opusPayloadType);
      // Declaring the publisher's SSRC is what makes libdatachannel deliver its packets.
      description.addSSRC(audio.ssrc, CNAME);
      if (audio.audioLevelExtId !== null) {
        description.parseSdpLine(
          `a=extmap:${audio.audioLevelExtId} urn:ietf:params:rtp-hdrext:ssrc-audio-level`,
        );
      }
      const track = this.#addTrack(pc, description);
      // No media handler: receiver reports to the publisher are ours (Producer.receiverReport),
      // sent through sendRtcp. libdatachannel's RtcpReceivingSession only answers the publisher's
      // SRs and knows nothing of the subscribers' loss. Without a handler, the track passes RTCP
      // out on a receive-only m-line and hands every datagram in to onMessage.
      track.onMessage(handlers.onPacket);
      watchState(pc, handlers.onClosed);
      pc.setRemoteDescription(stripCandidates(offer), 'offer');
      pc.setLocalDescription('answer');
      await waitForGathering(pc);
      const local = pc.localDescription();
      if (!local) throw new SdpError('no local answer');
      // The endpoint holds the JS track: if it were garbage-collected, node-datachannel would
      // close the native track and silently drop the publisher's packets.
      return {
        answer: withPtime(this.#announce(stripSsrcLines(local.sdp)), this.#options.opusPtimeMs ?? 20),
        redPayloadType,
        track,
        sendRtcp: (buf: Buffer) => {
          try {
            return track.sendMessageBinary(buf);
          } catch {
            return false; // not open yet, or closed
          }
        },
        close: () => this.#release(pc),
      } as IngressEndpoint;
    } catch (error) {
      this.#release(pc);
      if (error instanceof SdpError) throw error;
      throw new SdpError(`the offer was rejected: ${(error as Error).message}`);
    }
  }

  createEgress(label: string, handlers: EgressHandlers): EgressEndpoint {
    const pc = this.#peer(label);
    // One state callback for the whole connection instead of onOpen/onClosed on every track:
    // each node-datachannel callback is a thread-safe function with its own libuv async handle,
    // and libuv walks every async handle on every wake-up of the event loop (each received packet).
    const link: EgressLink = { connected: false };
    watchState(pc, handlers.onClosed, (state) => {
      link.connected = state === 'connected';
    });
    const log = this.#log;
    let next = 0;
    const announce = (sdp: string) => this.#announce(sdp);
    const addTrack = (description: Audio) => this.#addTrack(pc, description);
    const red = this.#options.red;
    const slots: DatachannelSlot[] = [];
    return {
      addSlot(): EgressSlot {
        const mid = String(next++);
        const ssrc = randomSsrc();
        const description = new Audio(mid, 'SendOnly');
        description.addOpusCodec(OPUS_PT);
        if (red) description.addAudioCodec(RED_PT, 'red', `${OPUS_PT}/${OPUS_PT}`);
        description.addSSRC(ssrc, CNAME, `pb-${mid}`, `audio-${mid}`);
        const track = addTrack(description);
        const slot = new DatachannelSlot(mid, ssrc, track, link);
        slots.push(slot);
        return slot;
      },
      async createOffer(): Promise<string> {
        pc.setLocalDescription('offer');
        await waitForGathering(pc);
        const local = pc.localDescription();
        if (!local) throw new SdpError('no local offer');
        return announce(local.sdp);
      },
      setAnswer(sdp: string): void {
        try {
          pc.setRemoteDescription(stripCandidates(sdp), 'answer');
        } catch (error) {
          log.debug({ err: error }, 'answer rejected');
          throw new SdpError(`the answer was rejected: ${(error as Error).message}`);
        }
        for (const slot of slots) slot.red = red && acceptsRed(sdp, slot.mid);
      },
      close: () => this.#release(pc),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#mux.stop();
  }
}

/** Shared by the slots of one egress connection. */
interface EgressLink {
  /** ICE + DTLS-SRTP are up (the tracks of a connected PeerConnection are open). */
  connected: boolean;
}

class DatachannelSlot implements EgressSlot {
  readonly mid: string;
  readonly ssrc: number;
  red = false;
  onRtcp: ((buf: Buffer) => void) | null = null;
  readonly #track: Track;
  readonly #link: EgressLink;

  constructor(mid: string, ssrc: number, track: Track, link: EgressLink) {
    this.mid = mid;
    this.ssrc = ssrc;
    this.#track = track;
    this.#link = link;
    track.onMessage((buf) => this.onRtcp?.(buf));
  }

  /** Hot path. A track added by a renegotiation still in flight is not open yet: that throws, and drops. */
  send(buf: Buffer): boolean {
    if (!this.#link.connected) return false;
    try {
      return this.#track.sendMessageBinary(buf);
    } catch {
      return false;
    }
  }
}

function watchState(
  pc: PeerConnection,
  onClosed: (reason: string) => void,
  onState?: (state: string) => void,
): void {
  let done = false;
  pc.onStateChange((state) => {
    onState?.(state);
    if (!done && (state === 'failed' || state === 'closed')) {
      done = true;
      onClosed(state);
    }
  });
}

function closeQuietly(pc: PeerConnection): void {
  try {
    pc.close();
  } catch {
    // already closed
  }
}
