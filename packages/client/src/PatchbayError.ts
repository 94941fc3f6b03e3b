import { type ErrorCode, ErrorCode as Codes } from '@patchbay/protocol';

/**
 * The one error class of the client SDKs. `code` is a stable string from `@patchbay/protocol`'s
 * ErrorCode (listed in docs/errors.md); `message` says what went wrong and how to fix it.
 */
export class PatchbayError extends Error {
  override name = 'PatchbayError';
  readonly code: ErrorCode;
  readonly data?: unknown;

  constructor(code: ErrorCode, message: string, data?: unknown) {
    super(message);
    this.code = code;
    if (data !== undefined) this.data = data;
  }

  static invalidParams(message: string): PatchbayError {
    return new PatchbayError(Codes.INVALID_PARAMS, message);
  }

  static invalidOperation(message: string): PatchbayError {
    return new PatchbayError(Codes.INVALID_OPERATION, message);
  }

  /** Cluster: the URL a REDIRECT error points to (the node that owns the channel). */
  get redirect(): string | undefined {
    const data = this.data as { redirect?: unknown } | undefined;
    return typeof data?.redirect === 'string' ? data.redirect : undefined;
  }

  /** Wraps anything thrown into a PatchbayError (INTERNAL_ERROR unless it already is one). */
  static from(error: unknown): PatchbayError {
    if (error instanceof PatchbayError) return error;
    return new PatchbayError(Codes.INTERNAL_ERROR, error instanceof Error ? error.message : String(error));
  }
}
