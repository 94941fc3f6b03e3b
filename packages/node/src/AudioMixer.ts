import type { AudioFrame, AudioFrameCallback } from './AudioFrame.js';
import { convertChannels } from './audio/channels.js';
import { mixInto, saturateTo } from './audio/mix.js';
import { Pacer } from './audio/Pacer.js';

/** Anything that delivers 10 ms, 48 kHz frames: a RemoteAudioTrack, or a local playback tap. */
export interface AudioFrameSourceLike {
  onAudioFrame(callback: AudioFrameCallback): () => void;
}

const FRAME = 480;
const MAX_QUEUED = 8; // 80 ms per input; older frames are dropped (counted)

/** A few 10 ms frames of one input, already in the mixer's channel count. */
export class FrameRing {
  readonly frames: Int16Array[];
  head = 0;
  count = 0;
  dropped = 0;
  primed = false;
  unsubscribe: () => void = () => undefined;

  constructor(channels: number) {
    this.frames = Array.from({ length: MAX_QUEUED }, () => new Int16Array(FRAME * channels));
  }

  push(frame: AudioFrame, channels: 1 | 2): void {
    if (frame.samplesPerChannel !== FRAME || frame.sampleRate !== 48000) return;
    if (this.count === MAX_QUEUED) {
      this.head = (this.head + 1) % MAX_QUEUED;
      this.count--;
      this.dropped++;
    }
    const slot = this.frames[(this.head + this.count) % MAX_QUEUED];
    if (frame.channels === channels) slot.set(frame.samples);
    else convertChannels(frame.samples, frame.channels as 1 | 2, channels, slot);
    this.count++;
  }

  /** Takes the oldest frame. After running dry it waits for two frames (a 10 ms cushion against callback jitter). */
  shift(): Int16Array | null {
    if (!this.primed) {
      if (this.count < 2) return null;
      this.primed = true;
    }
    if (this.count === 0) {
      this.primed = false;
      return null;
    }
    const frame = this.frames[this.head];
    this.head = (this.head + 1) % MAX_QUEUED;
    this.count--;
    return frame;
  }
}

/**
 * Mixes every subscribed track (and any local playback source added) into one 48 kHz stream on its own 10 ms clock, so listeners get
 * a continuous stream (silence when nobody speaks). Runs only while it has listeners.
 */
export class AudioMixer {
  readonly channels: 1 | 2;
  readonly #inputs = new Map<AudioFrameSourceLike, FrameRing>();
  readonly #callbacks: AudioFrameCallback[] = [];
  readonly #acc: Int32Array;
  readonly #frame: AudioFrame;
  readonly #pacer = new Pacer(() => this.#tick());

  constructor(channels: 1 | 2 = 1) {
    this.channels = channels;
    this.#acc = new Int32Array(FRAME * channels);
    this.#frame = {
      samples: new Int16Array(FRAME * channels),
      sampleRate: 48000,
      channels,
      samplesPerChannel: FRAME,
    };
  }

  add(track: AudioFrameSourceLike): void {
    if (this.#inputs.has(track)) return;
    const ring = new FrameRing(this.channels);
    this.#inputs.set(track, ring);
    if (this.#callbacks.length > 0) ring.unsubscribe = track.onAudioFrame((f) => ring.push(f, this.channels));
  }

  remove(track: AudioFrameSourceLike): void {
    const ring = this.#inputs.get(track);
    ring?.unsubscribe();
    this.#inputs.delete(track);
  }

  /** Adds a listener of mixed frames; returns a function that removes it. */
  onAudioFrame(callback: AudioFrameCallback): () => void {
    this.#callbacks.push(callback);
    if (this.#callbacks.length === 1) {
      for (const [track, ring] of this.#inputs) {
        ring.unsubscribe = track.onAudioFrame((f) => ring.push(f, this.channels));
      }
      this.#pacer.start();
    }
    return () => {
      const i = this.#callbacks.indexOf(callback);
      if (i >= 0) this.#callbacks.splice(i, 1);
      if (this.#callbacks.length === 0) this.stop();
    };
  }

  stop(): void {
    this.#pacer.stop();
    for (const ring of this.#inputs.values()) ring.unsubscribe();
  }

  #tick(): void {
    const acc = this.#acc;
    acc.fill(0);
    for (const ring of this.#inputs.values()) {
      const frame = ring.shift();
      if (frame) mixInto(acc, frame);
    }
    saturateTo(acc, this.#frame.samples);
    for (const cb of this.#callbacks) cb(this.#frame);
  }
}
