import { ErrorCode, type Uid, uidSchema } from '@patchbay/protocol';
import { PatchbayError } from './PatchbayError.js';
import type { MediaStreamTrackLike, PeerConnectionLike, TransceiverLike } from './platform.js';
import type { SignalClient } from './SignalClient.js';

/** Checks join()'s arguments; returns the uid to ask for (null: the server assigns one). */
export function validateJoin(appId: unknown, channel: unknown, token: unknown, uid: unknown): Uid | null {
  if (typeof appId !== 'string' || appId.length === 0)
    throw PatchbayError.invalidParams('appId must be a non-empty string');
  if (typeof channel !== 'string' || !/^[\w!#$%&()+\-:;<=.>?@[\]^{|}~, ]{1,64}$/u.test(channel)) {
    throw PatchbayError.invalidParams(
      'channel must be 1-64 characters: letters, digits, space and !#$%&()+-:;<=.>?@[]^_{|}~,',
    );
  }
  if (token !== null && token !== undefined && typeof token !== 'string') {
    throw PatchbayError.invalidParams('token must be a string or null');
  }
  const wanted = uid === undefined || uid === 0 ? null : uid;
  if (wanted !== null && !uidSchema.safeParse(wanted).success) {
    throw PatchbayError.invalidParams('uid must be a uint32 number, a 1-255 character string, or null');
  }
  return wanted as Uid | null;
}

/** Negotiates a publisher connection: one send-only audio m-line, client offer, server answer. */
export async function negotiatePublisher(
  pc: PeerConnectionLike,
  signal: SignalClient,
  track: MediaStreamTrackLike,
): Promise<void> {
  pc.addTransceiver(track, { direction: 'sendonly' });
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  // No wait for ICE gathering (about 100 ms in libwebrtc with host candidates only): the server
  // drops the candidates a client announces and learns its address from its connectivity checks
  // (peer-reflexive), so the offer goes out at once, like a subscriber's answer.
  const { sdp } = await signal.request('publish', { sdp: offer.sdp ?? pc.localDescription?.sdp ?? '' });
  await pc.setRemoteDescription({ type: 'answer', sdp });
}

/**
 * Subscribes to `uid` on the server. When the server added an m-line it sends an offer, answered
 * on the subscriber connection (`connection()` creates it when there is none yet). Returns the
 * m-line and its transceiver.
 */
export async function negotiateSubscription(
  signal: SignalClient,
  uid: Uid,
  connection: () => PeerConnectionLike,
  current: PeerConnectionLike | null,
): Promise<{ mid: string; transceiver: TransceiverLike }> {
  const result = await signal.request('subscribe', { uid });
  let pc = current;
  if (result.offer) {
    pc = connection();
    await pc.setRemoteDescription({ type: 'offer', sdp: result.offer });
    const answer = await pc.createAnswer();
    // The server must hold our DTLS fingerprint before our handshake can reach it, so the
    // answer goes out before setLocalDescription starts ICE/DTLS. It needs no candidates:
    // the server learns our address from our connectivity checks.
    await signal.request('answer', { sdp: answer.sdp ?? '' });
    await pc.setLocalDescription(answer);
  }
  const transceiver = pc?.getTransceivers().find((t) => t.mid === result.mid);
  if (!transceiver)
    throw new PatchbayError(ErrorCode.NEGOTIATION_FAILED, `no receiver for m-line ${result.mid}`);
  return { mid: result.mid, transceiver };
}

/**
 * Resolves when ICE gathering is complete, or after `timeoutMs`. Patchbay's own negotiation does
 * not need it (the server ignores client candidates); kept for apps that send complete descriptions.
 */
export function waitForIceGathering(pc: PeerConnectionLike, timeoutMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const previous = pc.onicegatheringstatechange;
    function done(): void {
      clearTimeout(timer);
      pc.onicegatheringstatechange = previous;
      resolve();
    }
    pc.onicegatheringstatechange = (ev) => {
      previous?.(ev);
      if (pc.iceGatheringState === 'complete') done();
    };
  });
}

/** Runs async operations one at a time, in call order. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(operation, operation);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
