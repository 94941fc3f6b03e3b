import type { PeerConnectionLike } from './platform.js';

/** Resolves when ICE gathering is complete (we send complete descriptions, no trickle), or after `timeoutMs`. */
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
