import { PatchbayError, TypedEmitter } from '@patchbay/client';
import type { Uid } from '@patchbay/protocol';
import type { AudioEncoderConfigurationPreset } from '../encoderConfig.js';
import { mediaError } from '../errors.js';
import { LocalAudioTrack } from '../LocalAudioTrack.js';
import type { RemoteAudioTrack } from '../RemoteAudioTrack.js';

/** The v3 StreamSpec (audio only: `video` must be false, and video fields are ignored). */
export interface StreamSpec {
  streamID?: Uid;
  audio: boolean;
  video: boolean;
  screen?: boolean;
  /** A MediaStreamTrack to publish instead of the microphone (custom audio source). */
  audioSource?: MediaStreamTrack;
  microphoneId?: string;
  audioProcessing?: { AEC?: boolean; AGC?: boolean; ANS?: boolean };
  [key: string]: unknown;
}

/** What v3 passes to stream.init()'s failure callback. */
export interface StreamError {
  type: 'error';
  msg: string;
  info?: string;
}

type StreamEvents = {
  accessAllowed: [];
  accessDenied: [];
  audioTrackEnded: [];
  'player-status-change': [event: { type: 'player-status-change'; isErrorState: boolean; status: string }];
};

type Callback<A extends unknown[] = []> = ((...args: A) => void) | undefined | null;

/** A local track whose source can be swapped (v3 replaceTrack). */
class V3LocalTrack extends LocalAudioTrack {
  #ownsSource: boolean;
  constructor(source: MediaStreamTrack, ownsSource: boolean, preset: AudioEncoderConfigurationPreset) {
    super(source, preset);
    this.#ownsSource = ownsSource;
  }
  replace(track: MediaStreamTrack): void {
    const old = this.replaceSource(track);
    if (this.#ownsSource) old?.stop();
    this.#ownsSource = false;
  }
  protected override onClose(): void {
    if (this.#ownsSource) this.getSourceMediaStreamTrack()?.stop();
  }
}

const PROFILES: Record<string, AudioEncoderConfigurationPreset> = {
  speech_low_quality: 'speech_low_quality',
  speech_standard: 'speech_standard',
  music_standard: 'music_standard',
  standard_stereo: 'standard_stereo',
  high_quality: 'high_quality',
  high_quality_stereo: 'high_quality_stereo',
};

function call<A extends unknown[]>(cb: Callback<A>, ...args: A): void {
  if (typeof cb !== 'function') return;
  try {
    cb(...args);
  } catch (error) {
    console.error('[patchbay] v3 callback threw', error);
  }
}

/**
 * The v3 Stream: a local stream (createStream) wraps a LocalAudioTrack once init() succeeds; a
 * remote stream (from "stream-added") wraps the user's RemoteAudioTrack once subscribed.
 */
export class Stream extends TypedEmitter<StreamEvents> {
  readonly local: boolean;
  readonly #spec: StreamSpec;
  #id: Uid;
  #profile: AudioEncoderConfigurationPreset = 'music_standard';
  #track: LocalAudioTrack | null = null;
  #remote: RemoteAudioTrack | null = null;
  #playing = false;
  #playMuted = false;
  #volume = 100;
  #audioMuted = false;
  #closed = false;

  /** @internal use AgoraRTC.createStream(); remote streams come with "stream-added". */
  constructor(spec: StreamSpec, local: boolean, id?: Uid) {
    super();
    this.#spec = spec;
    this.local = local;
    this.#id = id ?? spec.streamID ?? Math.floor(Math.random() * 0xffffffff);
  }

  /** Opens the microphone, or wraps `audioSource`; ok() or err({ type, msg }). */
  init(onSuccess?: Callback, onFailure?: Callback<[StreamError]>): void {
    void this.#init().then(
      () => call(onSuccess),
      (error: PatchbayError) => call(onFailure, { type: 'error', msg: error.code, info: error.message }),
    );
  }

  async #init(): Promise<void> {
    if (!this.local) throw PatchbayError.invalidOperation('init() is for local streams');
    if (this.#track) throw PatchbayError.invalidOperation('the stream is already initialized');
    if (this.#closed) throw PatchbayError.invalidOperation('the stream is closed');
    const spec = this.#spec;
    if (spec.video || spec.screen) {
      throw new PatchbayError(
        'NOT_SUPPORTED',
        'Patchbay carries audio only: create the stream with video: false',
      );
    }
    if (!spec.audio) throw PatchbayError.invalidParams('the stream spec needs audio: true');
    if (spec.audioSource !== undefined) {
      if (!(spec.audioSource instanceof MediaStreamTrack) || spec.audioSource.kind !== 'audio') {
        throw PatchbayError.invalidParams('audioSource must be an audio MediaStreamTrack');
      }
      this.#adopt(new V3LocalTrack(spec.audioSource, false, this.#profile));
      return;
    }
    if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
      throw new PatchbayError(
        'NOT_SUPPORTED',
        'this page cannot open a microphone (it needs https or localhost)',
      );
    }
    const p = spec.audioProcessing ?? {};
    const constraints: MediaTrackConstraints = {
      echoCancellation: p.AEC ?? true,
      autoGainControl: p.AGC ?? true,
      noiseSuppression: p.ANS ?? true,
    };
    if (spec.microphoneId) constraints.deviceId = { exact: spec.microphoneId };
    let media: MediaStream;
    try {
      media = await navigator.mediaDevices.getUserMedia({ audio: constraints, video: false });
    } catch (error) {
      this.emit('accessDenied');
      throw mediaError(error);
    }
    this.emit('accessAllowed');
    this.#adopt(new V3LocalTrack(media.getAudioTracks()[0], true, this.#profile));
  }

  #adopt(track: LocalAudioTrack): void {
    this.#track = track;
    track.on('track-ended', () => this.emit('audioTrackEnded'));
    if (this.#volume !== 100) track.setVolume(this.#volume);
    if (this.#audioMuted) void track.setMuted(true);
  }

  /** The stream id: the uid for remote streams (and for local ones once published). */
  getId(): Uid {
    return this.#id;
  }

  /** Plays a remote stream's audio (`elementId` is accepted; Patchbay renders no video). A local stream is not played back, to avoid echo. */
  play(
    _elementId?: string,
    options?: { muted?: boolean; fit?: string } | Callback<[unknown]>,
    cb?: Callback<[unknown]>,
  ): void {
    const done = typeof options === 'function' ? options : cb;
    const opts = typeof options === 'object' && options !== null ? options : {};
    this.#playing = true;
    this.#playMuted = opts.muted === true;
    this.#applyPlayback();
    call(done, null);
  }

  stop(): void {
    this.#playing = false;
    this.#applyPlayback();
  }

  isPlaying(): boolean {
    return this.#playing;
  }

  /** Local: stops the source and releases the track. Remote: stops playback. */
  close(): void {
    this.stop();
    if (this.local) {
      this.#closed = true;
      this.#track?.close();
      this.#track = null;
    }
  }

  /** Local: sends silence. Remote: stops hearing this stream here. Returns whether the state changed. */
  muteAudio(): boolean {
    return this.#setAudioMuted(true);
  }
  unmuteAudio(): boolean {
    return this.#setAudioMuted(false);
  }
  disableAudio(): boolean {
    return this.#setAudioMuted(true);
  }
  enableAudio(): boolean {
    return this.#setAudioMuted(false);
  }

  #setAudioMuted(muted: boolean): boolean {
    if (this.#audioMuted === muted) return false;
    this.#audioMuted = muted;
    if (this.local) void this.#track?.setMuted(muted);
    else this.#applyPlayback();
    return true;
  }

  /** Whether audio is muted by muteAudio(). */
  get audioMuted(): boolean {
    return this.#audioMuted;
  }

  /** 0..1: what a local stream sends, or what a remote one receives. */
  getAudioLevel(): number {
    if (this.local) return this.#track?.getVolumeLevel() ?? 0;
    return this.#remote?.getVolumeLevel() ?? 0;
  }

  /** 0..100. Local: the level sent. Remote: the playback level here. */
  setAudioVolume(volume: number): void {
    if (typeof volume !== 'number' || !Number.isFinite(volume) || volume < 0 || volume > 100) {
      throw PatchbayError.invalidParams(`volume must be 0..100, got ${String(volume)}`);
    }
    this.#volume = volume;
    if (this.local) this.#track?.setVolume(volume);
    else this.#remote?.setVolume(volume);
  }

  /** The audio MediaStreamTrack: a local stream's processed track (what is sent), or the received one. */
  getAudioTrack(): MediaStreamTrack | undefined {
    if (this.local) return this.#track?.getMediaStreamTrack();
    return this.#remote?.getMediaStreamTrack();
  }

  getVideoTrack(): undefined {
    return undefined;
  }

  hasAudio(): boolean {
    return this.local ? this.#track !== null : this.#remote !== null;
  }

  hasVideo(): boolean {
    return false;
  }

  /** Swaps the local source for another audio MediaStreamTrack without republishing. */
  replaceTrack(track: MediaStreamTrack, onSuccess?: Callback, onFailure?: Callback<[string]>): void {
    if (!this.local || !(this.#track instanceof V3LocalTrack)) {
      call(onFailure, 'INVALID_OPERATION');
      return;
    }
    if (!(track instanceof MediaStreamTrack) || track.kind !== 'audio') {
      call(onFailure, 'INVALID_PARAMS');
      return;
    }
    this.#track.replace(track);
    call(onSuccess);
  }

  /** One of the v3 audio profiles; call it before init(). */
  setAudioProfile(profile: string): void {
    const preset = PROFILES[profile];
    if (!preset) throw PatchbayError.invalidParams(`unknown audio profile "${profile}"`);
    this.#profile = preset;
  }

  /** @internal the local track (published by the client) */
  get _localTrack(): LocalAudioTrack | null {
    return this.#track;
  }

  /** @internal set once the client publishes (the id becomes the uid) */
  _setId(id: Uid): void {
    this.#id = id;
  }

  /** @internal the client subscribed (track) or the subscription ended (null) */
  _setRemote(track: RemoteAudioTrack | null): void {
    if (this.#remote && this.#remote !== track) this.#remote.stop();
    this.#remote = track;
    if (track && this.#volume !== 100) track.setVolume(this.#volume);
    this.#applyPlayback();
  }

  #applyPlayback(): void {
    const remote = this.#remote;
    if (this.local || !remote || remote.released) return;
    if (this.#playing && !this.#playMuted && !this.#audioMuted) remote.play();
    else remote.stop();
  }
}
