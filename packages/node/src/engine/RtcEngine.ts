import { ErrorCode } from '@patchbay/protocol';
import { type AudioProcessingInfo, audioProcessingInfo } from '../audio/EchoCanceller.js';
import { PatchbayError } from '../errors.js';
import { NodeClient } from '../NodeClient.js';
import type { PcmAudioTrack } from '../PcmAudioTrack.js';
import { AudioFrameObservers } from './AudioFrameObservers.js';
import { ChannelController } from './ChannelController.js';
import { CustomAudioTracks } from './CustomAudioTracks.js';
import { EngineEvents } from './EngineEvents.js';
import { type ResolvedRtcEngineContext, resolveRtcEngineContext } from './engineDefaults.js';
import { AudioTrackType, ClientRoleType } from './enums.js';
import { MediaEngine } from './MediaEngine.js';
import type {
  AudioFrame,
  AudioTrackConfig,
  ChannelMediaOptions,
  IAudioFrameObserver,
  IRtcEngineEventHandler,
  RtcEngineContext,
} from './types.js';
import { VolumeIndicator } from './VolumeIndicator.js';

type State = 'uninitialized' | 'ready' | 'released';

/**
 * The native-style engine: Agora Electron SDK 4.x names and argument order over the Node SDK's
 * NodeClient (signaling, publish, subscribe), its LocalAudioMixer (custom tracks, mixed into
 * the one published source) and its remote-audio mixer (playback, sink, observers).
 *
 * Return values: setters return 0 like the native SDK; bad input throws a PatchbayError with a
 * stable code instead of returning a negative number; pushes and channel calls return promises
 * (await a push for back-pressure).
 */
export class RtcEngine {
  #state: State = 'uninitialized';
  #context: ResolvedRtcEngineContext | null = null;
  #client: NodeClient | null = null;
  #tracks: CustomAudioTracks | null = null;
  readonly #events = new EngineEvents();
  readonly #observers = new AudioFrameObservers();
  readonly #mediaEngine = new MediaEngine(this);
  #volume: VolumeIndicator | null = null;
  #controller: ChannelController | null = null;

  // ---- lifecycle ----

  /** Sets the engine up (once). @returns 0 */
  initialize(context: RtcEngineContext): number {
    if (this.#state === 'released') throw this.#notInitialized();
    if (this.#state !== 'uninitialized')
      throw PatchbayError.invalidOperation('initialize() was already called');
    const ctx = resolveRtcEngineContext(context);
    this.#context = ctx;
    const client = new NodeClient({
      server: ctx.server,
      requestTimeoutMs: ctx.requestTimeoutMs,
      mixedAudioChannels: 2,
    });
    this.#client = client;
    this.#tracks = new CustomAudioTracks(
      () => client.localAudioMixer,
      (id) => this.#events.emit('onCustomAudioTrackDrain', id),
    );
    const controller = new ChannelController(
      client,
      this.#tracks,
      this.#observers,
      this.#events,
      () => this.#volume,
      ctx.appId,
    );
    this.#controller = controller;
    this.#events.attach(
      client,
      this.#observers,
      () => this.#volume,
      () => controller.options.autoSubscribeAudio,
      () => controller.token,
    );
    client.addToMixedAudio(client.localAudioMixer.playbackSource);
    this.#state = 'ready';
    return 0;
  }

  /** Leaves (without waiting), destroys every track and frees the engine; it cannot be used again. */
  release(_sync = false): void {
    if (this.#state === 'released') return;
    const client = this.#client;
    this.#controller?.stopLocal();
    this.#tracks?.destroyAll();
    this.#observers.destroy();
    this.#volume?.stop();
    this.#state = 'released';
    void client?.leave().finally(() => client.localAudioMixer.close());
  }

  registerEventHandler(handler: IRtcEngineEventHandler): boolean {
    this.#events.add(handler);
    return true;
  }

  unregisterEventHandler(handler: IRtcEngineEventHandler): boolean {
    return this.#events.remove(handler);
  }

  getMediaEngine(): MediaEngine {
    return this.#mediaEngine;
  }

  /**
   * Patchbay: the processing the "before processing" position runs here: libwebrtc's APM (AEC
   * against what this app plays, AGC, NS) when @patchbay/apm is built, else RNNoise only.
   */
  getAudioProcessing(): AudioProcessingInfo {
    return audioProcessingInfo();
  }

  /** The NodeClient under the engine (Web-SDK-style API, stats), or null before initialize(). */
  get client(): NodeClient | null {
    return this.#client;
  }

  // ---- channel ----

  /**
   * Joins a channel and, as a broadcaster, publishes the custom tracks the options select.
   * Resolves after onJoinChannelSuccess; failures reject (and go to onError).
   * @param uid - 0 lets the server assign one.
   */
  joinChannel(
    token: string,
    channelId: string,
    uid: number,
    options: ChannelMediaOptions = {},
  ): Promise<void> {
    return this.#channel().join(token, channelId, uid, options);
  }

  /** Changes what is published (publishCustomAudioTrack, publishCustomAudioTrackId, clientRoleType, ...) mid-call. */
  updateChannelMediaOptions(options: ChannelMediaOptions): Promise<void> {
    return this.#channel().update(options);
  }

  /** Replaces the token without leaving (on onTokenPrivilegeWillExpire). Needs a server with token support. */
  renewToken(token: string): Promise<void> {
    return this.#channel().renewToken(token);
  }

  /** As updateChannelMediaOptions({ clientRoleType: role }). @returns 0 */
  setClientRole(role: ClientRoleType): number {
    if (role !== ClientRoleType.ClientRoleBroadcaster && role !== ClientRoleType.ClientRoleAudience) {
      throw PatchbayError.invalidParams(
        `role must be ClientRoleBroadcaster (1) or ClientRoleAudience (2), got ${String(role)}`,
      );
    }
    void this.#channel()
      .update({ clientRoleType: role })
      .catch((e: unknown) => this.#events.reportError(e));
    return 0;
  }

  /** Accepted for compatibility (every profile behaves the same). @returns 0 */
  setChannelProfile(profile: number): number {
    void this.#channel().update({ channelProfile: profile });
    return 0;
  }

  /** Leaves the channel. Queued custom audio is dropped, and pushes fail until the next joinChannel(). */
  leaveChannel(_options?: object): Promise<void> {
    return this.#channel().leave();
  }

  /** Reports loudness every `interval` ms to onAudioVolumeIndication; interval <= 0 stops it. @returns 0 */
  enableAudioVolumeIndication(interval: number, smooth = 3, _reportVad = false): number {
    this.#require();
    this.#volume?.stop();
    this.#volume = null;
    if (interval > 0) {
      this.#volume = new VolumeIndicator(interval, smooth, (speakers, total) => {
        const connection = { channelId: this.#client?.channelName ?? '', localUid: 0 };
        this.#events.emit('onAudioVolumeIndication', connection, speakers, speakers.length, total);
      });
    }
    return 0;
  }

  // ---- custom audio sources ----

  /**
   * The external audio source, in the 3.x form `(enabled, sampleRate, channels)`, the 4.0/4.1 form
   * `(enabled, sampleRate, channels, sourceNumber, localPlayback = false, publish = true)` (tracks
   * 0..sourceNumber-1) and the 4.2+ form `(enabled, sampleRate, channels, localPlayback = false, publish = true)` (track 0).
   * These tracks are Mixable. Disabling destroys them. @returns 0
   */
  setExternalAudioSource(
    enabled: boolean,
    sampleRate: number,
    channels: number,
    sourceNumberOrLocalPlayback?: number | boolean,
    localPlaybackOrPublish?: boolean,
    publish?: boolean,
  ): number {
    this.#requireTracks().setExternalSource(
      enabled,
      sampleRate,
      channels,
      sourceNumberOrLocalPlayback,
      localPlaybackOrPublish,
      publish,
      this.#bufferMs(),
    );
    return 0;
  }

  /**
   * Creates a custom audio track and returns its trackId (ids start at 100). Mixable tracks are
   * mixed with each other; a Direct track selected by publishCustomAudioTrackId is sent alone.
   */
  createCustomAudioTrack(trackType: AudioTrackType, config: AudioTrackConfig = {}): number {
    return this.#requireTracks().create(trackType, config, this.#bufferMs()).id;
  }

  /** @returns 0 */
  destroyCustomAudioTrack(trackId: number): number {
    this.#requireTracks().destroy(trackId);
    return 0;
  }

  /**
   * Pushes PCM to a custom track (Android 4.x argument order). `data`: 16-bit little-endian
   * (Buffer, Uint8Array, Int16Array) or, with bytesPerSample 4, float -1..1 (Float32Array); any
   * whole number of frames (re-chunked to 10 ms). `timestamp` (ms) is optional (0 = none) and
   * never paces or reorders playout. Resolves when queued: await it for back-pressure.
   * @throws PatchbayError EXTERNAL_SOURCE_NOT_ENABLED (no source yet / after leaveChannel), INVALID_TRACK_ID,
   *   UNSUPPORTED_AUDIO_FORMAT, INVALID_PCM_TYPE, INVALID_PCM_LENGTH, INVALID_PCM_VALUE, INVALID_PARAMS. Nothing queued is lost.
   */
  pushExternalAudioFrame(
    data: Uint8Array | Int16Array | Float32Array,
    timestamp: number,
    sampleRate: number,
    channels: number,
    bytesPerSample = 2,
    trackId = 0,
  ): Promise<void> {
    return this.#push(trackId, data, sampleRate, channels, bytesPerSample, undefined, timestamp);
  }

  /** getMediaEngine().pushAudioFrame(): an AudioFrame whose buffer holds samplesPerChannel x channels x bytesPerSample bytes. */
  pushAudioFrame(frame: AudioFrame, trackId = 0): Promise<void> {
    if (typeof frame !== 'object' || frame === null)
      throw PatchbayError.invalidParams('pushAudioFrame() takes an AudioFrame');
    return this.#push(
      trackId,
      frame.buffer,
      frame.samplesPerSec,
      frame.channels,
      frame.bytesPerSample ?? 2,
      frame.samplesPerChannel,
      frame.renderTimeMs,
    );
  }

  /** Volume of what a track sends, 0..100. @returns 0 */
  adjustCustomAudioPublishVolume(trackId: number, volume: number): number {
    this.#requireTracks().setVolume(trackId, 'publishVolume', volume);
    return 0;
  }

  /** Volume of a track's local playback, 0..100. @returns 0 */
  adjustCustomAudioPlayoutVolume(trackId: number, volume: number): number {
    this.#requireTracks().setVolume(trackId, 'playoutVolume', volume);
    return 0;
  }

  /** @returns 0 */
  enableCustomAudioLocalPlayback(trackId: number, enabled: boolean): number {
    this.#track(trackId).localPlayback = enabled === true;
    this.#tracks?.applyRouting();
    return 0;
  }

  /** Patchbay: drops everything queued on a track at once. @returns the ms dropped. */
  clearBuffer(trackId = 0): number {
    return this.#track(trackId).pcm?.clearBuffer() ?? 0;
  }

  /** Patchbay: resolves when everything pushed to the track so far has been handed to the encoder. */
  waitForPlayout(trackId = 0): Promise<void> {
    return this.#track(trackId).pcm?.waitForPlayout() ?? Promise.resolve();
  }

  /** Patchbay: audio queued on a track, ms. */
  getQueuedDurationMs(trackId = 0): number {
    return this.#track(trackId).pcm?.queuedDurationMs ?? 0;
  }

  /** Patchbay: the PcmAudioTrack behind a trackId (stats, drain event), or null before its first push. */
  getCustomAudioTrack(trackId: number): PcmAudioTrack | null {
    return this.#track(trackId).pcm;
  }

  // ---- sink and observers ----

  /** What this app would play (remote users mixed + local playback), for pullAudioFrame(). Stops onPlaybackAudioFrame. @returns 0 */
  setExternalAudioSink(enabled: boolean, sampleRate: number, channels: number): number {
    this.#require();
    this.#observers.setSink(enabled === true, sampleRate, channels);
    return 0;
  }

  /** Fills `frame` (default 10 ms) from the sink. @returns 0 */
  pullAudioFrame(frame: AudioFrame): number {
    this.#require();
    const sink = this.#observers.sink;
    if (!sink) {
      throw new PatchbayError(
        ErrorCode.EXTERNAL_SINK_NOT_ENABLED,
        'pullAudioFrame() before setExternalAudioSink(true, sampleRate, channels)',
      );
    }
    return sink.pull(frame);
  }

  /** @returns 0 */
  registerAudioFrameObserver(observer: IAudioFrameObserver): number {
    this.#require();
    this.#observers.register(observer);
    return 0;
  }

  /** @returns 0 */
  unregisterAudioFrameObserver(_observer?: IAudioFrameObserver): number {
    this.#observers.register(null);
    return 0;
  }

  setRecordingAudioFrameParameters(
    sampleRate: number,
    channel: number,
    mode: number,
    samplesPerCall: number,
  ): number {
    this.#observers.setFormat('record', sampleRate, channel, samplesPerCall, mode);
    return 0;
  }

  setPlaybackAudioFrameParameters(
    sampleRate: number,
    channel: number,
    mode: number,
    samplesPerCall: number,
  ): number {
    this.#observers.setFormat('playback', sampleRate, channel, samplesPerCall, mode);
    return 0;
  }

  setMixedAudioFrameParameters(sampleRate: number, channel: number, samplesPerCall: number): number {
    this.#observers.setFormat('mixed', sampleRate, channel, samplesPerCall);
    return 0;
  }

  setPlaybackAudioFrameBeforeMixingParameters(
    sampleRate: number,
    channel: number,
    samplesPerCall?: number,
  ): number {
    this.#observers.setFormat(
      'beforeMixing',
      sampleRate,
      channel,
      samplesPerCall ?? (sampleRate / 100) * channel,
    );
    return 0;
  }

  // ---- internals ----

  #push(...args: Parameters<CustomAudioTracks['push']>): Promise<void> {
    return this.#requireTracks().push(...args);
  }

  #bufferMs(): number {
    return this.#context?.audioBufferMs ?? 200;
  }

  #track(trackId: number) {
    return this.#requireTracks().get(trackId);
  }

  #require(): NodeClient {
    if (this.#state === 'uninitialized' || this.#state === 'released' || !this.#client)
      throw this.#notInitialized();
    return this.#client;
  }

  #channel(): ChannelController {
    this.#require();
    return this.#controller as ChannelController;
  }

  #requireTracks(): CustomAudioTracks {
    this.#require();
    return this.#tracks as CustomAudioTracks;
  }

  #notInitialized(): PatchbayError {
    return new PatchbayError(
      ErrorCode.ENGINE_NOT_INITIALIZED,
      this.#state === 'released'
        ? 'the engine was released; create a new one'
        : 'call initialize({ appId }) first',
    );
  }
}
