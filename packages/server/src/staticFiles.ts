import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wav': 'audio/wav',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Serves `path` (already stripped of its route prefix) from `root`, refusing anything that
 * escapes it. Returns false when there is no such file, so the caller can answer 404.
 */
export function serveStatic(root: string, path: string, res: ServerResponse, head: boolean): boolean {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  } catch {
    return false;
  }
  // normalize('') is '.': the route's own root asks for its index.html.
  if (relative === '' || relative === '.' || relative.endsWith(sep)) relative = join(relative, 'index.html');
  const file = join(root, relative);
  if (!file.startsWith(normalize(root + sep))) return false;
  try {
    if (!statSync(file).isFile()) return false;
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
  });
  if (head) res.end();
  else createReadStream(file).pipe(res);
  return true;
}
