import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from './PatchbayError.js';

/**
 * The reconnection schedule of the client core: when the connection to the server is lost, the
 * client retries at these delays (each with ±`jitter` spread, so a restarted server is not hit by
 * every client at once), repeating the last delay until `giveUpAfterMs` have passed since the loss.
 */
export interface ReconnectPolicy {
  /** Delays before each attempt, ms; the last one repeats. Default [0, 1000, 3000, 5000, 7000]. */
  delaysMs: readonly number[];
  /** Relative spread of each delay: 0.2 means ±20 %. Default 0.2. */
  jitter: number;
  /** Stop retrying (DISCONNECTED, RECONNECT_FAILED) when this long has passed. Default 30000 ms. 0 disables reconnection. */
  giveUpAfterMs: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  delaysMs: [0, 1000, 3000, 5000, 7000],
  jitter: 0.2,
  giveUpAfterMs: 30_000,
};

/** Resolves a partial policy; throws TypeError on values that make no sense. */
export function resolveReconnectPolicy(partial: Partial<ReconnectPolicy> | undefined): ReconnectPolicy {
  const p = { ...DEFAULT_RECONNECT_POLICY, ...partial };
  if (!Array.isArray(p.delaysMs) || p.delaysMs.length === 0 || p.delaysMs.some((d) => !(d >= 0)))
    throw new TypeError('reconnect.delaysMs must be a non-empty array of numbers >= 0');
  if (!(p.jitter >= 0 && p.jitter < 1)) throw new TypeError('reconnect.jitter must be in [0, 1)');
  if (!(p.giveUpAfterMs >= 0)) throw new TypeError('reconnect.giveUpAfterMs must be >= 0');
  return p;
}

/** The delay before attempt `attempt` (0-based), with jitter from `random` (0..1). */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: () => number): number {
  const base = policy.delaysMs[Math.min(attempt, policy.delaysMs.length - 1)] ?? 0;
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}

/**
 * The server to try at `attempt`: first the one that served us last, then the other entries in
 * turn (a cluster's entry nodes redirect to the channel's new owner).
 */
export function reconnectTarget(lastUrl: string, entries: readonly string[], attempt: number): string {
  const others = entries.filter((u) => u !== lastUrl);
  if (attempt === 0 || others.length === 0) return lastUrl;
  return others[(attempt - 1) % others.length] ?? lastUrl;
}

/** How a {@link retryOnSchedule} run ended. */
export type RetryOutcome<T> =
  | { kind: 'done'; value: T; attempts: number }
  | { kind: 'cancelled' }
  /** Out of time, or `fatal` said an error cannot be fixed by retrying; `lastError` is the last attempt's. */
  | { kind: 'failed'; lastError: unknown; fatal: boolean };

export interface RetryHooks {
  /** Checked after every wait and after every attempt: true stops the run at once (`cancelled`). */
  cancelled(): boolean;
  /** An error no retry can fix: the run stops (`failed`, fatal). */
  fatal(error: unknown): boolean;
  /** 0..1, for the jitter. Default Math.random. */
  random?: () => number;
  /** Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Default Date.now. */
  now?: () => number;
}

/**
 * Runs `attempt(0)`, `attempt(1)`, ... on the policy's schedule until one resolves, `hooks`
 * cancels, an error is fatal, or the next attempt would start after `giveUpAfterMs`.
 */
export async function retryOnSchedule<T>(
  policy: ReconnectPolicy,
  attempt: (index: number) => Promise<T>,
  hooks: RetryHooks,
): Promise<RetryOutcome<T>> {
  const random = hooks.random ?? Math.random;
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = hooks.now ?? Date.now;
  const started = now();
  let lastError: unknown = null;
  for (let i = 0; ; i++) {
    const delay = reconnectDelay(policy, i, random);
    if (i > 0 && now() - started + delay > policy.giveUpAfterMs) break;
    if (delay > 0) await sleep(delay);
    if (hooks.cancelled()) return { kind: 'cancelled' };
    try {
      const value = await attempt(i);
      if (hooks.cancelled()) return { kind: 'cancelled' };
      return { kind: 'done', value, attempts: i + 1 };
    } catch (error) {
      if (hooks.cancelled()) return { kind: 'cancelled' };
      lastError = error;
      if (hooks.fatal(error)) return { kind: 'failed', lastError, fatal: true };
    }
  }
  return hooks.cancelled() ? { kind: 'cancelled' } : { kind: 'failed', lastError, fatal: false };
}

/** Errors a retry cannot fix: reconnection stops at once. */
const FATAL_ON_RECONNECT: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_TOKEN,
  ErrorCode.TOKEN_EXPIRED,
  ErrorCode.INVALID_APP_ID,
  ErrorCode.NO_PRIVILEGE,
  ErrorCode.INVALID_PARAMS,
]);

export function isFatalOnReconnect(error: unknown): boolean {
  return error instanceof PatchbayError && FATAL_ON_RECONNECT.has(error.code);
}

/** What `reconnect-failed` reports: a fatal error as it is, else RECONNECT_FAILED naming the last error. */
export function reconnectFailure(lastError: unknown, fatal: boolean, giveUpAfterMs: number): PatchbayError {
  if (fatal && lastError instanceof PatchbayError) return lastError;
  const why = lastError instanceof Error ? lastError.message : 'the connection to the server was lost';
  return new PatchbayError(
    ErrorCode.RECONNECT_FAILED,
    `could not reconnect within ${giveUpAfterMs} ms: ${why}`,
  );
}
