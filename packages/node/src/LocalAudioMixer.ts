import { ErrorCode } from '@patchbay/protocol';
import type { AudioFrame, AudioFrameCallback } from './AudioFrame.js';
import { type AudioFrameSourceLike, FrameRing } from './AudioMixer.js';
import { convertChannels } from './audio/channels.js';
import { mixInto, saturateTo } from './audio/mix.js';
import { Pacer } from './audio/Pacer.js';
import { PatchbayError } from './errors.js';
import type { PcmAudioTrack } from './PcmAudioTrack.js';
import { type WrtcAudioData, type WrtcAudioSource, type WrtcTrack, wrtc } from './wrtc.js';

const FRAME = 480; // 10 ms at 48 kHz

/** Processes one 10 ms, 48 kHz frame in place (the "before processing" position: APM or RNNoise). */
export interface FrameProcessor {
  process(samples: Int16Array, channels: 1 | 2): void;
  /**
   * An echo canceller's reference: if present, it is given, in every tick before process(), the
   * 10 ms (48 kHz stereo) of what this app plays: the local playback of the tracks that have no
   * such processor, plus the remote audio added with {@link LocalAudioMixer.addEchoReference}.
   */
  reverse?(samples: Int16Array, channels: 1 | 2): void;
}

/** How the mixer routes one local track. Mutable: change the fields at any time. */
export interface LocalMixerRoute {
  /** Mixed into what is sent. */
  send: boolean;
  /** Mixed into the local playback (heard by this app's sink and playback observers, never sent). */
  playback: boolean;
  /** Gain applied to what is sent, 0..1 (linear). */
  sendGain: number;
  /** Gain applied to the local playback, 0..1 (linear). */
  playbackGain: number;
  /** Runs on the track's frame before it is mixed. */
  processor: FrameProcessor | null;
}

interface Input {
  track: PcmAudioTrack;
  route: LocalMixerRoute;
}

/**
 * The single audio source a client publishes: every local {@link PcmAudioTrack} is read once per
 * 10 ms on one drift-corrected clock, routed by its {@link LocalMixerRoute} into the sent mix
 * and/or the local playback mix, and the sent mix goes to one RTCAudioSource (libwebrtc encodes
 * it). Tracks that are neither sent nor played are still read, so their queues play out in real
 * time. A synchronous track (bufferMs 0) becomes the clock instead: each 10 ms it pushes runs
 * one mix at once (only one such track at a time).
 */
export class LocalAudioMixer {
  readonly #inputs: Input[] = [];
  readonly #pacer = new Pacer(() => this.#tick());
  readonly #source: WrtcAudioSource;
  readonly #track: WrtcTrack;
  readonly #sendAcc = new Int32Array(FRAME * 2);
  readonly #playAcc = new Int32Array(FRAME * 2);
  readonly #sendAccMono = this.#sendAcc.subarray(0, FRAME);
  readonly #toMono = new Int16Array(FRAME);
  readonly #toStereo = new Int16Array(FRAME * 2);
  readonly #sendFrames: Record<1 | 2, WrtcAudioData>;
  readonly #recordFrame: AudioFrame = {
    samples: new Int16Array(0),
    sampleRate: 48000,
    channels: 1,
    samplesPerChannel: FRAME,
  };
  readonly #playFrame: AudioFrame = {
    samples: new Int16Array(FRAME * 2),
    sampleRate: 48000,
    channels: 2,
    samplesPerChannel: FRAME,
  };
  readonly #recordCallbacks: AudioFrameCallback[] = [];
  readonly #playbackCallbacks: AudioFrameCallback[] = [];
  #channels: 1 | 2 = 1;
  #running = false;
  #syncTrack: PcmAudioTrack | null = null;
  readonly #syncDriver = (): void => this.#tick();
  /** Remote audio that is played, for echo cancellers (stereo rings, one per source). */
  readonly #echoSources = new Map<AudioFrameSourceLike, FrameRing>();
  readonly #echoAcc = new Int32Array(FRAME * 2);
  readonly #echoFrame = new Int16Array(FRAME * 2);
  readonly #frames: Int16Array[] = [];
  #echoListening = false;
  #outage = false;

  constructor() {
    const { RTCAudioSource } = wrtc().nonstandard;
    this.#source = new RTCAudioSource();
    this.#track = this.#source.createTrack();
    const frame = (channels: 1 | 2): WrtcAudioData => ({
      samples: new Int16Array(FRAME * channels),
      sampleRate: 48000,
      bitsPerSample: 16,
      channelCount: channels,
      numberOfFrames: FRAME,
    });
    this.#sendFrames = { 1: frame(1), 2: frame(2) };
  }

  /** The MediaStreamTrack to publish. */
  getMediaStreamTrack(): WrtcTrack {
    return this.#track;
  }

  /** Channels of what is sent: 2 when any sent track is stereo, else 1. */
  get channels(): 1 | 2 {
    return this.#channels;
  }

  get tracks(): PcmAudioTrack[] {
    return this.#inputs.map((i) => i.track);
  }

  /**
   * Adds a track (or returns its existing route). The route starts as "sent, not played, gain 1".
   * @throws PatchbayError NOT_SUPPORTED when a second synchronous track would be added.
   */
  add(track: PcmAudioTrack, route: Partial<LocalMixerRoute> = {}): LocalMixerRoute {
    const existing = this.#inputs.find((i) => i.track === track);
    if (existing) return Object.assign(existing.route, route);
    if (track.synchronous && this.#syncTrack !== null) {
      throw new PatchbayError(
        ErrorCode.NOT_SUPPORTED,
        'only one synchronous track (bufferMs 0) can be sent at a time: it drives the send clock',
      );
    }
    const full: LocalMixerRoute = {
      send: true,
      playback: false,
      sendGain: 1,
      playbackGain: 1,
      processor: null,
      ...route,
    };
    this.#inputs.push({ track, route: full });
    track.outputTrack = this.#track;
    if (track.synchronous) {
      this.#syncTrack = track;
      track.syncDriver = this.#running ? this.#syncDriver : null;
      this.#pacer.stop();
    }
    this.updateChannels();
    return full;
  }

  remove(track: PcmAudioTrack): void {
    const i = this.#inputs.findIndex((x) => x.track === track);
    if (i < 0) return;
    this.#inputs.splice(i, 1);
    track.outputTrack = null;
    if (this.#syncTrack === track) {
      track.syncDriver = null;
      this.#syncTrack = null;
      if (this.#running) this.#pacer.start();
    }
    this.updateChannels();
  }

  /** Recomputes the sent channel count; call after changing a route's `send`. */
  updateChannels(): void {
    this.#channels = this.#inputs.some((i) => i.route.send && i.track.channels === 2) ? 2 : 1;
  }

  /** Starts sending (the clock, or the synchronous track's pushes). */
  start(): void {
    this.#running = true;
    if (this.#syncTrack) this.#syncTrack.syncDriver = this.#syncDriver;
    else this.#pacer.start();
  }

  /** Stops sending; queued audio stays in the tracks. */
  stop(): void {
    this.#running = false;
    this.#pacer.stop();
    if (this.#echoListening) this.#listenToEcho(false);
    if (this.#syncTrack) this.#syncTrack.syncDriver = null;
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * While the media path is down (reconnecting), the clock keeps ticking but nothing is sent or
   * played: each track keeps its queued audio up to its size and drops (and counts) the oldest
   * beyond it (PcmAudioTrack.holdFrame). Sending resumes from the queues when set back to false.
   */
  setOutage(on: boolean): void {
    this.#outage = on;
  }

  get outage(): boolean {
    return this.#outage;
  }

  /** Calls `callback` with each sent frame (48 kHz, `channels`), after the RTCAudioSource got it. */
  onRecordFrame(callback: AudioFrameCallback): () => void {
    return addCallback(this.#recordCallbacks, callback);
  }

  /** Calls `callback` with each 10 ms of local playback (48 kHz stereo), whenever a track is played locally. */
  onPlaybackFrame(callback: AudioFrameCallback): () => void {
    return addCallback(this.#playbackCallbacks, callback);
  }

  /** An input of the remote-audio mixer carrying this mixer's local playback. */
  readonly playbackSource = {
    onAudioFrame: (callback: AudioFrameCallback): (() => void) => this.onPlaybackFrame(callback),
  };

  /**
   * Adds played remote audio (10 ms, 48 kHz frames) to the echo reference that tracks with an echo
   * canceller get; returns a remover. Frames wait in a small ring (a 10 ms cushion, 80 ms at most).
   * Sources are listened to only while a track has an echo canceller.
   */
  addEchoReference(source: AudioFrameSourceLike): () => void {
    if (!this.#echoSources.has(source)) {
      const ring = new FrameRing(2);
      this.#echoSources.set(source, ring);
      if (this.#echoListening) ring.unsubscribe = source.onAudioFrame((f) => ring.push(f, 2));
    }
    return () => {
      this.#echoSources.get(source)?.unsubscribe();
      this.#echoSources.delete(source);
    };
  }

  #tick(): void {
    if (this.#outage) {
      for (let n = 0; n < this.#inputs.length; n++) this.#inputs[n].track.holdFrame();
      return;
    }
    const ch = this.#channels;
    const sendAcc = this.#sendAcc;
    const playAcc = this.#playAcc;
    sendAcc.fill(0);
    playAcc.fill(0);
    let playing = false;
    let cancelling = false;
    const inputs = this.#inputs;
    const frames = this.#frames;
    frames.length = inputs.length;
    // Tracks without an echo canceller first: their local playback is part of the echo reference.
    for (let n = 0; n < inputs.length; n++) {
      const { track, route } = inputs[n];
      frames[n] = track.readFrame();
      if (route.processor?.reverse) {
        cancelling = true;
        continue;
      }
      if (route.processor) route.processor.process(frames[n], track.channels);
      playing = this.#route(track.channels, frames[n], route) || playing;
    }
    if (cancelling !== this.#echoListening) this.#listenToEcho(cancelling);
    if (cancelling) {
      const echoAcc = this.#echoAcc;
      echoAcc.set(playAcc);
      for (const ring of this.#echoSources.values()) {
        const f = ring.shift();
        if (f) mixInto(echoAcc, f);
      }
      saturateTo(echoAcc, this.#echoFrame);
      for (let n = 0; n < inputs.length; n++) {
        const { track, route } = inputs[n];
        const p = route.processor;
        if (!p?.reverse) continue;
        p.reverse(this.#echoFrame, 2);
        p.process(frames[n], track.channels);
        playing = this.#route(track.channels, frames[n], route) || playing;
      }
    }
    const out = this.#sendFrames[ch];
    saturateTo(ch === 2 ? sendAcc : this.#sendAccMono, out.samples);
    this.#source.onData(out);
    if (this.#recordCallbacks.length > 0) {
      const rec = this.#recordFrame;
      rec.samples = out.samples;
      rec.channels = ch;
      const cbs = this.#recordCallbacks;
      for (let i = 0; i < cbs.length; i++) cbs[i](rec);
    }
    if (playing && this.#playbackCallbacks.length > 0) {
      saturateTo(playAcc, this.#playFrame.samples);
      const cbs = this.#playbackCallbacks;
      for (let i = 0; i < cbs.length; i++) cbs[i](this.#playFrame);
    }
  }

  #listenToEcho(on: boolean): void {
    this.#echoListening = on;
    for (const [source, ring] of this.#echoSources) {
      ring.unsubscribe();
      ring.unsubscribe = () => undefined;
      ring.count = 0;
      ring.primed = false;
      if (on) ring.unsubscribe = source.onAudioFrame((f) => ring.push(f, 2));
    }
  }

  /** Mixes one (processed) frame into the sent and played mixes; true when it was played. */
  #route(channels: 1 | 2, frame: Int16Array, route: LocalMixerRoute): boolean {
    const ch = this.#channels;
    if (route.send && route.sendGain > 0) {
      const f = channels === ch ? frame : convertChannels(frame, channels, ch, this.#scratch(ch));
      mixInto(this.#sendAcc, f, route.sendGain);
    }
    if (route.playback && route.playbackGain > 0) {
      const f = channels === 2 ? frame : convertChannels(frame, 1, 2, this.#toStereo);
      mixInto(this.#playAcc, f, route.playbackGain);
      return true;
    }
    return false;
  }

  #scratch(channels: 1 | 2): Int16Array {
    return channels === 2 ? this.#toStereo : this.#toMono;
  }

  /** Stops for good and detaches every track (they stay usable elsewhere). */
  close(): void {
    this.stop();
    this.#listenToEcho(false);
    this.#echoSources.clear();
    for (const { track } of [...this.#inputs]) this.remove(track);
    this.#track.stop();
  }
}

function addCallback(list: AudioFrameCallback[], callback: AudioFrameCallback): () => void {
  list.push(callback);
  return () => {
    const i = list.indexOf(callback);
    if (i >= 0) list.splice(i, 1);
  };
}
