import type { AudioFrame as PcmFrame } from '../AudioFrame.js';
import { mixInto, saturateTo } from '../audio/mix.js';
import { PatchbayError } from '../errors.js';
import { DEFAULT_OBSERVER_FORMAT } from './engineDefaults.js';
import { RawAudioFrameOpModeType } from './enums.js';
import { ExternalAudioSink } from './ExternalAudioSink.js';
import { FrameFormatter } from './FrameFormatter.js';
import type { AudioFrame, IAudioFrameObserver } from './types.js';

export type ObserverFormatName = 'record' | 'playback' | 'mixed' | 'beforeMixing';

interface Format {
  sampleRate: number;
  channels: 1 | 2;
  samplesPerCall: number;
}

const FRAME = 480;

/**
 * registerAudioFrameObserver() and setExternalAudioSink(): takes the engine's 10 ms, 48 kHz
 * streams (what is sent, what is played, each remote user before mixing) and hands them to the
 * observer and the sink in the formats the app set. Enabling the sink stops onPlaybackAudioFrame,
 * as in Agora's SDKs. Formatters exist only while someone listens.
 */
export class AudioFrameObservers {
  #observer: IAudioFrameObserver | null = null;
  #channelId = '';
  readonly #formats: Record<ObserverFormatName, Format> = {
    record: { ...DEFAULT_OBSERVER_FORMAT },
    playback: { ...DEFAULT_OBSERVER_FORMAT },
    mixed: { ...DEFAULT_OBSERVER_FORMAT },
    beforeMixing: { ...DEFAULT_OBSERVER_FORMAT },
  };
  #record: FrameFormatter | null = null;
  #playback: FrameFormatter | null = null;
  #mixed: FrameFormatter | null = null;
  readonly #beforeMixing = new Map<number, FrameFormatter>();
  #sink: ExternalAudioSink | null = null;
  /** The last sent frame (stereo, 48 kHz), added into the mixed stream once. */
  readonly #lastRecord = new Int16Array(FRAME * 2);
  #recordFresh = false;
  readonly #mixAcc = new Int32Array(FRAME * 2);
  readonly #mixFrame: PcmFrame = {
    samples: new Int16Array(FRAME * 2),
    sampleRate: 48000,
    channels: 2,
    samplesPerChannel: FRAME,
  };

  set channelId(id: string) {
    this.#channelId = id;
  }

  register(observer: IAudioFrameObserver | null): void {
    if (observer !== null && (typeof observer !== 'object' || observer === undefined)) {
      throw PatchbayError.invalidParams(
        'registerAudioFrameObserver() takes an object with on…AudioFrame callbacks, or null',
      );
    }
    this.#observer = observer;
    this.#rebuild();
  }

  /** @throws PatchbayError UNSUPPORTED_AUDIO_FORMAT / INVALID_PARAMS for a format the formatter rejects. */
  setFormat(
    which: ObserverFormatName,
    sampleRate: number,
    channels: number,
    samplesPerCall: number,
    mode?: number,
  ): void {
    if (
      mode !== undefined &&
      mode !== RawAudioFrameOpModeType.RawAudioFrameOpModeReadOnly &&
      mode !== RawAudioFrameOpModeType.RawAudioFrameOpModeReadWrite
    ) {
      throw PatchbayError.invalidParams(
        `mode must be RawAudioFrameOpModeReadOnly (0) or ReadWrite (2), got ${String(mode)}`,
      );
    }
    // Validate by building one (destroyed at once if nobody listens).
    new FrameFormatter(sampleRate, channels, samplesPerCall, () => undefined).destroy();
    this.#formats[which] = { sampleRate, channels: channels as 1 | 2, samplesPerCall };
    this.#rebuild();
  }

  format(which: ObserverFormatName): Readonly<Format> {
    return this.#formats[which];
  }

  /** setExternalAudioSink(); `enabled` false removes it. */
  setSink(enabled: boolean, sampleRate: number, channels: number): void {
    this.#sink?.destroy();
    this.#sink = null;
    if (enabled) this.#sink = new ExternalAudioSink(sampleRate, channels);
    this.#rebuild();
  }

  get sink(): ExternalAudioSink | null {
    return this.#sink;
  }

  /** A sent frame (the local mix), 48 kHz. */
  onRecord(frame: PcmFrame): void {
    this.#record?.write(frame);
    if (this.#mixed) {
      if (frame.channels === 2) this.#lastRecord.set(frame.samples);
      else
        for (let i = 0; i < FRAME; i++)
          this.#lastRecord[2 * i] = this.#lastRecord[2 * i + 1] = frame.samples[i];
      this.#recordFresh = true;
    }
  }

  /** A played frame (remote mix + local playback), 48 kHz stereo. */
  onPlayback(frame: PcmFrame): void {
    this.#sink?.write(frame);
    if (!this.#sink) this.#playback?.write(frame);
    const mixed = this.#mixed;
    if (mixed) {
      if (!this.#recordFresh) {
        mixed.write(frame);
        return;
      }
      const acc = this.#mixAcc;
      acc.fill(0);
      mixInto(acc, frame.samples);
      mixInto(acc, this.#lastRecord);
      saturateTo(acc, this.#mixFrame.samples);
      this.#recordFresh = false;
      mixed.write(this.#mixFrame);
    }
  }

  /** Whether per-user frames are wanted (so the engine attaches to remote tracks). */
  get wantsBeforeMixing(): boolean {
    return typeof this.#observer?.onPlaybackAudioFrameBeforeMixing === 'function';
  }

  /** One remote user's decoded frame, 48 kHz. */
  onBeforeMixing(uid: number, frame: PcmFrame): void {
    const observer = this.#observer;
    if (!observer?.onPlaybackAudioFrameBeforeMixing) return;
    let formatter = this.#beforeMixing.get(uid);
    if (!formatter) {
      const f = this.#formats.beforeMixing;
      formatter = new FrameFormatter(
        f.sampleRate,
        f.channels,
        f.samplesPerCall,
        safe((out) => observer.onPlaybackAudioFrameBeforeMixing?.(this.#channelId, uid, out)),
      );
      this.#beforeMixing.set(uid, formatter);
    }
    formatter.write(frame);
  }

  /** A remote user left: forget their formatter. */
  removeUser(uid: number): void {
    this.#beforeMixing.get(uid)?.destroy();
    this.#beforeMixing.delete(uid);
  }

  destroy(): void {
    this.#observer = null;
    this.#sink?.destroy();
    this.#sink = null;
    this.#rebuild();
  }

  #rebuild(): void {
    for (const f of [this.#record, this.#playback, this.#mixed, ...this.#beforeMixing.values()]) f?.destroy();
    this.#beforeMixing.clear();
    this.#record = this.#playback = this.#mixed = null;
    const o = this.#observer;
    if (!o) return;
    const make = (
      which: 'record' | 'playback' | 'mixed',
      cb: (frame: AudioFrame) => void,
    ): FrameFormatter => {
      const f = this.#formats[which];
      return new FrameFormatter(f.sampleRate, f.channels, f.samplesPerCall, safe(cb));
    };
    if (o.onRecordAudioFrame)
      this.#record = make('record', (f) => o.onRecordAudioFrame?.(this.#channelId, f));
    if (o.onPlaybackAudioFrame)
      this.#playback = make('playback', (f) => o.onPlaybackAudioFrame?.(this.#channelId, f));
    if (o.onMixedAudioFrame) this.#mixed = make('mixed', (f) => o.onMixedAudioFrame?.(this.#channelId, f));
  }
}

/** Wraps an observer callback so that a throw is reported and never breaks the audio clock. */
function safe(cb: (frame: AudioFrame) => unknown): (frame: AudioFrame) => void {
  return (frame) => {
    try {
      cb(frame);
    } catch (error) {
      console.error('[patchbay] an audio frame observer threw', error);
    }
  };
}
