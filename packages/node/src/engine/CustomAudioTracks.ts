import { ErrorCode } from '@patchbay/protocol';
import { EchoCanceller, audioProcessingInfo } from '../audio/EchoCanceller.js';
import { NoiseSuppressor } from '../audio/NoiseSuppressor.js';
import { checkAudioFormat } from '../audio/pcm.js';
import { PatchbayError } from '../errors.js';
import type { LocalAudioMixer, LocalMixerRoute } from '../LocalAudioMixer.js';
import { PcmAudioTrack } from '../PcmAudioTrack.js';
import {
  CUSTOM_TRACK_ID_BASE,
  MAX_SOURCE_NUMBER,
  type ResolvedChannelMediaOptions,
} from './engineDefaults.js';
import { AudioExternalSourcePosition, AudioTrackType } from './enums.js';
import type { AudioTrackConfig } from './types.js';

/** One custom audio track of the engine. */
export interface CustomTrack {
  readonly id: number;
  readonly type: AudioTrackType;
  readonly position: AudioExternalSourcePosition;
  readonly bufferMs: number;
  localPlayback: boolean;
  /** setExternalAudioSource's `publish`; createCustomAudioTrack tracks publish. */
  publish: boolean;
  /** 0..100. */
  publishVolume: number;
  playoutVolume: number;
  /** Created with the first push's format (or the config's). */
  pcm: PcmAudioTrack | null;
  /** The "before processing" position's processor: the APM (AEC, AGC, NS) when built, else RNNoise. */
  suppressor: EchoCanceller | NoiseSuppressor | null;
  route: LocalMixerRoute | null;
}

/** Which tracks are sent, decided by the engine from its channel media options. */
export interface SendPolicy {
  /** False while not joined as a broadcaster with publishCustomAudioTrack. */
  publishing: boolean;
  selectedTrackId: number | undefined;
}

const POSITIONS = new Set<unknown>(
  Object.values(AudioExternalSourcePosition).filter((v) => typeof v === 'number'),
);

/**
 * The engine's custom audio tracks by trackId: creating and destroying them, checking and
 * converting what is pushed to them, and routing them through the client's LocalAudioMixer
 * (sent or not, played locally or not, volumes, noise suppression).
 */
export class CustomAudioTracks {
  readonly #tracks = new Map<number, CustomTrack>();
  readonly #mixer: () => LocalAudioMixer;
  readonly #onDrain: (trackId: number) => void;
  #nextId = CUSTOM_TRACK_ID_BASE;
  #policy: SendPolicy = { publishing: false, selectedTrackId: undefined };
  /** Ids setExternalAudioSource() created. */
  #externalIds: number[] = [];
  /** False after leaveChannel(), until the next joinChannel(): pushes then fail. */
  acceptingPushes = true;

  constructor(mixer: () => LocalAudioMixer, onDrain: (trackId: number) => void) {
    this.#mixer = mixer;
    this.#onDrain = onDrain;
  }

  get size(): number {
    return this.#tracks.size;
  }

  /** Adds a track; `id` defaults to the next free id from CUSTOM_TRACK_ID_BASE. */
  create(type: AudioTrackType, config: AudioTrackConfig, bufferMs: number, id?: number): CustomTrack {
    if (type !== AudioTrackType.AudioTrackMixable && type !== AudioTrackType.AudioTrackDirect) {
      throw PatchbayError.invalidParams(
        `trackType must be AudioTrackMixable (0) or AudioTrackDirect (1), got ${String(type)}`,
      );
    }
    if (typeof config !== 'object' || config === null)
      throw PatchbayError.invalidParams('AudioTrackConfig must be an object');
    const processing = config.enableAudioProcessing === true;
    const position =
      config.position ??
      (processing
        ? AudioExternalSourcePosition.AudioExternalRecordSourcePreProcess
        : AudioExternalSourcePosition.AudioExternalRecordSourcePostProcess);
    if (!POSITIONS.has(position))
      throw PatchbayError.invalidParams(`unknown AudioExternalSourcePosition ${String(position)}`);
    const trackBufferMs = config.bufferMs ?? bufferMs;
    if (
      !Number.isFinite(trackBufferMs) ||
      (trackBufferMs !== 0 && (trackBufferMs < 10 || trackBufferMs > 60000))
    ) {
      throw PatchbayError.invalidParams(
        `bufferMs must be 0 (synchronous) or 10..60000 ms, got ${String(config.bufferMs)}`,
      );
    }
    const trackId = id ?? this.#nextId++;
    const track: CustomTrack = {
      id: trackId,
      type,
      position,
      bufferMs: trackBufferMs,
      localPlayback: config.enableLocalPlayback ?? true,
      publish: true,
      publishVolume: 100,
      playoutVolume: 100,
      pcm: null,
      suppressor: null,
      route: null,
    };
    if (config.sampleRate !== undefined || config.channels !== undefined) {
      this.#createPcm(track, config.sampleRate ?? 48000, config.channels ?? 1);
    }
    this.#tracks.set(trackId, track);
    if (position === AudioExternalSourcePosition.AudioExternalRecordSourcePreProcess) {
      void this.#loadSuppressor(track);
    }
    this.applyRouting();
    return track;
  }

  /** @throws PatchbayError INVALID_TRACK_ID */
  get(trackId: unknown): CustomTrack {
    const track = typeof trackId === 'number' ? this.#tracks.get(trackId) : undefined;
    if (!track) {
      const known = [...this.#tracks.keys()].join(', ') || 'none';
      throw new PatchbayError(
        ErrorCode.INVALID_TRACK_ID,
        `no custom audio track ${String(trackId)} (tracks: ${known}); use an id from createCustomAudioTrack() or setExternalAudioSource()`,
      );
    }
    return track;
  }

  has(trackId: number): boolean {
    return this.#tracks.has(trackId);
  }

  all(): IterableIterator<CustomTrack> {
    return this.#tracks.values();
  }

  /** setExternalAudioSource() in its three forms (see RtcEngine); replaces the tracks it made before. */
  setExternalSource(
    enabled: boolean,
    sampleRate: number,
    channels: number,
    sourceNumberOrLocalPlayback: number | boolean | undefined,
    localPlaybackOrPublish: boolean | undefined,
    publish: boolean | undefined,
    bufferMs: number,
  ): void {
    for (const id of this.#externalIds) if (this.#tracks.has(id)) this.destroy(id);
    this.#externalIds = [];
    if (!enabled) return;
    const v40 = typeof sourceNumberOrLocalPlayback === 'number';
    const count = v40 ? sourceNumberOrLocalPlayback : 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_SOURCE_NUMBER) {
      throw PatchbayError.invalidParams(`sourceNumber must be 1..${MAX_SOURCE_NUMBER}, got ${String(count)}`);
    }
    checkAudioFormat(sampleRate, channels);
    const localPlayback = (v40 ? localPlaybackOrPublish : sourceNumberOrLocalPlayback) === true;
    const doPublish = (v40 ? publish : localPlaybackOrPublish) !== false;
    const config: AudioTrackConfig = {
      enableLocalPlayback: localPlayback,
      sampleRate,
      channels: channels as 1 | 2,
    };
    for (let id = 0; id < count; id++) {
      if (this.#tracks.has(id)) this.destroy(id);
      this.create(AudioTrackType.AudioTrackMixable, config, bufferMs, id).publish = doPublish;
      this.#externalIds.push(id);
    }
    this.applyRouting();
  }

  /** Agora's rule: a Direct track replaces the microphone, so publishMicrophoneTrack must be false. */
  checkChannelMediaOptions(options: ResolvedChannelMediaOptions): void {
    const id = options.publishCustomAudioTrackId;
    if (
      id !== undefined &&
      this.get(id).type === AudioTrackType.AudioTrackDirect &&
      options.publishMicrophoneTrack
    ) {
      throw PatchbayError.invalidParams(
        'a Direct custom track replaces the microphone: set publishMicrophoneTrack to false',
      );
    }
    const role = options.clientRoleType as number;
    if (role !== 1 && role !== 2)
      throw PatchbayError.invalidParams(`clientRoleType must be 1 or 2, got ${String(role)}`);
  }

  /** Sets a track's publish or playout volume, 0..100. */
  setVolume(trackId: number, which: 'publishVolume' | 'playoutVolume', volume: number): void {
    const track = this.get(trackId);
    if (!Number.isFinite(volume) || volume < 0 || volume > 100) {
      throw PatchbayError.invalidParams(`volume must be 0..100, got ${String(volume)}`);
    }
    track[which] = volume;
    this.applyRouting();
  }

  destroy(trackId: number): void {
    const track = this.get(trackId);
    this.#tracks.delete(trackId);
    this.#externalIds = this.#externalIds.filter((id) => id !== trackId);
    if (track.pcm) {
      this.#mixer().remove(track.pcm);
      track.pcm.close();
    }
    track.suppressor?.destroy();
    this.applyRouting();
  }

  destroyAll(): void {
    for (const id of [...this.#tracks.keys()]) this.destroy(id);
  }

  /**
   * Checks and queues PCM for a track (see RtcEngine.pushExternalAudioFrame for the rules).
   * @throws PatchbayError INVALID_TRACK_ID, UNSUPPORTED_AUDIO_FORMAT, INVALID_PCM_TYPE, INVALID_PCM_LENGTH, INVALID_PCM_VALUE, INVALID_PARAMS (timestamp).
   */
  push(
    trackId: unknown,
    data: unknown,
    sampleRate: unknown,
    channels: unknown,
    bytesPerSample: unknown,
    samplesPerChannel: unknown,
    timestamp: unknown,
  ): Promise<void> {
    if (!this.acceptingPushes) {
      throw new PatchbayError(
        ErrorCode.EXTERNAL_SOURCE_NOT_ENABLED,
        'push after leaveChannel(): join a channel again first',
      );
    }
    if (
      typeof trackId === 'number' &&
      trackId < CUSTOM_TRACK_ID_BASE &&
      !this.#tracks.has(trackId) &&
      this.#externalIds.length === 0
    ) {
      throw new PatchbayError(
        ErrorCode.EXTERNAL_SOURCE_NOT_ENABLED,
        `push to track ${trackId} before setExternalAudioSource(true, sampleRate, channels) or createCustomAudioTrack()`,
      );
    }
    const track = this.get(trackId);
    checkAudioFormat(sampleRate, channels, bytesPerSample === 4 ? 2 : bytesPerSample);
    const rate = sampleRate as number;
    const ch = channels as 1 | 2;
    const bps = bytesPerSample as 2 | 4;
    if (timestamp !== undefined && timestamp !== null) {
      const ok =
        typeof timestamp === 'bigint' ||
        (typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp >= 0);
      if (!ok) {
        throw PatchbayError.invalidParams(
          `timestamp must be a finite number of ms >= 0 (or 0 / omitted), got ${String(timestamp)}`,
        );
      }
    }
    const pcm = viewPcm(data, bps);
    if (samplesPerChannel !== undefined) {
      if (!Number.isInteger(samplesPerChannel) || (samplesPerChannel as number) <= 0) {
        throw new PatchbayError(
          ErrorCode.INVALID_PCM_LENGTH,
          `samplesPerChannel must be a positive integer, got ${String(samplesPerChannel)}`,
        );
      }
      const want = (samplesPerChannel as number) * ch * bps;
      if (pcm.byteLength !== want) {
        throw new PatchbayError(
          ErrorCode.INVALID_PCM_LENGTH,
          `buffer holds ${pcm.byteLength} bytes but samplesPerChannel ${String(samplesPerChannel)} x channels ${ch} x bytesPerSample ${bps} = ${want}`,
        );
      }
    }
    if (track.pcm && (track.pcm.sampleRate !== rate || track.pcm.channels !== ch)) {
      throw new PatchbayError(
        ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
        `track ${track.id} takes ${track.pcm.sampleRate} Hz ${track.pcm.channels}-channel PCM (fixed by its first push); got ${rate} Hz ${ch}-channel. Use another track for another format.`,
      );
    }
    // Validate fully before creating the track, so a bad first push leaves nothing behind.
    if (!track.pcm) {
      const probe = pcm instanceof Float32Array ? pcm.length : pcm.byteLength / 2;
      if (probe === 0 || probe % ch !== 0) {
        throw new PatchbayError(
          ErrorCode.INVALID_PCM_LENGTH,
          `PCM of ${probe} samples is not a whole, non-zero number of ${ch}-channel frames`,
        );
      }
      this.#createPcm(track, rate, ch);
      this.applyRouting();
    }
    return (track.pcm as PcmAudioTrack).push(pcm);
  }

  /** Sets which tracks are sent, then re-routes. */
  setPolicy(policy: SendPolicy): void {
    this.#policy = policy;
    this.applyRouting();
  }

  /** Recomputes every track's route in the mixer from the tracks' settings and the send policy. */
  applyRouting(): void {
    const { publishing, selectedTrackId } = this.#policy;
    const selected = selectedTrackId === undefined ? undefined : this.#tracks.get(selectedTrackId);
    const direct = selected?.type === AudioTrackType.AudioTrackDirect ? selected : undefined;
    const mixer = this.#mixer();
    for (const t of this.#tracks.values()) {
      if (!t.pcm) continue;
      const playoutOnly = t.position === AudioExternalSourcePosition.AudioExternalPlayoutSource;
      const send =
        publishing &&
        !playoutOnly &&
        (direct
          ? t === direct
          : t.type === AudioTrackType.AudioTrackMixable && (t.publish || t === selected));
      t.route = mixer.add(t.pcm, {
        send,
        playback: playoutOnly || t.localPlayback,
        sendGain: t.publishVolume / 100,
        playbackGain: t.playoutVolume / 100,
        processor:
          t.position === AudioExternalSourcePosition.AudioExternalRecordSourcePreProcess
            ? t.suppressor
            : null,
      });
    }
    mixer.updateChannels();
  }

  #createPcm(track: CustomTrack, sampleRate: number, channels: number): void {
    const pcm = new PcmAudioTrack({ sampleRate, channels: channels as 1 | 2, bufferMs: track.bufferMs });
    pcm.on('drain', () => this.#onDrain(track.id));
    track.pcm = pcm;
    if (track.position === AudioExternalSourcePosition.AudioExternalRecordSourcePreProcess)
      void this.#loadSuppressor(track);
  }

  async #loadSuppressor(track: CustomTrack): Promise<void> {
    if (!track.pcm || track.suppressor) return;
    if (audioProcessingInfo().engine === 'apm') {
      // libwebrtc's APM (AEC against what this app plays, NS, AGC), then RNNoise once it is loaded.
      const canceller = new EchoCanceller(track.pcm.channels);
      track.suppressor = canceller;
      this.applyRouting();
      const rnnoise = await NoiseSuppressor.create(canceller.channels);
      if (track.suppressor === canceller && this.#tracks.has(track.id)) canceller.postFilter = rnnoise;
      else rnnoise.destroy();
      return;
    }
    const suppressor = await NoiseSuppressor.create(track.pcm.channels);
    if (!this.#tracks.has(track.id) || track.suppressor) {
      suppressor.destroy();
      return;
    }
    track.suppressor = suppressor;
    this.applyRouting();
  }
}

/** Views pushed data as 16-bit bytes/Int16Array, or as a Float32Array for bytesPerSample 4. */
function viewPcm(data: unknown, bytesPerSample: 2 | 4): Uint8Array | Int16Array | Float32Array {
  if (bytesPerSample === 2) {
    if (data instanceof Uint8Array || data instanceof Int16Array) return data;
    throw new PatchbayError(
      ErrorCode.INVALID_PCM_TYPE,
      `16-bit PCM must be a Buffer, Uint8Array or Int16Array; got ${describe(data)}`,
    );
  }
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint8Array) {
    if (data.byteLength % 4 !== 0) {
      throw new PatchbayError(
        ErrorCode.INVALID_PCM_LENGTH,
        `float PCM byte length ${data.byteLength} is not a multiple of 4`,
      );
    }
    if (data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
    return new Float32Array(Uint8Array.prototype.slice.call(data).buffer);
  }
  throw new PatchbayError(
    ErrorCode.INVALID_PCM_TYPE,
    `float PCM (bytesPerSample 4) must be a Float32Array or its bytes; got ${describe(data)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
