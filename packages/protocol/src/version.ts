/** Signaling protocol version; bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Largest signaling frame either side accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
