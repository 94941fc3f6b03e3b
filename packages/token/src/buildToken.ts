import { SignJWT } from 'jose';

export type TokenRole = 'host' | 'audience';
/** A uid as Patchbay knows it: a uint32 number or a 1-255 character string. */
export type TokenUid = number | string;

/** Longest a token may live, from issue to its last expiry: 24 h. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** Lifetime of a token when no `expireSeconds` is given: 6 h. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 6 * 3600;

export interface BuildTokenOptions {
  /** The app id the token is for. */
  appId: string;
  /** The app's certificate (the HS256 secret), at least 16 characters. Keep it on your server. */
  appCertificate: string;
  /** The one channel the token admits to. */
  channel: string;
  /** The uid the token admits, or null for any uid (a join with a null uid then gets a server-assigned one). */
  uid: TokenUid | null;
  /** "host" may publish audio; "audience" may only listen. Default "host". */
  role?: TokenRole;
  /** Seconds from now until the token, and each privilege without its own expiry, expires. Default 21600 (6 h), at most 86400. */
  expireSeconds?: number;
  /** Seconds from now until the join privilege expires. Default `expireSeconds`. */
  joinExpireSeconds?: number;
  /** Seconds from now until the publish-audio privilege expires (host only). Default `expireSeconds`. */
  publishAudioExpireSeconds?: number;
  /** Issue time, unix seconds. Default now. For tests and for servers with their own clock. */
  issuedAt?: number;
}

function seconds(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new RangeError(
      `${name} must be a whole number of seconds 1..${MAX_TOKEN_LIFETIME_SECONDS}, got ${v}`,
    );
  }
  return v;
}

/** Checks the fields a token binds to; throws TypeError for a programmer error. */
export function checkTokenSubject(appId: unknown, channel: unknown, uid: unknown): void {
  if (typeof appId !== 'string' || appId.length < 1 || appId.length > 128)
    throw new TypeError('appId must be a string of 1-128 characters');
  if (typeof channel !== 'string' || channel.length < 1 || channel.length > 64)
    throw new TypeError('channel must be a string of 1-64 characters');
  const okUid =
    uid === null ||
    (typeof uid === 'number' && Number.isInteger(uid) && uid >= 0 && uid <= 0xffffffff) ||
    (typeof uid === 'string' && uid.length >= 1 && uid.length <= 255);
  if (!okUid) throw new TypeError('uid must be a uint32 number, a 1-255 character string, or null');
}

/** The HS256 key of an app certificate. */
export function certificateKey(appCertificate: string): Uint8Array {
  if (typeof appCertificate !== 'string' || appCertificate.length < 16) {
    throw new TypeError('appCertificate must be a string of at least 16 characters');
  }
  return new TextEncoder().encode(appCertificate);
}

/**
 * Builds a Patchbay access token: a JWT signed with HS256 and the app certificate. It binds the
 * app id, channel, uid and role, and carries a separate expiry (unix seconds) for each privilege:
 * `join` and, for hosts, `publishAudio`. The JWT `exp` is the latest of them, at most 24 h after
 * `iat`. Claims: `{ app, channel, uid?, role, privileges: { join, publishAudio? }, iat, exp }`.
 */
export async function buildToken(options: BuildTokenOptions): Promise<string> {
  const { appId, appCertificate, channel, uid } = options;
  checkTokenSubject(appId, channel, uid);
  const key = certificateKey(appCertificate);
  const role = options.role ?? 'host';
  if (role !== 'host' && role !== 'audience')
    throw new TypeError(`role must be "host" or "audience", got "${String(role)}"`);
  const expire = seconds('expireSeconds', options.expireSeconds, DEFAULT_TOKEN_LIFETIME_SECONDS);
  const join = seconds('joinExpireSeconds', options.joinExpireSeconds, expire);
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(iat) || iat < 0) throw new TypeError('issuedAt must be unix seconds');
  const privileges: Record<string, number> = { join: iat + join };
  let last = join;
  if (role === 'host') {
    const publish = seconds('publishAudioExpireSeconds', options.publishAudioExpireSeconds, expire);
    privileges.publishAudio = iat + publish;
    last = Math.max(last, publish);
  }
  const claims: Record<string, unknown> = { app: appId, channel, role, privileges };
  if (uid !== null) claims.uid = uid;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + last)
    .sign(key);
}
