import { ChannelSession, type MediaStreamTrackLike, PatchbayError, type RemoteUser } from '@patchbay/client';
import { ErrorCode, type Role, type Uid } from '@patchbay/protocol';
import { AudioMixer, type AudioFrameSourceLike } from './AudioMixer.js';
import type { AudioFrameCallback } from './AudioFrame.js';
import { checkAudioFormat } from './audio/pcm.js';
import { type NodeClientConfig, resolveNodeClientConfig } from './defaults.js';
import { LocalAudioMixer } from './LocalAudioMixer.js';
import { nodePlatform } from './nodePlatform.js';
import { PcmAudioTrack } from './PcmAudioTrack.js';
import { RemoteAudioTrack } from './RemoteAudioTrack.js';

export type NodeRemoteUser = RemoteUser<RemoteAudioTrack>;

/**
 * A Patchbay client in Node with the Web SDK NG's method names (join, publish, subscribe,
 * user-published, ...) plus the native SDKs' external audio source
 * (setExternalAudioSource + pushExternalAudioFrame).
 */
export class NodeClient extends ChannelSession<RemoteAudioTrack> {
  readonly mode: 'rtc' | 'live';
  readonly codec: string;
  readonly #mixer: AudioMixer;
  #external: PcmAudioTrack | null = null;
  #local: LocalAudioMixer | null = null;
  #publishing = false;
  /** Subscribed remote tracks (played audio), and their removers from the local mixer's echo reference. */
  readonly #remotes: Map<RemoteAudioTrack, () => void>;
  readonly #localHolder: { mixer: LocalAudioMixer | null };

  constructor(config: Partial<NodeClientConfig> = {}) {
    const resolved = resolveNodeClientConfig(config);
    const mixer = new AudioMixer(resolved.mixedAudioChannels);
    // Remote audio is played, so it is the echo reference of "before processing" tracks (APM).
    const remotes = new Map<RemoteAudioTrack, () => void>();
    const local = { mixer: null as LocalAudioMixer | null };
    super(nodePlatform, {
      server: resolved.server,
      requestTimeoutMs: resolved.requestTimeoutMs,
      reconnect: resolved.reconnect,
      mode: resolved.mode,
      wrapRemoteTrack: (user, track, mid) => {
        const remote = new RemoteAudioTrack(user.uid, track as never, mid);
        mixer.add(remote);
        remotes.set(remote, local.mixer?.addEchoReference(remote) ?? (() => undefined));
        return remote;
      },
      rebindRemoteTrack: (track, mediaTrack, mid) => track.rebind(mediaTrack as never, mid),
      releaseRemoteTrack: (track) => {
        remotes.get(track)?.();
        remotes.delete(track);
        mixer.remove(track);
        track.release();
      },
    });
    this.mode = resolved.mode;
    this.codec = resolved.codec;
    this.#mixer = mixer;
    this.#remotes = remotes;
    this.#localHolder = local;
    this.on('connection-state-change', (state) => {
      if (state === 'DISCONNECTED') {
        this.#local?.stop();
        this.#publishing = false;
      }
    });
    // The server stopped our publishing (publish privilege expired): stop the local mix too.
    this.on('token-privilege-did-expire', (privilege) => {
      if (privilege !== 'publishAudio') return;
      this.#local?.stop();
      this.#publishing = false;
    });
  }

  #outageStartedAt = 0;
  #outageDroppedAtStart = 0;
  #outagePushedAtStart = 0;

  /** Queues pushed audio while the media path is down; reports what was kept and dropped. */
  protected override onMediaOutage(down: boolean): void {
    const local = this.#local;
    if (!local) return;
    const dropped = (): number =>
      local.tracks.reduce((sum, t) => sum + (t.stats.outageDroppedFrames * 1000) / t.sampleRate, 0);
    const pushed = (): number =>
      local.tracks.reduce((sum, t) => sum + (t.stats.pushedFrames * 1000) / t.sampleRate, 0);
    if (down) {
      if (!this.#publishing || local.outage) return;
      local.setOutage(true);
      this.#outageStartedAt = Date.now();
      this.#outageDroppedAtStart = dropped();
      this.#outagePushedAtStart = pushed();
      return;
    }
    if (!local.outage) return;
    local.setOutage(false);
    this.emit('local-audio-outage', {
      durationMs: Date.now() - this.#outageStartedAt,
      pushedMs: Math.round(pushed() - this.#outagePushedAtStart),
      droppedMs: Math.round(dropped() - this.#outageDroppedAtStart),
      queuedMs: Math.round(Math.max(0, ...local.tracks.map((t) => t.queuedDurationMs))),
    });
  }

  /**
   * Live mode: "host" publishes, "audience" only listens and is not announced to the others.
   * Before join it sets the role to join with; an audience must unpublish first. No effect in rtc mode.
   */
  setClientRole(role: Role, _options?: unknown): Promise<void> {
    return this.switchRole(role);
  }

  /**
   * The mixer in front of the one published audio source: every published track is mixed here
   * on one 10 ms clock. Created on first use.
   */
  get localAudioMixer(): LocalAudioMixer {
    if (!this.#local) {
      const local = new LocalAudioMixer();
      for (const remote of this.#remotes.keys()) this.#remotes.set(remote, local.addEchoReference(remote));
      this.#local = local;
      this.#localHolder.mixer = local;
    }
    return this.#local;
  }

  /** The tracks this client publishes. */
  get localTracks(): PcmAudioTrack[] {
    return this.#publishing && this.#local ? this.#local.tracks : [];
  }

  /** Adds a local source (10 ms, 48 kHz frames) to the mix that onMixedAudioFrame() delivers; returns a remover. */
  addToMixedAudio(source: AudioFrameSourceLike): () => void {
    this.#mixer.add(source);
    return () => this.#mixer.remove(source);
  }

  /**
   * Native-style custom audio: enable (or disable) the client's external PCM source. Call it
   * before join(); join() then publishes it. Push with pushExternalAudioFrame().
   * @param bufferMs - send queue size before back-pressure, default 200 ms.
   */
  setExternalAudioSource(enabled: boolean, sampleRate = 48000, channels: 1 | 2 = 1, bufferMs = 200): void {
    if (!enabled) {
      const old = this.#external;
      this.#external = null;
      if (old) this.#local?.remove(old);
      old?.close();
      return;
    }
    checkAudioFormat(sampleRate, channels);
    if (this.#external) {
      throw PatchbayError.invalidOperation('the external audio source is already enabled; disable it first');
    }
    this.#external = new PcmAudioTrack({ sampleRate, channels, bufferMs });
  }

  /** The external source as a track (for clearBuffer, waitForPlayout, queuedDurationMs, stats). */
  get externalAudioTrack(): PcmAudioTrack | null {
    return this.#external;
  }

  /**
   * Pushes 16-bit interleaved PCM at the rate and channel count given to setExternalAudioSource.
   * Any length that is a whole number of frames; the SDK paces it in real time.
   * @returns resolves when queued (await it for back-pressure). `timestamp` (ms) is optional and never paces playout.
   */
  pushExternalAudioFrame(
    data: Buffer | Uint8Array | Int16Array | Float32Array,
    timestamp?: number,
  ): Promise<void> {
    if (!this.#external) {
      throw new PatchbayError(
        ErrorCode.EXTERNAL_SOURCE_NOT_ENABLED,
        'pushExternalAudioFrame() before setExternalAudioSource(true, sampleRate, channels)',
      );
    }
    return this.#external.push(data, timestamp);
  }

  override async join(appId: string, channel: string, token: string | null, uid?: Uid | null): Promise<Uid> {
    const joined = await super.join(appId, channel, token, uid ?? null);
    if (this.#external) await this.publish(this.#external);
    return joined;
  }

  /**
   * Publishes PCM tracks; with no argument, the external audio source. Several tracks are mixed
   * (by {@link NodeClient.localAudioMixer}) into the one published stream; publishing more adds them.
   */
  async publish(track?: PcmAudioTrack | PcmAudioTrack[]): Promise<void> {
    const list = Array.isArray(track) ? track : track ? [track] : this.#external ? [this.#external] : [];
    if (list.length === 0)
      throw new PatchbayError(
        ErrorCode.INVALID_PARAMS,
        'publish() needs a track, or setExternalAudioSource() first',
      );
    for (const local of list) {
      if (!(local instanceof PcmAudioTrack) || local.closed)
        throw new PatchbayError(
          ErrorCode.INVALID_PARAMS,
          'publish() takes open tracks from createCustomAudioTrack()',
        );
    }
    await Promise.all(list.map((t) => t.ready));
    const mixer = this.localAudioMixer;
    for (const local of list) mixer.add(local, { send: true });
    await this.publishLocalMix();
  }

  /** Stops publishing every track (they keep what is queued). */
  async unpublish(): Promise<void> {
    const mixer = this.#local;
    if (mixer) {
      mixer.stop();
      for (const t of mixer.tracks) mixer.remove(t);
    }
    await this.unpublishLocalMix();
  }

  /**
   * Publishes {@link NodeClient.localAudioMixer}'s output (once) and starts its clock. What it
   * sends is decided by the routes of its tracks.
   */
  async publishLocalMix(): Promise<void> {
    const mixer = this.localAudioMixer;
    if (!this.#publishing) {
      await this.publishTrack(mixer.getMediaStreamTrack() as MediaStreamTrackLike);
      this.#publishing = true;
    }
    mixer.start();
  }

  /** Stops publishing the local mix; its clock keeps running (local playback goes on). */
  async unpublishLocalMix(): Promise<void> {
    const was = this.#publishing;
    this.#publishing = false;
    if (was && this.connectionState === 'CONNECTED') await this.unpublishTrack();
  }

  /** Subscribes to a user's audio ("audio" is the only media type). */
  override subscribe(user: NodeRemoteUser | Uid, mediaType: 'audio' = 'audio'): Promise<RemoteAudioTrack> {
    if (mediaType !== 'audio') {
      return Promise.reject(new PatchbayError(ErrorCode.NOT_SUPPORTED, 'Patchbay carries audio only'));
    }
    return super.subscribe(user);
  }

  override unsubscribe(user: NodeRemoteUser | Uid, _mediaType?: 'audio'): Promise<void> {
    return super.unsubscribe(user);
  }

  /**
   * Calls `callback` with the mix of every subscribed user as 10 ms frames at 48 kHz, on a steady
   * clock (silence when nobody is heard). Returns a function that stops it.
   */
  onMixedAudioFrame(callback: AudioFrameCallback): () => void {
    return this.#mixer.onAudioFrame(callback);
  }

  override async leave(): Promise<void> {
    this.#local?.stop();
    this.#publishing = false;
    await super.leave();
  }
}
