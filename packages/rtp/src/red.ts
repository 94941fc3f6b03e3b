/**
 * RED (RFC 2198) payloads: redundant blocks, each with a 4-byte header (F=1, block PT, timestamp
 * offset, length), then a 1-byte header (F=0, primary PT) and the blocks' data, primary last.
 */

/**
 * Offset of the primary block's data in a RED packet whose payload spans [payloadOffset, end),
 * or -1 when the headers or lengths overrun it. Allocation-free; never throws.
 */
export function redPrimaryOffset(buf: Uint8Array, payloadOffset: number, end: number): number {
  let o = payloadOffset;
  let redundant = 0;
  while (o < end && buf[o] & 0x80) {
    if (o + 4 > end) return -1;
    redundant += ((buf[o + 2] & 0x03) << 8) | buf[o + 3];
    o += 4;
  }
  if (o >= end) return -1;
  const primary = o + 1 + redundant;
  return primary <= end ? primary : -1;
}

/**
 * Writes the plain packet carried by a RED packet into `out`: the RTP header (padding bit
 * cleared, payload type `primaryPt`) followed by the primary block. Returns its length, or -1 when
 * malformed or `out` is too small. Allocation-free.
 */
export function stripRed(
  buf: Buffer,
  length: number,
  payloadOffset: number,
  primaryPt: number,
  out: Buffer,
): number {
  const end = buf[0] & 0x20 ? length - buf[length - 1] : length;
  const primary = redPrimaryOffset(buf, payloadOffset, end);
  if (primary < 0) return -1;
  const n = payloadOffset + (end - primary);
  if (n > out.length) return -1;
  buf.copy(out, 0, 0, payloadOffset);
  buf.copy(out, payloadOffset, primary, end);
  out[0] &= ~0x20;
  out[1] = (out[1] & 0x80) | (primaryPt & 0x7f);
  return n;
}

/**
 * Sets the payload type in every block header of a RED packet to `pt`, in place: the redundant
 * blocks' 4-byte headers and the primary's 1-byte header (F bits, offsets and lengths kept). A
 * publisher's RED carries its own Opus payload type inside, which a subscriber whose Opus has
 * another number cannot decode. Returns false (and changes nothing) when the headers overrun the
 * payload. Allocation-free.
 */
export function setRedBlockPayloadTypes(
  buf: Uint8Array,
  payloadOffset: number,
  end: number,
  pt: number,
): boolean {
  if (redPrimaryOffset(buf, payloadOffset, end) < 0) return false;
  let o = payloadOffset;
  while (buf[o] & 0x80) {
    buf[o] = 0x80 | (pt & 0x7f);
    o += 4;
  }
  buf[o] = pt & 0x7f;
  return true;
}
