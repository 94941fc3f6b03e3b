import type { z } from 'zod';
import { ErrorCode } from './errorCodes.js';
import {
  CLIENT_MESSAGE_TYPES,
  type ClientMessage,
  clientMessageSchema,
  type ServerMessage,
  serverMessageSchema,
} from './messages.js';
import { MAX_MESSAGE_BYTES } from './version.js';

/** Why a frame could not be decoded; carried back to the sender as an `error` message. */
export interface DecodeFailure {
  ok: false;
  code: ErrorCode;
  message: string;
  /** The request id, when the frame had a readable one, so the error reply can be correlated. */
  id: number | null;
}
export type DecodeResult<T> = { ok: true; message: T } | DecodeFailure;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function fail(code: ErrorCode, message: string, id: number | null): DecodeFailure {
  return { ok: false, code, message, id };
}

function readId(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

function decodeWith<T>(
  frame: string | Uint8Array,
  schema: z.ZodType<T>,
  knownTypes: readonly string[] | null,
  maxBytes: number,
): DecodeResult<T> {
  // TextEncoder/TextDecoder, not Buffer: this module also runs in browsers.
  const size = typeof frame === 'string' ? utf8.encode(frame).byteLength : frame.byteLength;
  if (size > maxBytes) {
    return fail(
      ErrorCode.MESSAGE_TOO_LARGE,
      `message of ${size} bytes exceeds the ${maxBytes}-byte limit`,
      null,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof frame === 'string' ? frame : utf8Decoder.decode(frame));
  } catch {
    return fail(ErrorCode.MALFORMED_MESSAGE, 'message is not valid JSON', null);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(ErrorCode.MALFORMED_MESSAGE, 'message must be a JSON object', null);
  }
  const id = readId(value);
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return fail(ErrorCode.MALFORMED_MESSAGE, 'message has no string "type"', id);
  }
  if (knownTypes && !knownTypes.includes(type)) {
    return fail(ErrorCode.UNKNOWN_MESSAGE_TYPE, `unknown message type "${type.slice(0, 40)}"`, id);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return fail(ErrorCode.INVALID_PARAMS, `invalid "${type}": ${describe(parsed.error)}`, id);
  }
  return { ok: true, message: parsed.data };
}

/** Decode a client frame on the server. Never throws. */
export function decodeClientMessage(
  frame: string | Uint8Array,
  maxBytes = MAX_MESSAGE_BYTES,
): DecodeResult<ClientMessage> {
  return decodeWith(frame, clientMessageSchema, CLIENT_MESSAGE_TYPES, maxBytes);
}

/** Decode a server frame in an SDK. Never throws. */
export function decodeServerMessage(
  frame: string | Uint8Array,
  maxBytes = MAX_MESSAGE_BYTES * 4,
): DecodeResult<ServerMessage> {
  return decodeWith(frame, serverMessageSchema, null, maxBytes);
}

export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
