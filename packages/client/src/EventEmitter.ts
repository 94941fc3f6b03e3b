/** A map from event name to the tuple of its listener's arguments. */
export type EventMap = { [event: string]: unknown[] };

type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A small typed emitter that runs in browsers and Node. A listener that throws is reported
 * through `onListenerError` and never breaks the emitter or the SDK's own state.
 */
export class TypedEmitter<E extends EventMap> {
  #listeners = new Map<keyof E, Listener<never>[]>();
  /** Where listener exceptions go. Default: console.error. */
  onListenerError: (event: string, error: unknown) => void = (event, error) =>
    console.error(`[patchbay] listener for "${event}" threw`, error);

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as Listener<never>);
    this.#listeners.set(event, list);
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapper = (...args: E[K]) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, listener?: Listener<E[K]>): this {
    if (!listener) {
      this.#listeners.delete(event);
      return this;
    }
    const list = this.#listeners.get(event);
    if (list) {
      const i = list.indexOf(listener as Listener<never>);
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Calls each listener; exceptions are contained. */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const listener of [...list]) {
      try {
        (listener as Listener<E[K]>)(...args);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
  }
}
