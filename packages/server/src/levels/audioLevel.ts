/**
 * RFC 6464 audio level (urn:ietf:params:rtp-hdrext:ssrc-audio-level), read straight from an RTP
 * packet without allocating. Supports the one-byte (RFC 8285, profile 0xBEDE) and two-byte
 * (0x100x) header extension forms.
 */

/**
 * The audio-level byte of extension `extId` in `buf`: bit 7 is the voice-activity flag, bits 0..6
 * the level in -dBov (0 loudest, 127 silence). Returns -1 when the packet does not carry it.
 */
export function readAudioLevelByte(buf: Uint8Array, length: number, extId: number): number {
  if (length < 12) return -1;
  const b0 = buf[0];
  if ((b0 & 0x10) === 0) return -1; // no header extension
  let at = 12 + (b0 & 0x0f) * 4;
  if (at + 4 > length) return -1;
  const profile = (buf[at] << 8) | buf[at + 1];
  const words = (buf[at + 2] << 8) | buf[at + 3];
  at += 4;
  const end = at + words * 4;
  if (end > length) return -1;
  if (profile === 0xbede) {
    while (at < end) {
      const b = buf[at];
      if (b === 0) {
        at++; // padding
        continue;
      }
      const id = b >> 4;
      if (id === 15) return -1;
      const len = (b & 0x0f) + 1;
      if (id === extId) return at + 1 < end ? buf[at + 1] : -1;
      at += 1 + len;
    }
    return -1;
  }
  if ((profile & 0xfff0) === 0x1000) {
    while (at < end) {
      const id = buf[at];
      if (id === 0) {
        at++;
        continue;
      }
      if (at + 1 >= end) return -1;
      const len = buf[at + 1];
      if (id === extId) return len > 0 && at + 2 < end ? buf[at + 2] : -1;
      at += 2 + len;
    }
  }
  return -1;
}

/** A level in -dBov (0..127) as a volume 0..100: 0 dBov is 100, -100 dBov and below is 0. */
export function volumeFromDbov(dbov: number): number {
  return dbov >= 100 ? 0 : 100 - dbov;
}
