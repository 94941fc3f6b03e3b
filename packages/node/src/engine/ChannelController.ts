import { ErrorCode, type Uid } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';
import type { NodeClient } from '../NodeClient.js';
import type { AudioFrameObservers } from './AudioFrameObservers.js';
import type { CustomAudioTracks } from './CustomAudioTracks.js';
import type { EngineEvents } from './EngineEvents.js';
import {
  DEFAULT_CHANNEL_MEDIA_OPTIONS,
  mergeChannelMediaOptions,
  type ResolvedChannelMediaOptions,
} from './engineDefaults.js';
import { ClientRoleType } from './enums.js';
import type { ChannelMediaOptions } from './types.js';
import type { VolumeIndicator } from './VolumeIndicator.js';

/** The engine's channel: join, ChannelMediaOptions (what is published), leave. */
export class ChannelController {
  readonly #client: NodeClient;
  readonly #tracks: CustomAudioTracks;
  readonly #observers: AudioFrameObservers;
  readonly #events: EngineEvents;
  readonly #volume: () => VolumeIndicator | null;
  readonly #appId: string;
  #state: 'idle' | 'joining' | 'joined' | 'left' = 'idle';
  #options: ResolvedChannelMediaOptions = DEFAULT_CHANNEL_MEDIA_OPTIONS;
  #offs: (() => void)[] = [];
  token = '';

  constructor(
    client: NodeClient,
    tracks: CustomAudioTracks,
    observers: AudioFrameObservers,
    events: EngineEvents,
    volume: () => VolumeIndicator | null,
    appId: string,
  ) {
    this.#client = client;
    this.#tracks = tracks;
    this.#observers = observers;
    this.#events = events;
    this.#volume = volume;
    this.#appId = appId;
  }

  get options(): Readonly<ResolvedChannelMediaOptions> {
    return this.#options;
  }

  async join(token: string, channelId: string, uid: number, options: ChannelMediaOptions): Promise<void> {
    const client = this.#client;
    if (this.#state === 'joining' || this.#state === 'joined') {
      throw PatchbayError.invalidOperation('joinChannel() while in a channel; call leaveChannel() first');
    }
    if (
      uid !== 0 &&
      uid !== undefined &&
      uid !== null &&
      (!Number.isInteger(uid) || uid < 0 || uid > 0xffffffff)
    ) {
      throw PatchbayError.invalidParams(`uid must be 0 (assigned) or a uint32, got ${String(uid)}`);
    }
    const merged = mergeChannelMediaOptions(DEFAULT_CHANNEL_MEDIA_OPTIONS, options);
    this.#tracks.checkChannelMediaOptions(merged);
    const started = Date.now();
    this.token = token || merged.token || '';
    this.#state = 'joining';
    this.#tracks.acceptingPushes = true;
    this.#options = merged;
    try {
      const joined: Uid = await client.join(this.#appId, channelId, this.token || null, uid || null);
      this.#observers.channelId = channelId;
      this.#startLocal();
      await this.#apply();
      this.#state = 'joined';
      const localUid = typeof joined === 'number' ? joined : 0;
      this.#events.emit('onJoinChannelSuccess', { channelId, localUid }, Date.now() - started);
    } catch (error) {
      this.stopLocal();
      this.#state = 'left';
      await client.leave().catch(() => undefined);
      this.#events.reportError(error);
      throw error;
    }
  }

  async update(options: ChannelMediaOptions): Promise<void> {
    const merged = mergeChannelMediaOptions(this.#options, options);
    this.#tracks.checkChannelMediaOptions(merged);
    this.#options = merged;
    if (this.#state === 'joined') await this.#apply();
  }

  async renewToken(token: string): Promise<void> {
    const client = this.#client as NodeClient & { renewToken?: (token: string) => Promise<void> };
    if (typeof client.renewToken !== 'function') {
      throw new PatchbayError(ErrorCode.NOT_SUPPORTED, 'renewToken() needs a client core with token support');
    }
    await client.renewToken(token);
    this.token = token;
  }

  /** Leaves: queued custom audio is dropped, and pushes fail until the next join. */
  async leave(): Promise<void> {
    if (this.#state !== 'joined' && this.#state !== 'joining') return;
    const channelId = this.#client.channelName ?? '';
    this.#state = 'left';
    this.stopLocal();
    this.#tracks.acceptingPushes = false;
    for (const t of this.#tracks.all()) t.pcm?.clearBuffer();
    await this.#client.leave();
    this.#events.emit('onLeaveChannel', { channelId, localUid: 0 }, {});
  }

  /** Stops the local clock and the taps. */
  stopLocal(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
    this.#client.localAudioMixer.stop();
  }

  /** Publishes or unpublishes the local mix and re-routes the tracks after an options change. */
  async #apply(): Promise<void> {
    const o = this.#options;
    const publishing = o.clientRoleType === ClientRoleType.ClientRoleBroadcaster && o.publishCustomAudioTrack;
    this.#tracks.setPolicy({ publishing, selectedTrackId: o.publishCustomAudioTrackId });
    if (publishing) await this.#client.publishLocalMix();
    else await this.#client.unpublishLocalMix();
    this.#client.localAudioMixer.start();
  }

  /** Starts the local clock and the record/playback taps (on join). */
  #startLocal(): void {
    const client = this.#client;
    const mixer = client.localAudioMixer;
    this.#offs.push(
      mixer.onRecordFrame((f) => {
        this.#observers.onRecord(f);
        this.#volume()?.onLocal(f);
      }),
    );
    if (this.#options.enableAudioRecordingOrPlayout) {
      this.#offs.push(client.onMixedAudioFrame((f) => this.#observers.onPlayback(f)));
    }
    mixer.start();
  }
}
