import { type ErrorCode, ErrorCode as Codes } from '@patchbay/protocol';

/** The one error class of the server. Its `code` is sent to the client in an `error` reply. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly code: ErrorCode;
  /** With REDIRECT: the WebSocket URL of the node that owns the channel. */
  readonly redirect: string | undefined;

  constructor(code: ErrorCode, message: string, redirect?: string) {
    super(message);
    this.code = code;
    this.redirect = redirect;
  }

  static invalidOperation(message: string): ServerError {
    return new ServerError(Codes.INVALID_OPERATION, message);
  }
  static negotiation(message: string): ServerError {
    return new ServerError(Codes.NEGOTIATION_FAILED, message);
  }
}
