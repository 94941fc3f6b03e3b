import type { NodeClient, Uid } from '@patchbay/node';
import { explainClientError } from './errors.js';

/** What push and record share: who to be, and where. */
export interface SessionOptions {
  channel: string;
  appId?: string;
  token?: string | null;
  uid?: Uid | null;
}

/** Joins, turning SDK errors into one-line CLI errors that name the server. */
export async function joinChannel(
  client: NodeClient,
  options: SessionOptions,
  server: string,
): Promise<void> {
  try {
    await client.join(
      options.appId ?? 'patchbay-dev',
      options.channel,
      options.token ?? null,
      options.uid ?? null,
    );
  } catch (error) {
    throw explainClientError(error, server);
  }
}

/** Calls `listener` once when `signal` aborts (at once if it already has). Returns a function that detaches it. */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) listener();
  else signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
