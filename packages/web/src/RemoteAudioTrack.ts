import { PatchbayError, TypedEmitter } from '@patchbay/client';
import type { Uid } from '@patchbay/protocol';
import {
  type AudioFrameCallback,
  analyserLevel,
  audioContext,
  checkVolume,
  ensureRunning,
  FrameTap,
} from './audio.js';

export type RemoteTrackEvents = {
  'first-frame-decoded': [];
};

/**
 * A subscribed user's audio. The received MediaStreamTrack is attached to a muted <audio>
 * element (without it Chrome delivers silence to Web Audio) and routed through
 * MediaStreamSource → GainNode (setVolume) → the speakers while play() is on.
 */
export class RemoteAudioTrack extends TypedEmitter<RemoteTrackEvents> {
  readonly trackMediaType = 'audio' as const;
  readonly #uid: Uid;
  #track: MediaStreamTrack;
  readonly #stream: MediaStream;
  readonly #element: HTMLAudioElement | null;
  readonly #ctx: AudioContext;
  #sourceNode: MediaStreamAudioSourceNode;
  readonly #gain: GainNode;
  readonly #analyser: AnalyserNode;
  readonly #scratch: Float32Array<ArrayBuffer>;
  /** The RTP mid of this user's m-line on the subscriber connection. */
  mid: string;
  #volume = 100;
  #playing = false;
  #released = false;
  #tap: FrameTap | null = null;
  #tapArgs: [AudioFrameCallback, number] | null = null;

  /** @internal created by the client on subscribe */
  constructor(uid: Uid, track: MediaStreamTrack, mid: string) {
    super();
    this.#uid = uid;
    this.#track = track;
    this.mid = mid;
    this.#stream = new MediaStream([track]);
    if (typeof document !== 'undefined') {
      const element = document.createElement('audio');
      element.muted = true;
      element.autoplay = true;
      element.srcObject = this.#stream;
      void element.play().catch(() => undefined);
      this.#element = element;
    } else {
      this.#element = null;
    }
    const ctx = audioContext();
    this.#ctx = ctx;
    this.#sourceNode = ctx.createMediaStreamSource(this.#stream);
    this.#gain = ctx.createGain();
    this.#analyser = ctx.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#scratch = new Float32Array(this.#analyser.fftSize);
    this.#sourceNode.connect(this.#gain);
    this.#sourceNode.connect(this.#analyser);
    track.addEventListener('unmute', () => this.emit('first-frame-decoded'), { once: true });
  }

  getUserId(): Uid {
    return this.#uid;
  }

  /**
   * @internal after a reconnection that resubscribed: this object now plays the new receiver
   * track (playback, volume and frame callbacks carry on).
   */
  _rebind(track: MediaStreamTrack, mid: string): void {
    this.#stream.removeTrack(this.#track);
    this.#stream.addTrack(track);
    this.#track = track;
    this.mid = mid;
    this.#sourceNode.disconnect();
    this.#sourceNode = this.#ctx.createMediaStreamSource(this.#stream);
    this.#sourceNode.connect(this.#gain);
    this.#sourceNode.connect(this.#analyser);
    if (this.#tapArgs) this.setAudioFrameCallback(...this.#tapArgs);
  }

  getTrackId(): string {
    return this.#track.id;
  }

  getMediaStreamTrack(): MediaStreamTrack {
    return this.#track;
  }

  getRTCRtpTransceiver(): undefined {
    return undefined;
  }

  get isPlaying(): boolean {
    return this.#playing;
  }

  /** True once the user unpublished, left, or you unsubscribed. */
  get released(): boolean {
    return this.#released;
  }

  /** Plays the user's audio on the page's default output. `element` is accepted and ignored. */
  play(_element?: unknown): void {
    if (this.#released) throw PatchbayError.invalidOperation('the remote track is no longer subscribed');
    if (this.#playing) return;
    this.#gain.connect(this.#ctx.destination);
    this.#playing = true;
    ensureRunning();
  }

  stop(): void {
    if (!this.#playing) return;
    this.#playing = false;
    try {
      this.#gain.disconnect(this.#ctx.destination);
    } catch {
      // not connected
    }
  }

  /** 0..100 (playback level on this page only). */
  setVolume(volume: number): void {
    this.#volume = checkVolume(volume, 100);
    this.#gain.gain.setValueAtTime(volume / 100, this.#ctx.currentTime);
  }

  getVolume(): number {
    return this.#volume;
  }

  /** The level of the received audio now, 0..1 (RMS). */
  getVolumeLevel(): number {
    return this.#released ? 0 : analyserLevel(this.#analyser, this.#scratch);
  }

  async setPlaybackDevice(_deviceId: string): Promise<void> {
    throw new PatchbayError('NOT_SUPPORTED', 'setPlaybackDevice() is not supported yet');
  }

  /**
   * Calls `callback` with each `frameSize` samples of the received audio (before setVolume), as an
   * AudioBuffer of Float32 PCM. `null` removes it. frameSize ∈ 256, 512, ..., 16384; default 4096.
   */
  setAudioFrameCallback(callback: AudioFrameCallback | null, frameSize = 4096): void {
    this.#tap?.dispose();
    this.#tap = null;
    this.#tapArgs = null;
    if (!callback) return;
    if (this.#released) throw PatchbayError.invalidOperation('the remote track is no longer subscribed');
    try {
      this.#tap = new FrameTap(this.#sourceNode, callback, frameSize, 1);
      this.#tapArgs = [callback, frameSize];
    } catch (error) {
      throw PatchbayError.invalidParams((error as Error).message);
    }
  }

  /** @internal the subscription ended */
  _release(): void {
    if (this.#released) return;
    this.#released = true;
    this.stop();
    this.#tap?.dispose();
    this.#tap = null;
    this.#sourceNode.disconnect();
    this.#gain.disconnect();
    if (this.#element) {
      this.#element.pause();
      this.#element.srcObject = null;
    }
  }
}
