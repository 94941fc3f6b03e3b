/** A token bucket: `rate` tokens per second, holding at most `burst`. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(rate: number, burst: number, now = performance.now()) {
    this.#rate = rate;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#last = now;
  }

  /** Takes one token; false when the bucket is empty. */
  take(now = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when the bucket has refilled completely (so it can be forgotten). */
  full(now = performance.now()): boolean {
    return this.#tokens + ((now - this.#last) / 1000) * this.#rate >= this.#burst;
  }
}

/** One token bucket per key (an IP address); full buckets are dropped by `sweep()`. */
export class KeyedRateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = burst;
  }

  take(key: string): boolean {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.#rate, this.#burst);
      this.#buckets.set(key, bucket);
    }
    return bucket.take();
  }

  sweep(): void {
    const now = performance.now();
    for (const [key, bucket] of this.#buckets) if (bucket.full(now)) this.#buckets.delete(key);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
