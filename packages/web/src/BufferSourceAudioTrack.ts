import { PatchbayError } from '@patchbay/client';
import { audioContext } from './audio.js';
import type { AudioEncoderConfiguration, AudioEncoderConfigurationPreset } from './encoderConfig.js';
import { WebErrorCode, webError } from './errors.js';
import { LocalAudioTrack } from './LocalAudioTrack.js';

export type AudioSourceState = 'stopped' | 'playing' | 'paused';

export interface BufferSourceAudioTrackInitConfig {
  /** A File/Blob, a URL (fetched; cross-origin needs CORS) or a decoded AudioBuffer. */
  source: Blob | string | AudioBuffer;
  /** Accepted; ignored (the browser's HTTP cache applies). */
  cacheOnlineFile?: boolean;
  encoderConfig?: AudioEncoderConfiguration | AudioEncoderConfigurationPreset;
}

export interface AudioSourceOptions {
  /** Loop forever. */
  loop?: boolean;
  /** How many times to play (ignored when `loop`). Default 1. */
  cycle?: number;
  /** Where to start, seconds. Default 0. */
  startPlayTime?: number;
}

/**
 * A local track playing an audio file or AudioBuffer. It publishes silence until
 * startProcessAudioBuffer() is called, as in the Web SDK NG.
 */
export class BufferSourceAudioTrack extends LocalAudioTrack {
  readonly source: Blob | string | AudioBuffer;
  readonly #buffer: AudioBuffer;
  readonly #output: GainNode;
  #node: AudioBufferSourceNode | null = null;
  #state: AudioSourceState = 'stopped';
  #speed = 100;
  /** Position in the buffer (s) at #anchorTime. */
  #anchorOffset = 0;
  /** AudioContext time at which #anchorOffset was played. */
  #anchorTime = 0;
  #loop = false;
  #cyclesLeft = 0;

  /** @internal use createBufferSourceAudioTrack() */
  constructor(
    source: Blob | string | AudioBuffer,
    buffer: AudioBuffer,
    encoderConfig?: AudioEncoderConfiguration | AudioEncoderConfigurationPreset,
  ) {
    const output = audioContext().createGain();
    super(output, encoderConfig, typeof source === 'string' ? source : 'AudioBufferSource');
    this.source = source;
    this.#buffer = buffer;
    this.#output = output;
  }

  get currentState(): AudioSourceState {
    return this.#state;
  }
  /** Seconds. */
  get duration(): number {
    return this.#buffer.duration;
  }
  /** Percent, 50..400. */
  get playbackSpeed(): number {
    return this.#speed;
  }

  /** Seconds into the buffer. */
  getCurrentTime(): number {
    if (this.#state !== 'playing') return this.#anchorOffset;
    const elapsed = (this.#output.context.currentTime - this.#anchorTime) * (this.#speed / 100);
    const position = this.#anchorOffset + elapsed;
    return this.#loop ? position % this.duration : Math.min(position, this.duration);
  }

  startProcessAudioBuffer(options: AudioSourceOptions = {}): void {
    if (this.closed) throw PatchbayError.invalidOperation('the track is closed');
    const start = options.startPlayTime ?? 0;
    if (typeof start !== 'number' || start < 0 || start > this.duration) {
      throw PatchbayError.invalidParams(`startPlayTime must be within 0..${this.duration.toFixed(3)} s`);
    }
    this.#loop = options.loop === true;
    this.#cyclesLeft = this.#loop ? Infinity : Math.max(1, Math.floor(options.cycle ?? 1));
    this.#playFrom(start);
  }

  pauseProcessAudioBuffer(): void {
    if (this.#state !== 'playing') return;
    this.#anchorOffset = this.getCurrentTime();
    this.#halt();
    this.#setState('paused');
  }

  resumeProcessAudioBuffer(): void {
    if (this.#state !== 'paused') return;
    this.#playFrom(this.#anchorOffset);
  }

  stopProcessAudioBuffer(): void {
    this.#halt();
    this.#anchorOffset = 0;
    this.#setState('stopped');
  }

  /** Jumps to `time` seconds. */
  seekAudioBuffer(time: number): void {
    if (typeof time !== 'number' || time < 0 || time > this.duration) {
      throw PatchbayError.invalidParams(`time must be within 0..${this.duration.toFixed(3)} s`);
    }
    if (this.#state === 'playing') this.#playFrom(time);
    else this.#anchorOffset = time;
  }

  /** 50..400 (percent). */
  setAudioBufferPlaybackSpeed(speed: number): void {
    if (typeof speed !== 'number' || !Number.isInteger(speed) || speed < 50 || speed > 400) {
      throw PatchbayError.invalidParams('speed must be an integer percentage in 50..400');
    }
    if (this.#state === 'playing') {
      this.#anchorOffset = this.getCurrentTime();
      this.#anchorTime = this.#output.context.currentTime;
    }
    this.#speed = speed;
    if (this.#node) this.#node.playbackRate.value = speed / 100;
  }

  #playFrom(offset: number): void {
    this.#halt();
    const ctx = this.#output.context;
    const node = ctx.createBufferSource();
    node.buffer = this.#buffer;
    node.loop = this.#loop;
    node.playbackRate.value = this.#speed / 100;
    node.connect(this.#output);
    node.onended = () => {
      if (this.#node !== node) return;
      this.#node = null;
      this.#cyclesLeft -= 1;
      if (this.#cyclesLeft > 0) this.#playFrom(0);
      else {
        this.#anchorOffset = 0;
        this.#setState('stopped');
      }
    };
    node.start(0, offset);
    this.#node = node;
    this.#anchorOffset = offset;
    this.#anchorTime = ctx.currentTime;
    this.#setState('playing');
  }

  #halt(): void {
    const node = this.#node;
    this.#node = null;
    if (!node) return;
    node.onended = null;
    try {
      node.stop();
    } catch {
      // never started
    }
    node.disconnect();
  }

  #setState(state: AudioSourceState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('source-state-change', state);
  }

  protected override onClose(): void {
    this.#halt();
    this.#state = 'stopped';
  }
}

/** Decodes `source` into an AudioBuffer on the page's shared AudioContext. */
export async function decodeAudioSource(source: Blob | string | AudioBuffer): Promise<AudioBuffer> {
  if (typeof AudioBuffer !== 'undefined' && source instanceof AudioBuffer) return source;
  let bytes: ArrayBuffer;
  if (typeof source === 'string') {
    let response: Response;
    try {
      response = await fetch(source);
    } catch (error) {
      throw webError(
        WebErrorCode.FETCH_AUDIO_FILE_FAILED,
        `cannot fetch ${source}: ${(error as Error).message}`,
      );
    }
    if (!response.ok) {
      throw webError(WebErrorCode.FETCH_AUDIO_FILE_FAILED, `cannot fetch ${source}: HTTP ${response.status}`);
    }
    bytes = await response.arrayBuffer();
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    bytes = await source.arrayBuffer();
  } else {
    throw PatchbayError.invalidParams('source must be a File/Blob, a URL or an AudioBuffer');
  }
  try {
    return await audioContext().decodeAudioData(bytes);
  } catch (error) {
    throw webError(
      WebErrorCode.DECODE_AUDIO_FILE_FAILED,
      `cannot decode the audio: ${(error as Error).message}`,
    );
  }
}
