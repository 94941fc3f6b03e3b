/**
 * Named counters: every error code the server replies with (limits, token rejections, bad
 * frames), plus a few events such as `expired:join`. Read through `server.stats().counters`.
 */
export class Counters {
  readonly #values = new Map<string, number>();

  count(name: string, by = 1): void {
    this.#values.set(name, (this.#values.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.#values.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#values);
  }
}
