import { PatchbayError } from '@patchbay/client';

/** Page-wide settings: the server URL and the values given to setParameter(). */
const parameters = new Map<string, unknown>();
let globalServer: string | null = null;

/**
 * Turns a server address into a WebSocket URL: `ws://` / `wss://` stay as they are, `http(s)://`
 * becomes `ws(s)://`, and a bare `host:port` gets the page's scheme.
 */
export function normalizeServerUrl(url: string): string {
  if (typeof url !== 'string' || url.trim() === '') {
    throw PatchbayError.invalidParams('the server URL must be a non-empty string such as "wss://host:port"');
  }
  const u = url.trim();
  if (/^wss?:\/\//i.test(u)) return u;
  if (/^https?:\/\//i.test(u)) return u.replace(/^http/i, 'ws');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) {
    throw PatchbayError.invalidParams(`the server URL must use ws:, wss:, http: or https:, got "${u}"`);
  }
  const secure = typeof location !== 'undefined' && location.protocol === 'https:';
  return `${secure ? 'wss' : 'ws'}://${u}`;
}

/** Sets the server every client created afterwards connects to (unless its config names one). */
export function setServer(url: string | null): void {
  globalServer = url === null ? null : normalizeServerUrl(url);
}

/** The server a new client uses: its own config, then setServer()/setParameter("SERVER"), then the page's origin. */
export function resolveServer(perClient?: string): string {
  if (perClient !== undefined && perClient !== null) return normalizeServerUrl(perClient);
  if (globalServer) return globalServer;
  if (typeof location === 'undefined' || !location.host) {
    throw PatchbayError.invalidParams(
      'no server URL: this page has no origin; call setServer("wss://host:port") or pass { server } to createClient()',
    );
  }
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
}

/**
 * Agora's free-form private parameters. "SERVER" (alias "PATCHBAY_SERVER") sets the server URL;
 * every other key is stored and otherwise ignored, so pages that tune Agora internals still run.
 */
export function setParameter(key: string, value: unknown): void {
  if (typeof key !== 'string') return;
  const upper = key.toUpperCase();
  if (upper === 'SERVER' || upper === 'PATCHBAY_SERVER') {
    setServer(value === null || value === undefined ? null : String(value));
    return;
  }
  parameters.set(key, value);
}

/** A value stored with setParameter() (for diagnostics). */
export function getParameter(key: string): unknown {
  return parameters.get(key);
}
