import { ErrorCode } from '@patchbay/protocol';
import { ServerError } from '../errors.js';
import type { EgressEndpoint } from '../media/MediaEngine.js';
import { Consumer } from './Consumer.js';
import type { Producer } from './Producer.js';

/**
 * The one server-offered connection that carries every stream a participant subscribes to.
 * A subscription takes a free m-line, or adds one (which needs an offer/answer round).
 */
export class SubscriberConnection {
  readonly #egress: EgressEndpoint;
  readonly #consumers: Consumer[] = [];
  #awaitingAnswer = false;

  constructor(egress: EgressEndpoint) {
    this.#egress = egress;
  }

  get consumers(): readonly Consumer[] {
    return this.#consumers;
  }

  /** Routes `producer` to a slot. Returns the slot's mid and, if one was added, the offer to answer. */
  async subscribe(producer: Producer): Promise<{ mid: string; offer?: string }> {
    const existing = this.#consumers.find((c) => c.producer === producer);
    if (existing) return { mid: existing.slot.mid };
    const free = this.#consumers.find((c) => c.producer === null);
    if (free) {
      free.attach(producer);
      return { mid: free.slot.mid };
    }
    if (this.#awaitingAnswer) {
      throw new ServerError(
        ErrorCode.INVALID_OPERATION,
        'answer the previous subscriber offer before subscribing again',
      );
    }
    const consumer = new Consumer(this.#egress.addSlot());
    this.#consumers.push(consumer);
    consumer.attach(producer);
    this.#awaitingAnswer = true;
    try {
      const offer = await this.#egress.createOffer();
      return { mid: consumer.slot.mid, offer };
    } catch (error) {
      this.#awaitingAnswer = false;
      throw new ServerError(
        ErrorCode.NEGOTIATION_FAILED,
        `could not create an offer: ${(error as Error).message}`,
      );
    }
  }

  /** Frees the slot carrying `producer`; the m-line stays for reuse. */
  unsubscribe(producer: Producer): boolean {
    const consumer = this.#consumers.find((c) => c.producer === producer);
    consumer?.detach();
    return consumer !== undefined;
  }

  setAnswer(sdp: string): void {
    if (!this.#awaitingAnswer)
      throw ServerError.invalidOperation('no subscriber offer is waiting for an answer');
    try {
      this.#egress.setAnswer(sdp);
    } catch (error) {
      throw new ServerError(ErrorCode.NEGOTIATION_FAILED, (error as Error).message);
    }
    this.#awaitingAnswer = false;
  }

  close(): void {
    for (const consumer of this.#consumers) consumer.detach();
    this.#consumers.length = 0;
    this.#egress.close();
  }
}
