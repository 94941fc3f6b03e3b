export {
  type DecodeFailure,
  type DecodeResult,
  decodeClientMessage,
  decodeServerMessage,
  encodeMessage,
} from './codec.js';
export { ERROR_CODES, ErrorCode, isErrorCode } from './errorCodes.js';
export {
  type ClientMessage,
  type ClientMessageType,
  CLIENT_MESSAGE_TYPES,
  clientMessageSchema,
  type ErrorMessage,
  type LeaveReason,
  type MediaType,
  type RequestOf,
  type RequestParams,
  type ResultMessage,
  type ResultOf,
  type Role,
  resultSchemas,
  type ServerMessage,
  type ServerNotification,
  serverMessageSchema,
  type Uid,
  type UserInfo,
  uidSchema,
} from './messages.js';
export { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './version.js';
