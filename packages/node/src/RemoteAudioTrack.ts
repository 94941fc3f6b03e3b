import type { Uid } from '@patchbay/protocol';
import type { AudioFrame, AudioFrameCallback } from './AudioFrame.js';
import { type WrtcAudioData, type WrtcAudioSink, type WrtcTrack, wrtc } from './wrtc.js';

/**
 * A subscribed user's audio. Decoded PCM arrives as 10 ms frames (48 kHz) from libwebrtc's
 * jitter buffer; the sink is attached while anyone listens.
 */
export class RemoteAudioTrack {
  readonly trackMediaType = 'audio';
  readonly #uid: Uid;
  #track: WrtcTrack;
  #mid: string;
  /** Replaced, never mutated, so a callback that unsubscribes during dispatch cannot make another miss a frame. */
  #callbacks: readonly AudioFrameCallback[] = [];
  readonly #frame: AudioFrame = {
    samples: new Int16Array(0),
    sampleRate: 48000,
    channels: 1,
    samplesPerChannel: 0,
  };
  #sink: WrtcAudioSink | null = null;
  #released = false;

  /** @internal created by the client on subscribe */
  constructor(uid: Uid, track: WrtcTrack, mid: string) {
    this.#uid = uid;
    this.#track = track;
    this.#mid = mid;
  }

  /** The subscriber-connection m-line that carries this audio. */
  get mid(): string {
    return this.#mid;
  }

  /**
   * @internal after a reconnection that resubscribed: the same object now plays the new
   * receiver track; frame callbacks carry on.
   */
  rebind(track: WrtcTrack, mid: string): void {
    const listening = this.#sink !== null;
    this.#detach();
    this.#track = track;
    this.#mid = mid;
    if (listening) this.#attach();
  }

  getUserId(): Uid {
    return this.#uid;
  }

  getMediaStreamTrack(): WrtcTrack {
    return this.#track;
  }

  /** True once the user unpublished, left, or you unsubscribed. */
  get released(): boolean {
    return this.#released;
  }

  /** Calls `callback` with every decoded 10 ms frame. Returns a function that removes it. */
  onAudioFrame(callback: AudioFrameCallback): () => void {
    this.#callbacks = [...this.#callbacks, callback];
    this.#attach();
    return () => {
      this.#callbacks = this.#callbacks.filter((cb) => cb !== callback);
      if (this.#callbacks.length === 0) this.#detach();
    };
  }

  #attach(): void {
    if (this.#sink || this.#released) return;
    const sink = new (wrtc().nonstandard.RTCAudioSink)(this.#track);
    sink.ondata = (data: WrtcAudioData) => {
      const frame = this.#frame;
      frame.samples = data.samples;
      frame.sampleRate = data.sampleRate;
      frame.channels = data.channelCount;
      frame.samplesPerChannel = data.numberOfFrames;
      for (const cb of this.#callbacks) cb(frame);
    };
    this.#sink = sink;
  }

  #detach(): void {
    this.#sink?.stop();
    this.#sink = null;
  }

  /** @internal the subscription ended */
  release(): void {
    this.#released = true;
    this.#callbacks = [];
    this.#detach();
  }
}
