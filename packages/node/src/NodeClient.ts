import { ChannelSession, type MediaStreamTrackLike, PatchbayError, type RemoteUser } from '@patchbay/client';
import { ErrorCode, type Uid } from '@patchbay/protocol';
import { AudioMixer } from './AudioMixer.js';
import type { AudioFrameCallback } from './AudioFrame.js';
import { checkAudioFormat } from './audio/pcm.js';
import { type NodeClientConfig, resolveNodeClientConfig } from './defaults.js';
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
  #published: PcmAudioTrack | null = null;

  constructor(config: Partial<NodeClientConfig> = {}) {
    const resolved = resolveNodeClientConfig(config);
    const mixer = new AudioMixer(resolved.mixedAudioChannels);
    super(nodePlatform, {
      server: resolved.server,
      requestTimeoutMs: resolved.requestTimeoutMs,
      wrapRemoteTrack: (user, track, mid) => {
        const remote = new RemoteAudioTrack(user.uid, track as never, mid);
        mixer.add(remote);
        return remote;
      },
      releaseRemoteTrack: (track) => {
        mixer.remove(track);
        track.release();
      },
    });
    this.mode = resolved.mode;
    this.codec = resolved.codec;
    this.#mixer = mixer;
    this.on('connection-state-change', (state) => {
      if (state === 'DISCONNECTED') this.#published?.stop();
    });
  }

  /** The tracks this client publishes (at most one in this version). */
  get localTracks(): PcmAudioTrack[] {
    return this.#published ? [this.#published] : [];
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
      if (old && this.#published === old) void this.unpublish();
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
  pushExternalAudioFrame(data: Buffer | Uint8Array | Int16Array, timestamp?: number): Promise<void> {
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

  /** Publishes a PCM track; with no argument, the external audio source. */
  async publish(track?: PcmAudioTrack | PcmAudioTrack[]): Promise<void> {
    const list = Array.isArray(track) ? track : track ? [track] : this.#external ? [this.#external] : [];
    if (list.length === 0)
      throw new PatchbayError(
        ErrorCode.INVALID_PARAMS,
        'publish() needs a track, or setExternalAudioSource() first',
      );
    if (list.length > 1)
      throw new PatchbayError(
        ErrorCode.NOT_SUPPORTED,
        'publishing several tracks at once is not supported yet',
      );
    const local = list[0];
    if (!(local instanceof PcmAudioTrack))
      throw new PatchbayError(
        ErrorCode.INVALID_PARAMS,
        'publish() takes a track from createCustomAudioTrack()',
      );
    await this.publishTrack(local.getMediaStreamTrack() as MediaStreamTrackLike);
    if (this.#published && this.#published !== local) this.#published.stop();
    this.#published = local;
    await local.start();
  }

  async unpublish(): Promise<void> {
    const local = this.#published;
    this.#published = null;
    local?.stop();
    if (this.connectionState === 'CONNECTED') await this.unpublishTrack();
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
    this.#published?.stop();
    this.#published = null;
    await super.leave();
  }
}
