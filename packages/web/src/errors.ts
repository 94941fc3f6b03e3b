import { PatchbayError } from '@patchbay/client';
import { ErrorCode } from '@patchbay/protocol';

/**
 * Codes the browser SDK produces that are not (yet) in @patchbay/protocol's ErrorCode: they come
 * from the browser's media APIs and have the Web SDK NG's names.
 */
export const WebErrorCode = {
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  INVALID_LOCAL_TRACK: 'INVALID_LOCAL_TRACK',
  MEDIA_ERROR: 'MEDIA_ERROR',
} as const;

export type WebErrorCode = (typeof WebErrorCode)[keyof typeof WebErrorCode];

/** A PatchbayError with one of the browser-only codes. */
export function webError(code: WebErrorCode, message: string, data?: unknown): PatchbayError {
  return new PatchbayError(code as unknown as ErrorCode, message, data);
}

export function notSupported(message: string): PatchbayError {
  return new PatchbayError(ErrorCode.NOT_SUPPORTED, message);
}

/** Maps a getUserMedia failure to a PatchbayError. */
export function mediaError(error: unknown): PatchbayError {
  const name = (error as { name?: string } | null)?.name ?? '';
  const message = (error as { message?: string } | null)?.message ?? String(error);
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return webError(WebErrorCode.PERMISSION_DENIED, `microphone access was denied: ${message}`, error);
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return webError(WebErrorCode.DEVICE_NOT_FOUND, `no matching microphone: ${message}`, error);
  }
  return webError(WebErrorCode.MEDIA_ERROR, `cannot open the microphone: ${name} ${message}`.trim(), error);
}
