/**
 * Pure, allocation-free readers for RTP and RTCP datagrams (RFC 3550, RFC 5761 demux).
 * Every function is bounds-checked: malformed input yields -1 / false, never a throw.
 */

export const RTP_HEADER_MIN = 12;

/** RFC 5761: RTCP packet types 192..223 share the second byte's range with RTP PT+marker. */
export function isRtcp(buf: Uint8Array, length = buf.length): boolean {
  if (length < 8 || buf[0] >> 6 !== 2) return false;
  const pt = buf[1];
  return pt >= 192 && pt <= 223;
}

/** True when `buf` looks like an RTP packet (version 2, not RTCP, long enough). */
export function isRtp(buf: Uint8Array, length = buf.length): boolean {
  return length >= RTP_HEADER_MIN && buf[0] >> 6 === 2 && !isRtcp(buf, length);
}

/** Offset of the payload, or -1 when the header (CSRCs, extension, padding) overruns the packet. */
export function rtpPayloadOffset(buf: Uint8Array, length = buf.length): number {
  if (length < RTP_HEADER_MIN || buf[0] >> 6 !== 2) return -1;
  let offset = RTP_HEADER_MIN + (buf[0] & 0x0f) * 4;
  if (buf[0] & 0x10) {
    if (offset + 4 > length) return -1;
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    offset += 4 + words * 4;
  }
  let end = length;
  if (buf[0] & 0x20) {
    const pad = buf[length - 1];
    if (pad === 0) return -1;
    end -= pad;
  }
  return offset <= end ? offset : -1;
}

export function readPayloadType(buf: Uint8Array): number {
  return buf[1] & 0x7f;
}

export function readSequence(buf: Uint8Array): number {
  return (buf[2] << 8) | buf[3];
}

export function readTimestamp(buf: Uint8Array): number {
  return ((buf[4] << 24) | (buf[5] << 16) | (buf[6] << 8) | buf[7]) >>> 0;
}

export function readSsrc(buf: Uint8Array): number {
  return ((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0;
}

export function writeUint32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

/** Signed distance from sequence number `a` to `b` modulo 2^16 (positive when b is newer). */
export function seqDelta(a: number, b: number): number {
  const d = (b - a) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}
