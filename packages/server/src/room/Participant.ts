import type { LeaveReason, Role, ServerNotification, Uid } from '@patchbay/protocol';
import { ErrorCode } from '@patchbay/protocol';
import { ServerError } from '../errors.js';
import { Producer } from '../forwarding/Producer.js';
import type { ForwardingTotals } from '../metrics/ForwardingTotals.js';
import { SubscriberConnection } from '../forwarding/SubscriberConnection.js';
import type { IngressEndpoint, MediaEngine } from '../media/MediaEngine.js';
import { parseAudioOffer, SdpError } from '../media/sdp.js';

export function uidKey(uid: Uid): string {
  return typeof uid === 'number' ? `n:${uid}` : `s:${uid}`;
}

/** Callbacks a participant's owner (the signaling session) gives it. */
export interface ParticipantLink {
  notify(message: ServerNotification): void;
  /** The media path broke by itself (e.g. the publisher's connection failed). */
  onMediaClosed(kind: 'publish' | 'subscribe', reason: string): void;
}

/** One member of a channel and the media it owns: at most one published stream, one subscriber connection. */
export class Participant {
  readonly uid: Uid;
  readonly key: string;
  readonly link: ParticipantLink;
  /** "host", or "audience" (live mode only): an audience is not announced and cannot publish. */
  role: Role = 'host';
  /** The published audio is muted (it still flows, as silence). */
  muted = false;
  readonly #engine: MediaEngine;
  readonly #label: string;
  #producer: Producer | null = null;
  #ingress: IngressEndpoint | null = null;
  #subscriber: SubscriberConnection | null = null;
  readonly #totals: ForwardingTotals | undefined;

  constructor(
    uid: Uid,
    label: string,
    engine: MediaEngine,
    link: ParticipantLink,
    totals?: ForwardingTotals,
  ) {
    this.#totals = totals;
    this.uid = uid;
    this.key = uidKey(uid);
    this.#label = label;
    this.#engine = engine;
    this.link = link;
  }

  /** Whether the others see this participant (user-joined, user lists, subscribe targets). */
  get visible(): boolean {
    return this.role === 'host';
  }

  /** Audio tracks this participant has: its published one plus each active subscription. */
  get trackCount(): number {
    const subscribed = this.#subscriber?.consumers.filter((c) => c.producer !== null).length ?? 0;
    return (this.#producer ? 1 : 0) + subscribed;
  }

  isSubscribedTo(target: Participant): boolean {
    const producer = target.producer;
    return producer !== null && (this.#subscriber?.consumers.some((c) => c.producer === producer) ?? false);
  }

  get producer(): Producer | null {
    return this.#producer;
  }
  get subscriber(): SubscriberConnection | null {
    return this.#subscriber;
  }

  /** Accepts the publisher's offer and returns the answer. */
  async publish(offer: string): Promise<string> {
    if (this.#producer) throw ServerError.invalidOperation('already publishing audio; unpublish first');
    let levelExtId: number | null = null;
    let opusPayloadType: number | null = null;
    try {
      ({ audioLevelExtId: levelExtId, opusPayloadType } = parseAudioOffer(offer));
    } catch {
      // the engine rejects the offer below, with the reason
    }
    const producer = new Producer(levelExtId, this.#totals);
    let ingress: IngressEndpoint;
    try {
      ingress = await this.#engine.createIngress(`${this.#label}/pub`, offer, {
        onPacket: producer.onPacket,
        onClosed: (reason) => {
          if (this.#producer === producer) this.link.onMediaClosed('publish', reason);
        },
      });
    } catch (error) {
      if (error instanceof SdpError) throw new ServerError(ErrorCode.NEGOTIATION_FAILED, error.message);
      throw error;
    }
    // Set before the answer goes out, so before the publisher can send anything.
    producer.redPayloadType = ingress.redPayloadType ?? 0;
    if (opusPayloadType !== null) producer.opusPayloadType = opusPayloadType;
    this.#producer = producer;
    this.#ingress = ingress;
    return ingress.answer;
  }

  /** Stops publishing; returns whether anything was published. Consumers free their slots. */
  unpublish(): boolean {
    const producer = this.#producer;
    if (!producer) return false;
    this.#producer = null;
    producer.close();
    this.#ingress?.close();
    this.#ingress = null;
    return true;
  }

  async subscribe(target: Participant): Promise<{ mid: string; offer?: string }> {
    if (!target.producer) {
      throw new ServerError(
        ErrorCode.REMOTE_USER_IS_NOT_PUBLISHED,
        `user ${String(target.uid)} publishes no audio`,
      );
    }
    if (!this.#subscriber) {
      let connection: SubscriberConnection | null = null;
      const egress = this.#engine.createEgress(`${this.#label}/sub`, {
        onClosed: (reason) => {
          // A connection we closed or replaced is not news; a failed current one is dropped, so
          // the client's next subscribe gets a new one.
          if (connection === null || this.#subscriber !== connection) return;
          this.#subscriber = null;
          connection.close();
          this.link.onMediaClosed('subscribe', reason);
        },
      });
      connection = new SubscriberConnection(egress);
      this.#subscriber = connection;
    }
    return this.#subscriber.subscribe(target.producer);
  }

  unsubscribe(target: Participant): boolean {
    return (
      target.producer !== null && this.#subscriber !== null && this.#subscriber.unsubscribe(target.producer)
    );
  }

  /** Closes the subscriber connection and its subscriptions; the next subscribe offers a new one. */
  resetSubscriber(): void {
    const connection = this.#subscriber;
    this.#subscriber = null;
    connection?.close();
  }

  answer(sdp: string): void {
    if (!this.#subscriber)
      throw ServerError.invalidOperation('there is no subscriber connection to answer for');
    this.#subscriber.setAnswer(sdp);
  }

  /** Sends the publisher its receiver report (the server's report timer calls this). */
  sendReceiverReport(nowMs: number, includeSubscribers = true): void {
    const rr = this.#producer?.receiverReport(nowMs, includeSubscribers);
    if (rr) this.#ingress?.sendRtcp(rr);
  }

  /** Releases all media. */
  close(_reason: LeaveReason): void {
    this.unpublish();
    this.resetSubscriber();
  }
}
