import { PatchbayError } from '@patchbay/client';
import { ErrorCode } from '@patchbay/protocol';

/** The codes only the browser SDK produces (all in @patchbay/protocol's ErrorCode). */
export const WebErrorCode = {
  PERMISSION_DENIED: ErrorCode.PERMISSION_DENIED,
  DEVICE_NOT_FOUND: ErrorCode.DEVICE_NOT_FOUND,
  INVALID_LOCAL_TRACK: ErrorCode.INVALID_LOCAL_TRACK,
  MEDIA_ERROR: ErrorCode.MEDIA_ERROR,
  FETCH_AUDIO_FILE_FAILED: ErrorCode.FETCH_AUDIO_FILE_FAILED,
  DECODE_AUDIO_FILE_FAILED: ErrorCode.DECODE_AUDIO_FILE_FAILED,
} as const;

export type WebErrorCode = (typeof WebErrorCode)[keyof typeof WebErrorCode];

/** A PatchbayError with one of the browser-only codes. */
export function webError(code: WebErrorCode, message: string, data?: unknown): PatchbayError {
  return new PatchbayError(code, message, data);
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
