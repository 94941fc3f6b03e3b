import nodeDataChannel, {
  Audio,
  IceUdpMuxListener,
  type PeerConnection,
  RtcpReceivingSession,
  type Track,
} from 'node-datachannel';
import type { Logger } from '../logger.js';
import type {
  EgressEndpoint,
  EgressHandlers,
  EgressSlot,
  IngressEndpoint,
  IngressHandlers,
  MediaEngine,
} from './MediaEngine.js';
import { announceCandidate, parseAudioOffer, SdpError, stripSsrcLines, withPtime } from './sdp.js';

export interface DatachannelEngineOptions {
  /** Address the shared UDP socket binds to. */
  bind: string;
  /** The one UDP port for every connection (ICE UDP mux). */
  port: number;
  /** Address announced as the only ICE candidate. */
  announcedIp: string;
  /** Opus frame length asked of publishers, ms (see ServerOptions.opusPtimeMs). Default 20. */
  opusPtimeMs?: number;
  logger: Logger;
}

const OPUS_PT = 111;
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
    return new nodeDataChannel.PeerConnection(label, {
      iceServers: [],
      enableIceUdpMux: true,
      portRangeBegin: port,
      portRangeEnd: port,
      bindAddress: bind,
      disableAutoNegotiation: true,
    });
  }

  #announce(sdp: string): string {
    return announceCandidate(sdp, this.#options.announcedIp, this.#options.port);
  }

  async createIngress(label: string, offer: string, handlers: IngressHandlers): Promise<IngressEndpoint> {
    const audio = parseAudioOffer(offer);
    const pc = this.#peer(label);
    try {
      const description = new Audio(audio.mid, 'RecvOnly');
      description.addOpusCodec(audio.opusPayloadType);
      // Declaring the publisher's SSRC is what makes libdatachannel deliver its packets.
      description.addSSRC(audio.ssrc, CNAME);
      if (audio.audioLevelExtId !== null) {
        description.parseSdpLine(
          `a=extmap:${audio.audioLevelExtId} urn:ietf:params:rtp-hdrext:ssrc-audio-level`,
        );
      }
      const track = pc.addTrack(description);
      // Sends receiver reports (and REMB) back to the publisher.
      track.setMediaHandler(new RtcpReceivingSession());
      track.onMessage(handlers.onPacket);
      watchState(pc, handlers.onClosed);
      pc.setRemoteDescription(offer, 'offer');
      pc.setLocalDescription('answer');
      await waitForGathering(pc);
      const local = pc.localDescription();
      if (!local) throw new SdpError('no local answer');
      // The endpoint holds the JS track: if it were garbage-collected, node-datachannel would
      // close the native track and silently drop the publisher's packets.
      return {
        answer: withPtime(this.#announce(stripSsrcLines(local.sdp)), this.#options.opusPtimeMs ?? 20),
        track,
        close: () => closeQuietly(pc),
      } as IngressEndpoint;
    } catch (error) {
      closeQuietly(pc);
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
    return {
      addSlot(): EgressSlot {
        const mid = String(next++);
        const ssrc = randomSsrc();
        const description = new Audio(mid, 'SendOnly');
        description.addOpusCodec(OPUS_PT);
        description.addSSRC(ssrc, CNAME, `pb-${mid}`, `audio-${mid}`);
        const track = pc.addTrack(description);
        return new DatachannelSlot(mid, ssrc, track, link);
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
          pc.setRemoteDescription(sdp, 'answer');
        } catch (error) {
          log.debug({ err: error }, 'answer rejected');
          throw new SdpError(`the answer was rejected: ${(error as Error).message}`);
        }
      },
      close: () => closeQuietly(pc),
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
