import { errors, jwtVerify } from 'jose';
import { certificateKey, MAX_TOKEN_LIFETIME_SECONDS, type TokenRole, type TokenUid } from './buildToken.js';

export type TokenErrorCode = 'INVALID_TOKEN' | 'TOKEN_EXPIRED';

/** A token that cannot be used. `code` is the Patchbay error code the server replies with. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly code: TokenErrorCode;
  constructor(code: TokenErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What a verified token grants. Times are unix seconds. */
export interface TokenClaims {
  appId: string;
  channel: string;
  /** The uid the token is bound to, or null when it admits any uid. */
  uid: TokenUid | null;
  role: TokenRole;
  /** When the join privilege expires. */
  joinExpiresAt: number;
  /** When the publish-audio privilege expires, or null when the token grants none. */
  publishAudioExpiresAt: number | null;
  issuedAt: number;
  expiresAt: number;
}

export interface VerifyTokenOptions {
  appId: string;
  appCertificate: string;
  channel: string;
  /** The uid asked for, or null when the joiner asked for none. */
  uid: TokenUid | null;
  /** Unix seconds. Default now. */
  now?: number;
}

function isUid(v: unknown): v is TokenUid {
  return (
    (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) ||
    (typeof v === 'string' && v.length >= 1 && v.length <= 255)
  );
}

function invalid(message: string): TokenError {
  return new TokenError('INVALID_TOKEN', message);
}

/**
 * Verifies a token for a join: signature (HS256, the app certificate), app id, channel, uid and
 * the join privilege's expiry. Throws TokenError (INVALID_TOKEN or TOKEN_EXPIRED); never
 * anything else for bad input.
 */
export async function verifyToken(token: string, options: VerifyTokenOptions): Promise<TokenClaims> {
  if (typeof token !== 'string' || token.length === 0) throw invalid('a token is required for this app');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  let payload: Record<string, unknown>;
  try {
    const result = await jwtVerify(token, certificateKey(options.appCertificate), {
      algorithms: ['HS256'],
      currentDate: new Date(now * 1000),
      requiredClaims: ['iat', 'exp'],
    });
    payload = result.payload as Record<string, unknown>;
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new TokenError('TOKEN_EXPIRED', 'the token has expired');
    if (error instanceof errors.JWSSignatureVerificationFailed)
      throw invalid('the token signature does not match the app certificate');
    throw invalid(`the token is not a valid Patchbay token (${(error as Error).message.slice(0, 80)})`);
  }
  const { app, channel, role, privileges, iat, exp } = payload as Record<string, unknown>;
  if (app !== options.appId) throw invalid('the token is for another app id');
  if (channel !== options.channel) throw invalid('the token is for another channel');
  if (role !== 'host' && role !== 'audience') throw invalid('the token has no valid role');
  const uid = 'uid' in payload ? payload.uid : null;
  if (uid !== null && !isUid(uid)) throw invalid('the token has an invalid uid');
  if (uid !== null && options.uid !== null && uid !== options.uid)
    throw invalid(`the token is for uid ${String(uid)}, not ${String(options.uid)}`);
  if (typeof privileges !== 'object' || privileges === null) throw invalid('the token has no privileges');
  const { join, publishAudio } = privileges as Record<string, unknown>;
  const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!isTime(join)) throw invalid('the token has no join privilege');
  if (publishAudio !== undefined && !isTime(publishAudio))
    throw invalid('the token has a bad publish privilege');
  if (!isTime(iat) || !isTime(exp)) throw invalid('the token has no valid iat/exp');
  if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS) throw invalid('the token lives longer than 24 h');
  if (join > exp || (publishAudio !== undefined && publishAudio > exp))
    throw invalid('a privilege outlives the token');
  if (join <= now) throw new TokenError('TOKEN_EXPIRED', 'the join privilege of the token has expired');
  return {
    appId: app,
    channel,
    uid,
    role,
    joinExpiresAt: join,
    publishAudioExpiresAt: role === 'host' && publishAudio !== undefined ? publishAudio : null,
    issuedAt: iat,
    expiresAt: exp,
  };
}
