import { Channel } from './Channel.js';

/** Every live channel, keyed by app id and name. A channel exists while it has participants. */
export class ChannelRegistry {
  readonly #channels = new Map<string, Channel>();
  readonly #onClosed: (channel: Channel) => void;

  /** `onClosed` is told when an empty channel is dropped (cluster mode frees its placement). */
  constructor(onClosed: (channel: Channel) => void = () => undefined) {
    this.#onClosed = onClosed;
  }

  get size(): number {
    return this.#channels.size;
  }

  channels(): IterableIterator<Channel> {
    return this.#channels.values();
  }

  /** The channel if it exists (has participants); never creates one. */
  find(appId: string, name: string): Channel | undefined {
    return this.#channels.get(`${appId}\u0000${name}`);
  }

  /** The channel, created on first join. */
  open(appId: string, name: string): Channel {
    const key = `${appId}\u0000${name}`;
    let channel = this.#channels.get(key);
    if (!channel) {
      channel = new Channel(appId, name);
      this.#channels.set(key, channel);
    }
    return channel;
  }

  /** Drops the channel once it is empty. */
  release(channel: Channel): void {
    if (channel.size !== 0) return;
    const key = `${channel.appId}\u0000${channel.name}`;
    if (this.#channels.get(key) !== channel) return;
    this.#channels.delete(key);
    this.#onClosed(channel);
  }
}
