import {
  ChannelSession,
  type ChannelSessionEvents,
  PatchbayError,
  type RemoteUser,
  SerialQueue,
} from '@patchbay/client';
import { ErrorCode, type Uid } from '@patchbay/protocol';
import { audioContext } from './audio.js';
import { ConnectionStats, type RTCStats } from './ConnectionStats.js';
import { type ClientException, ExceptionMonitor } from './ExceptionMonitor.js';
import { WebErrorCode, webError } from './errors.js';
import { LocalAudioTrack } from './LocalAudioTrack.js';
import { browserPlatform } from './platform.js';
import { RemoteAudioTrack } from './RemoteAudioTrack.js';
import { resolveServer } from './settings.js';

export type ClientMode = 'rtc' | 'live' | 'p2p';
export type VideoCodec = 'vp8' | 'vp9' | 'av1' | 'h264' | 'h265';
export type ClientRole = 'host' | 'audience';

export interface ClientRoleOptions {
  level: number;
  delay?: number;
}

/** createClient()'s configuration: the Web SDK NG's ClientConfig plus `server`. */
export interface ClientConfig {
  mode?: ClientMode;
  /** Accepted for compatibility; Patchbay carries audio only. */
  codec?: VideoCodec;
  /** Accepted for compatibility; Patchbay always sends Opus. */
  audioCodec?: 'opus' | 'pcma' | 'pcmu' | 'g722';
  role?: ClientRole;
  clientRoleOptions?: ClientRoleOptions;
  /** WebSocket URL of the Patchbay server. Default: setServer()'s, else the page's own origin. */
  server?: string;
  /** How long a signaling request may take, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Other Web SDK NG options (proxyServer, turnServer, ...) are accepted and ignored. */
  [key: string]: unknown;
}

export type WebRemoteUser = RemoteUser<RemoteAudioTrack>;

/** One entry of the "volume-indicator" event: a user's level 0..100 (the local user has the client's own uid). */
export interface VolumeIndicatorResult {
  uid: Uid;
  level: number;
}

/** Events of the browser client: the core's plus the Web SDK NG's "volume-indicator". */
export type ClientEvents = ChannelSessionEvents<RemoteAudioTrack> & {
  'volume-indicator': [result: VolumeIndicatorResult[]];
  exception: [exception: ClientException];
};

type Listener<A extends unknown[]> = (...args: A) => void;

const MODES: readonly string[] = ['rtc', 'live', 'p2p'];
const CODECS: readonly string[] = ['vp8', 'vp9', 'av1', 'h264', 'h265'];
const AUDIO_CODECS: readonly string[] = ['opus', 'pcma', 'pcmu', 'g722'];

/**
 * A Patchbay client in the browser, shaped like the Web SDK NG's IAgoraRTCClient. Several local
 * tracks are mixed into the one stream a user publishes, on the page's shared AudioContext.
 */
export class Client extends ChannelSession<RemoteAudioTrack> {
  readonly mode: ClientMode;
  readonly codec: VideoCodec;
  readonly audioCodec: string;
  #roleOptions: ClientRoleOptions | undefined;
  readonly #ops = new SerialQueue();
  #published: LocalAudioTrack[] = [];
  #announcedMuted = false;
  readonly #closeWatchers = new Map<LocalAudioTrack, () => void>();
  #mixer: MediaStreamAudioDestinationNode | null = null;
  readonly #mixed = new Set<LocalAudioTrack>();
  #sending: MediaStreamTrack | null = null;
  #volumeTimer: ReturnType<typeof setInterval> | null = null;
  readonly #exceptions: ExceptionMonitor;
  readonly #stats = new ConnectionStats(this);

  constructor(config: ClientConfig = {}) {
    if (config === null || typeof config !== 'object') {
      throw PatchbayError.invalidParams(
        'createClient() takes a config object such as { mode: "rtc", codec: "vp8" }',
      );
    }
    const mode = config.mode ?? 'rtc';
    const codec = config.codec ?? 'vp8';
    const audioCodec = config.audioCodec ?? 'opus';
    if (!MODES.includes(mode)) {
      throw PatchbayError.invalidParams(
        `mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`,
      );
    }
    if (!CODECS.includes(codec)) {
      throw PatchbayError.invalidParams(
        `codec must be one of ${CODECS.join(', ')}, got ${JSON.stringify(codec)}`,
      );
    }
    if (!AUDIO_CODECS.includes(audioCodec)) {
      throw PatchbayError.invalidParams(
        `audioCodec must be one of ${AUDIO_CODECS.join(', ')}, got ${JSON.stringify(audioCodec)}`,
      );
    }
    const role = config.role ?? 'host';
    if (role !== 'host' && role !== 'audience') {
      throw PatchbayError.invalidParams(`role must be "host" or "audience", got ${JSON.stringify(role)}`);
    }
    super(browserPlatform, {
      server: resolveServer(config.server),
      // "p2p" has no meaning here: everyone is a host, as in "rtc".
      mode: mode === 'live' ? 'live' : 'rtc',
      role,
      ...(config.requestTimeoutMs !== undefined ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
      wrapRemoteTrack: (user, track, mid) => new RemoteAudioTrack(user.uid, track as MediaStreamTrack, mid),
      rebindRemoteTrack: (track, mediaTrack, mid) => track._rebind(mediaTrack as MediaStreamTrack, mid),
      releaseRemoteTrack: (track) => track._release(),
    });
    this.mode = mode;
    this.codec = codec;
    this.audioCodec = audioCodec;
    this.#roleOptions = config.clientRoleOptions;
    this.#exceptions = new ExceptionMonitor(
      {
        localUid: () => this.uid,
        localLevel: () => {
          const live = this.#published.filter((t) => !t.muted && t.enabled);
          return live.length === 0 ? null : Math.max(...live.map((t) => t.getVolumeLevel()));
        },
        remoteLevels: () =>
          this.remoteUsers.flatMap((u) =>
            u.audioTrack ? [[u.uid, u.audioTrack.getVolumeLevel()] as [Uid, number]] : [],
          ),
        sendBitrate: () =>
          this.isPublishing && this.#stats.latest.SendBytes > 0 ? this.#stats.latest.SendBitrate : null,
      },
      (exception) => (this.emit as (event: string, ...args: unknown[]) => void)('exception', exception),
    );
    this.on('connection-state-change', (state) => {
      if (state === 'CONNECTED') {
        this.#stats.start();
        this.#exceptions.start();
      }
      if (state === 'DISCONNECTED') {
        this.#forgetPublished();
        this.#stats.stop();
        this.#exceptions.stop();
        if (this.#volumeTimer) clearInterval(this.#volumeTimer);
        this.#volumeTimer = null;
      }
    });
    // The server stopped our publishing (token privilege expired): nothing is published any more.
    this.on('token-privilege-did-expire', (privilege) => {
      if (privilege === 'publishAudio') void this.#ops.run(async () => this.#forgetPublished());
    });
  }

  // The core's events plus "volume-indicator" and "exception".
  override on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): this {
    return super.on(event as never, listener as never);
  }
  override once<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): this {
    return super.once(event as never, listener as never);
  }
  override off<K extends keyof ClientEvents>(event: K, listener?: Listener<ClientEvents[K]>): this {
    return super.off(event as never, listener as never);
  }

  /**
   * Emits "volume-indicator" every 2 s with the level (0..100) of the local user (what it sends)
   * and of every subscribed user. As in the Web SDK NG, call it again after each join().
   */
  enableAudioVolumeIndicator(): void {
    if (this.#volumeTimer) return;
    this.#volumeTimer = setInterval(() => {
      if (this.connectionState !== 'CONNECTED') return;
      const result: VolumeIndicatorResult[] = [];
      const uid = this.uid;
      if (uid !== null && this.#published.length > 0) {
        const level = Math.max(...this.#published.map((t) => t.getVolumeLevel()));
        result.push({ uid, level: Math.round(level * 100) });
      }
      for (const user of this.remoteUsers) {
        if (user.audioTrack)
          result.push({ uid: user.uid, level: Math.round(user.audioTrack.getVolumeLevel() * 100) });
      }
      (this.emit as (event: string, ...args: unknown[]) => void)('volume-indicator', result);
    }, 2000);
  }

  /** Connection statistics, refreshed every second while joined (synchronous, as in the Web SDK NG). */
  getRTCStats(): RTCStats {
    return {
      ...this.#stats.latest,
      Duration: this.#stats.startedAt ? Math.round((Date.now() - this.#stats.startedAt) / 1000) : 0,
      UserCount: this.connectionState === 'CONNECTED' ? this.remoteUsers.length + 1 : 0,
    };
  }

  /** "host" or "audience"; always "host" unless the mode is "live". */
  get role(): ClientRole {
    return this.clientRole;
  }

  /** The local tracks published now. */
  get localTracks(): LocalAudioTrack[] {
    return [...this.#published];
  }

  /** Joins and resolves the uid: a number if you passed a number, a string if a string, else the server's. */
  override join(
    appId: string,
    channel: string,
    token: string | null,
    uid?: Uid | null,
    _options?: { autoSubscribe?: boolean; autoReceiveAndPlayAudio?: boolean; networkQualityProbe?: boolean },
  ): Promise<Uid> {
    return super.join(appId, channel, token ?? null, uid ?? null);
  }

  /**
   * Publishes local audio tracks. Several tracks (in one call or across calls) are mixed into the
   * one stream remote users receive.
   */
  publish(tracks: LocalAudioTrack | LocalAudioTrack[]): Promise<void> {
    return this.#ops.run(async () => {
      if (this.connectionState !== 'CONNECTED') {
        throw PatchbayError.invalidOperation('publish() needs a joined channel; call join() first');
      }
      const list = Array.isArray(tracks) ? tracks : [tracks];
      if (list.length === 0) throw PatchbayError.invalidParams('publish() needs at least one track');
      for (const track of list) {
        if (!(track instanceof LocalAudioTrack)) {
          const kind = (track as { trackMediaType?: string } | null)?.trackMediaType;
          if (kind === 'video')
            throw new PatchbayError(ErrorCode.NOT_SUPPORTED, 'Patchbay carries audio only');
          throw webError(
            WebErrorCode.INVALID_LOCAL_TRACK,
            'publish() takes tracks from createCustomAudioTrack() or createMicrophoneAudioTrack()',
          );
        }
        if (track.closed) throw webError(WebErrorCode.INVALID_LOCAL_TRACK, 'the track is closed');
      }
      const next = [...this.#published];
      for (const track of list) if (!next.includes(track)) next.push(track);
      await this.#send(next);
      for (const track of list) {
        if (!this.#closeWatchers.has(track)) {
          const offClosed = track._onClosed(() => void this.unpublish(track).catch(() => undefined));
          const offMuted = track._onMuteChanged(() => void this.#syncMuted().catch(() => undefined));
          this.#closeWatchers.set(track, () => {
            offClosed();
            offMuted();
          });
        }
      }
    });
  }

  /** Unpublishes the given tracks, or all of them. */
  unpublish(tracks?: LocalAudioTrack | LocalAudioTrack[]): Promise<void> {
    return this.#ops.run(async () => {
      const remove = tracks === undefined ? [...this.#published] : Array.isArray(tracks) ? tracks : [tracks];
      const next = this.#published.filter((t) => !remove.includes(t));
      for (const track of remove) {
        this.#closeWatchers.get(track)?.();
        this.#closeWatchers.delete(track);
      }
      if (next.length === this.#published.length) return;
      if (this.connectionState !== 'CONNECTED') {
        this.#published = next;
        return;
      }
      await this.#send(next);
    });
  }

  /** Makes the publisher connection carry the mix of `tracks` (or stop when empty). */
  async #send(tracks: LocalAudioTrack[]): Promise<void> {
    let output: MediaStreamTrack | null;
    if (tracks.length === 0) output = null;
    else if (tracks.length === 1) output = tracks[0].getMediaStreamTrack();
    else output = this.#mixTo(tracks);
    if (output === null) {
      if (this.isPublishing) await this.unpublishTrack();
    } else if (output !== this.#sending || !this.isPublishing) {
      await this.publishTrack(output);
    }
    this.#sending = output;
    this.#published = tracks;
    if (tracks.length < 2 && this.#mixed.size > 0) this.#mixTo([]);
    if (output) await this.#applyBitrate(Math.max(...tracks.map((t) => t.encoderConfig.bitrate)));
    await this.#syncMuted();
  }

  /** The published stream counts as muted when every published track is muted; others get user-info-updated. */
  async #syncMuted(): Promise<void> {
    const muted = this.#published.length > 0 && this.#published.every((t) => t.muted);
    if (muted === this.#announcedMuted) return;
    this.#announcedMuted = muted;
    await this.announceMuted(muted);
  }

  /** Caps the Opus bitrate at the encoder configuration's (Kbps). Best effort: browsers may ignore it. */
  async #applyBitrate(kbps: number): Promise<void> {
    const sender = this.publisherConnection?.getTransceivers()[0]?.sender as RTCRtpSender | undefined;
    if (!sender?.getParameters) return;
    try {
      const parameters = sender.getParameters();
      if (!parameters.encodings?.length) return;
      if (parameters.encodings[0].maxBitrate === kbps * 1000) return;
      parameters.encodings[0].maxBitrate = kbps * 1000;
      await sender.setParameters(parameters);
    } catch {
      // not supported here; the browser's default bitrate applies
    }
  }

  /** Connects exactly `tracks` to the client's mixer and returns its track. */
  #mixTo(tracks: LocalAudioTrack[]): MediaStreamTrack {
    if (!this.#mixer) {
      this.#mixer = audioContext().createMediaStreamDestination();
      this.#mixer.channelCount = 1;
    }
    const mixer = this.#mixer;
    for (const track of [...this.#mixed]) {
      if (tracks.includes(track)) continue;
      try {
        track._output.disconnect(mixer);
      } catch {
        // already disconnected (closed track)
      }
      this.#mixed.delete(track);
    }
    for (const track of tracks) {
      if (this.#mixed.has(track)) continue;
      track._output.connect(mixer);
      this.#mixed.add(track);
      if (track.encoderConfig.stereo) mixer.channelCount = 2;
    }
    return mixer.stream.getAudioTracks()[0];
  }

  #forgetPublished(): void {
    for (const stop of this.#closeWatchers.values()) stop();
    this.#closeWatchers.clear();
    this.#published = [];
    this.#sending = null;
    if (this.#mixed.size > 0) this.#mixTo([]);
  }

  /** Subscribes to a user's audio ("audio" is the only media type) and fills `user.audioTrack`. */
  override subscribe(
    user: WebRemoteUser | Uid,
    mediaType: 'audio' | 'video' = 'audio',
  ): Promise<RemoteAudioTrack> {
    if (mediaType !== 'audio') {
      return Promise.reject(new PatchbayError(ErrorCode.NOT_SUPPORTED, 'Patchbay carries audio only'));
    }
    try {
      return super.subscribe(user);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  override unsubscribe(user: WebRemoteUser | Uid, mediaType?: 'audio' | 'video'): Promise<void> {
    if (mediaType === 'video') return Promise.resolve();
    try {
      return super.unsubscribe(user);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * "host" or "audience" (live mode; no effect in rtc mode); the second argument may be `{ level }`
   * or a bare AudienceLatencyLevelType number, and is accepted but not used. An audience must
   * unpublish first. Before join() it sets the role to join with.
   */
  async setClientRole(role: ClientRole, options?: ClientRoleOptions | number): Promise<void> {
    if (role !== 'host' && role !== 'audience') {
      throw PatchbayError.invalidParams(`role must be "host" or "audience", got ${JSON.stringify(role)}`);
    }
    let resolved: ClientRoleOptions | undefined;
    if (typeof options === 'number') resolved = { level: options };
    else if (options !== undefined && options !== null) {
      if (typeof options !== 'object' || typeof options.level !== 'number') {
        throw PatchbayError.invalidParams(
          'options must be { level: AudienceLatencyLevelType } or a level number',
        );
      }
      resolved = options;
    }
    if (resolved && ![1, 2, 3].includes(resolved.level)) {
      throw PatchbayError.invalidParams(
        `level must be 1 (LOW), 2 (ULTRA_LOW) or 3 (SYNC), got ${resolved.level}`,
      );
    }
    if (role === 'audience' && this.mode === 'live' && this.#published.length > 0) {
      throw PatchbayError.invalidOperation('unpublish() before becoming an audience');
    }
    await this.switchRole(role);
    this.#roleOptions = resolved;
  }

  /** The latency options given with the audience role, if any. */
  get clientRoleOptions(): ClientRoleOptions | undefined {
    return this.#roleOptions;
  }

  /** Accepted for compatibility; Patchbay does not use Agora's cloud proxy. */
  startProxyServer(_mode?: number): void {}
  stopProxyServer(): void {}

  override async leave(): Promise<void> {
    await super.leave();
    this.#forgetPublished();
    this.#announcedMuted = false;
  }
}
