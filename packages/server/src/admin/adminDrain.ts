import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * POST /admin/drain with `Authorization: Bearer <adminToken>`: drains this node (cluster mode).
 * 404 when no admin token is configured, 401 for a wrong one, 409 outside cluster mode.
 */
export function adminDrain(
  req: IncomingMessage,
  res: ServerResponse,
  adminToken: string | null,
  drain: (() => Promise<{ channels: number; participants: number }>) | null,
  log: Logger,
): void {
  const json = (status: number, body: object): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (adminToken === null) return json(404, { error: 'admin calls are off (no admin token configured)' });
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  if (!timingSafeEqual(digest(given), digest(adminToken))) return json(401, { error: 'bad admin token' });
  if (!drain) return json(409, { error: 'not in cluster mode: nothing to drain' });
  drain().then(
    (result) => json(200, { ok: true, ...result }),
    (error: unknown) => {
      log.error({ err: error }, 'drain failed');
      json(500, { error: 'drain failed' });
    },
  );
}
