import { ErrorCode } from '@patchbay/protocol';
import type { ResolvedServerOptions } from '../config.js';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import { RedisPlacementStore } from './RedisPlacementStore.js';

/** The Redis URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Connects the cluster's Redis; a Redis that cannot be reached is a CLUSTER_UNAVAILABLE error. */
export async function connectRedisStore(
  options: Pick<ResolvedServerOptions, 'redis' | 'redisKeyPrefix' | 'redisTimeoutMs'>,
  log: Logger,
): Promise<RedisPlacementStore> {
  const url = options.redis ?? '';
  try {
    return await RedisPlacementStore.connect(
      { url, keyPrefix: options.redisKeyPrefix, commandTimeoutMs: options.redisTimeoutMs },
      log,
    );
  } catch (error) {
    throw new ServerError(
      ErrorCode.CLUSTER_UNAVAILABLE,
      `cannot reach Redis at ${redactRedisUrl(url)} (${(error as Error).message}); ` +
        'start it, fix --redis, or leave --redis out to run a single process',
    );
  }
}
