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
}
