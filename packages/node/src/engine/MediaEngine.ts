import type { AudioTrackType } from './enums.js';
import type { RtcEngine } from './RtcEngine.js';
import type { AudioFrame, AudioTrackConfig, IAudioFrameObserver } from './types.js';

/**
 * getMediaEngine(): Agora's IMediaEngine, the raw-audio half of the engine. Every method is the
 * engine's method of the same name (see {@link RtcEngine}).
 */
export class MediaEngine {
  readonly #engine: RtcEngine;

  /** @internal */
  constructor(engine: RtcEngine) {
    this.#engine = engine;
  }

  /** Pushes an AudioFrame to a custom track (default track 0). Resolves when queued. */
  pushAudioFrame(frame: AudioFrame, trackId = 0): Promise<void> {
    return this.#engine.pushAudioFrame(frame, trackId);
  }

  pullAudioFrame(frame: AudioFrame): number {
    return this.#engine.pullAudioFrame(frame);
  }

  registerAudioFrameObserver(observer: IAudioFrameObserver): number {
    return this.#engine.registerAudioFrameObserver(observer);
  }

  unregisterAudioFrameObserver(observer?: IAudioFrameObserver): number {
    return this.#engine.unregisterAudioFrameObserver(observer);
  }

  setExternalAudioSource(
    enabled: boolean,
    sampleRate: number,
    channels: number,
    sourceNumberOrLocalPlayback?: number | boolean,
    localPlaybackOrPublish?: boolean,
    publish?: boolean,
  ): number {
    return this.#engine.setExternalAudioSource(
      enabled,
      sampleRate,
      channels,
      sourceNumberOrLocalPlayback,
      localPlaybackOrPublish,
      publish,
    );
  }

  setExternalAudioSink(enabled: boolean, sampleRate: number, channels: number): number {
    return this.#engine.setExternalAudioSink(enabled, sampleRate, channels);
  }

  createCustomAudioTrack(trackType: AudioTrackType, config?: AudioTrackConfig): number {
    return this.#engine.createCustomAudioTrack(trackType, config);
  }

  destroyCustomAudioTrack(trackId: number): number {
    return this.#engine.destroyCustomAudioTrack(trackId);
  }

  enableCustomAudioLocalPlayback(trackId: number, enabled: boolean): number {
    return this.#engine.enableCustomAudioLocalPlayback(trackId, enabled);
  }

  release(): void {
    // The media engine lives and dies with its RtcEngine.
  }
}
