import { ErrorCode } from '@patchbay/protocol';
import type { AudioFrame, AudioFrameCallback } from './AudioFrame.js';
import { convertChannels } from './audio/channels.js';
import { mixInto, saturateTo } from './audio/mix.js';
import { Pacer } from './audio/Pacer.js';
import { PatchbayError } from './errors.js';
import type { PcmAudioTrack } from './PcmAudioTrack.js';
import { type WrtcAudioData, type WrtcAudioSource, type WrtcTrack, wrtc } from './wrtc.js';

const FRAME = 480; // 10 ms at 48 kHz

/** Processes one 10 ms, 48 kHz frame in place (noise suppression in the "before processing" position). */
export interface FrameProcessor {
  process(samples: Int16Array, channels: 1 | 2): void;
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
    if (this.#syncTrack) this.#syncTrack.syncDriver = null;
  }

  get running(): boolean {
    return this.#running;
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

  #tick(): void {
    const ch = this.#channels;
    const sendAcc = this.#sendAcc;
    const playAcc = this.#playAcc;
    sendAcc.fill(0);
    let playing = false;
    const inputs = this.#inputs;
    for (let n = 0; n < inputs.length; n++) {
      const { track, route } = inputs[n];
      const frame = track.readFrame();
      if (route.processor) route.processor.process(frame, track.channels);
      if (route.send && route.sendGain > 0) {
        const f =
          track.channels === ch ? frame : convertChannels(frame, track.channels, ch, this.#scratch(ch));
        mixInto(sendAcc, f, route.sendGain);
      }
      if (route.playback && route.playbackGain > 0) {
        if (!playing) playAcc.fill(0);
        playing = true;
        const f = track.channels === 2 ? frame : convertChannels(frame, 1, 2, this.#toStereo);
        mixInto(playAcc, f, route.playbackGain);
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

  #scratch(channels: 1 | 2): Int16Array {
    return channels === 2 ? this.#toStereo : this.#toMono;
  }

  /** Stops for good and detaches every track (they stay usable elsewhere). */
  close(): void {
    this.stop();
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
