export {
  buildToken,
  type BuildTokenOptions,
  MAX_TOKEN_LIFETIME_SECONDS,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  type TokenRole,
  type TokenUid,
} from './buildToken.js';
export {
  type TokenClaims,
  TokenError,
  type TokenErrorCode,
  verifyToken,
  type VerifyTokenOptions,
} from './verifyToken.js';
