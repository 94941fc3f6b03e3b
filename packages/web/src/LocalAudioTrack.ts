import { PatchbayError, TypedEmitter } from '@patchbay/client';
import {
  type AudioFrameCallback,
  analyserLevel,
  audioContext,
  checkVolume,
  ensureRunning,
  FrameTap,
} from './audio.js';
import { mediaError } from './errors.js';
import {
  type AudioEncoderConfiguration,
  type AudioEncoderConfigurationPreset,
  resolveEncoderConfig,
} from './encoderConfig.js';

export type LocalTrackEvents = {
  'track-ended': [];
  'track-updated': [track: MediaStreamTrack];
  /** Buffer source tracks only. */
  'source-state-change': [state: 'stopped' | 'playing' | 'paused'];
};

let nextTrackId = 1;

/**
 * A local audio track: the source MediaStreamTrack runs through
 * source → GainNode (setVolume) → GainNode (mute/enable) → MediaStreamAudioDestinationNode,
 * and the destination's track is what is published. play() monitors it locally.
 */
export class LocalAudioTrack extends TypedEmitter<LocalTrackEvents> {
  readonly trackMediaType = 'audio' as const;
  readonly #trackId = `track-${Date.now().toString(36)}-${nextTrackId++}`;
  #source: MediaStreamTrack | null;
  readonly #label: string;
  readonly #ctx: AudioContext;
  #sourceNode: AudioNode;
  readonly #volumeNode: GainNode;
  readonly #sendNode: GainNode;
  readonly #destination: MediaStreamAudioDestinationNode;
  readonly #analyser: AnalyserNode;
  readonly #scratch: Float32Array<ArrayBuffer>;
  readonly #encoder: Required<Omit<AudioEncoderConfiguration, 'sampleSize'>>;
  readonly #closeListeners = new Set<(track: LocalAudioTrack) => void>();
  readonly #muteListeners = new Set<() => void>();
  #volume = 100;
  #muted = false;
  #enabled = true;
  #playing = false;
  #closed = false;
  #tap: FrameTap | null = null;
  readonly #onEnded = (): void => this.emit('track-ended');

  /**
   * @internal use createCustomAudioTrack(), createMicrophoneAudioTrack() or createBufferSourceAudioTrack().
   * `source` is an audio MediaStreamTrack, or a node of the page's shared AudioContext (getAudioContext()).
   */
  constructor(
    source: MediaStreamTrack | AudioNode,
    encoderConfig?: AudioEncoderConfiguration | AudioEncoderConfigurationPreset,
    label?: string,
  ) {
    super();
    const isTrack = typeof MediaStreamTrack !== 'undefined' && source instanceof MediaStreamTrack;
    const isNode = typeof AudioNode !== 'undefined' && source instanceof AudioNode;
    if (!(isTrack && (source as MediaStreamTrack).kind === 'audio') && !isNode) {
      throw PatchbayError.invalidParams('mediaStreamTrack must be an audio MediaStreamTrack');
    }
    this.#encoder = resolveEncoderConfig(encoderConfig);
    const ctx = audioContext();
    this.#ctx = ctx;
    if (isNode && (source as AudioNode).context !== ctx) {
      throw PatchbayError.invalidParams('an AudioNode source must belong to getAudioContext()');
    }
    this.#volumeNode = ctx.createGain();
    this.#sendNode = ctx.createGain();
    const channels = this.#encoder.stereo ? 2 : 1;
    this.#destination = ctx.createMediaStreamDestination();
    this.#destination.channelCount = channels;
    this.#analyser = ctx.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#scratch = new Float32Array(this.#analyser.fftSize);
    if (isTrack) {
      const track = source as MediaStreamTrack;
      this.#source = track;
      this.#label = label ?? track.label;
      this.#sourceNode = ctx.createMediaStreamSource(new MediaStream([track]));
      track.addEventListener('ended', this.#onEnded);
    } else {
      this.#source = null;
      this.#label = label ?? 'AudioNode';
      this.#sourceNode = source as AudioNode;
    }
    this.#sourceNode.connect(this.#volumeNode);
    this.#volumeNode.connect(this.#sendNode);
    this.#sendNode.connect(this.#destination);
    this.#sendNode.connect(this.#analyser);
    ensureRunning();
  }

  /** @internal swaps the source MediaStreamTrack (microphone setDevice); returns the old one. */
  protected replaceSource(track: MediaStreamTrack): MediaStreamTrack | null {
    const old = this.#source;
    old?.removeEventListener('ended', this.#onEnded);
    this.#sourceNode.disconnect();
    this.#source = track;
    this.#sourceNode = this.#ctx.createMediaStreamSource(new MediaStream([track]));
    this.#sourceNode.connect(this.#volumeNode);
    track.addEventListener('ended', this.#onEnded);
    this.emit('track-updated', this.getMediaStreamTrack());
    return old;
  }

  getTrackId(): string {
    return this.#trackId;
  }

  /** The processed track (after volume and mute): what remote users receive. */
  getMediaStreamTrack(): MediaStreamTrack {
    return this.#destination.stream.getAudioTracks()[0];
  }

  /** The track given to createCustomAudioTrack() or opened by createMicrophoneAudioTrack() (null for a buffer source). */
  getSourceMediaStreamTrack(): MediaStreamTrack | null {
    return this.#source;
  }

  /** Patchbay has no RTCRtpTransceiver per track (tracks are mixed); always undefined. */
  getRTCRtpTransceiver(): undefined {
    return undefined;
  }

  getTrackLabel(): string {
    return this.#source?.label ?? this.#label;
  }

  get isPlaying(): boolean {
    return this.#playing;
  }
  get muted(): boolean {
    return this.#muted;
  }
  get enabled(): boolean {
    return this.#enabled;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** The resolved encoder configuration (sample rate, stereo, bitrate in Kbps). */
  get encoderConfig(): Readonly<Required<Omit<AudioEncoderConfiguration, 'sampleSize'>>> {
    return this.#encoder;
  }

  /** 0..1000; 100 keeps the original level. Affects what remote users hear and the local monitor. */
  setVolume(volume: number): void {
    this.#volume = checkVolume(volume, 1000);
    this.#volumeNode.gain.setValueAtTime(volume / 100, this.#ctx.currentTime);
  }

  getVolume(): number {
    return this.#volume;
  }

  /** The level of what is sent now, 0..1 (RMS; about 0.7 for a full-scale tone, 0 when muted). */
  getVolumeLevel(): number {
    return this.#closed ? 0 : analyserLevel(this.#analyser, this.#scratch);
  }

  /** Muted tracks send silence: remote users hear nothing until setMuted(false). */
  async setMuted(muted: boolean): Promise<void> {
    if (typeof muted !== 'boolean') throw PatchbayError.invalidParams('setMuted() takes a boolean');
    const changed = this.#muted !== muted;
    this.#muted = muted;
    this.#applySendGain();
    if (changed) for (const listener of [...this.#muteListeners]) listener();
  }

  /** Disabled tracks send silence and stop their local playback until enabled again. */
  async setEnabled(enabled: boolean): Promise<void> {
    if (typeof enabled !== 'boolean') throw PatchbayError.invalidParams('setEnabled() takes a boolean');
    if (this.#closed && enabled) throw PatchbayError.invalidOperation('the track is closed');
    this.#enabled = enabled;
    this.#applySendGain();
  }

  #applySendGain(): void {
    const gain = this.#muted || !this.#enabled ? 0 : 1;
    this.#sendNode.gain.setValueAtTime(gain, this.#ctx.currentTime);
  }

  /** Plays the track locally (monitor). `element` is accepted for API compatibility and ignored. */
  play(_element?: unknown): void {
    if (this.#closed) throw PatchbayError.invalidOperation('the track is closed');
    if (this.#playing) return;
    this.#sendNode.connect(this.#ctx.destination);
    this.#playing = true;
    ensureRunning();
  }

  stop(): void {
    if (!this.#playing) return;
    this.#playing = false;
    try {
      this.#sendNode.disconnect(this.#ctx.destination);
    } catch {
      // not connected
    }
  }

  /** Local playback always uses the page's default output in this version. */
  async setPlaybackDevice(_deviceId: string): Promise<void> {
    throw new PatchbayError('NOT_SUPPORTED', 'setPlaybackDevice() is not supported yet');
  }

  /**
   * Calls `callback` with each `frameSize` samples (per channel) of what is sent, as an AudioBuffer
   * of Float32 PCM. `null` removes it. frameSize ∈ 256, 512, ..., 16384; default 4096.
   */
  setAudioFrameCallback(callback: AudioFrameCallback | null, frameSize = 4096): void {
    this.#tap?.dispose();
    this.#tap = null;
    if (!callback) return;
    if (this.#closed) throw PatchbayError.invalidOperation('the track is closed');
    try {
      this.#tap = new FrameTap(this.#sendNode, callback, frameSize, this.#encoder.stereo ? 2 : 1);
    } catch (error) {
      throw PatchbayError.invalidParams((error as Error).message);
    }
  }

  /** Releases the track; it cannot be used again. A published track is unpublished. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stop();
    this.#tap?.dispose();
    this.#tap = null;
    this.#source?.removeEventListener('ended', this.#onEnded);
    this.#sourceNode.disconnect();
    this.#volumeNode.disconnect();
    this.#sendNode.disconnect();
    this.getMediaStreamTrack().stop();
    this.onClose();
    for (const listener of [...this.#closeListeners]) listener(this);
    this.#closeListeners.clear();
  }

  /** Subclasses release their own resources here (the microphone track stops its device). */
  protected onClose(): void {}

  /** @internal the node whose output is sent, for mixing several tracks into one */
  get _output(): AudioNode {
    return this.#sendNode;
  }

  /** @internal the client learns about close() to unpublish */
  /** @internal The publishing client learns of setMuted() changes, to tell the others. */
  _onMuteChanged(listener: () => void): () => void {
    this.#muteListeners.add(listener);
    return () => this.#muteListeners.delete(listener);
  }

  _onClosed(listener: (track: LocalAudioTrack) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }
}

/** A track opened by createMicrophoneAudioTrack(); close() releases the microphone. */
export class MicrophoneAudioTrack extends LocalAudioTrack {
  readonly #constraints: MediaTrackConstraints;

  /** @internal use createMicrophoneAudioTrack() */
  constructor(
    track: MediaStreamTrack,
    constraints: MediaTrackConstraints,
    encoderConfig?: AudioEncoderConfiguration | AudioEncoderConfigurationPreset,
  ) {
    super(track, encoderConfig);
    this.#constraints = constraints;
  }

  protected override onClose(): void {
    this.getSourceMediaStreamTrack()?.stop();
  }

  /** Switches to another microphone (a deviceId from getMicrophones()) without republishing. */
  async setDevice(deviceId: string): Promise<void> {
    if (typeof deviceId !== 'string' || deviceId === '') {
      throw PatchbayError.invalidParams('setDevice() takes a deviceId from getMicrophones()');
    }
    if (this.closed) throw PatchbayError.invalidOperation('the track is closed');
    if (this.getSourceMediaStreamTrack()?.getSettings().deviceId === deviceId) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { ...this.#constraints, deviceId: { exact: deviceId } },
      });
    } catch (error) {
      throw mediaError(error);
    }
    if (this.closed) {
      for (const t of stream.getTracks()) t.stop();
      throw PatchbayError.invalidOperation('the track was closed while switching devices');
    }
    this.replaceSource(stream.getAudioTracks()[0])?.stop();
  }
}
