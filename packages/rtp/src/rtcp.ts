import { writeUint32 } from './rtpPacket.js';

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2208988800;

export interface ReportBlock {
  ssrc: number;
  fractionLost: number;
  cumulativeLost: number;
  highestSeq: number;
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

export interface SenderReportInit {
  ssrc: number;
  /** Wall-clock time of the report, ms since the Unix epoch. */
  unixMs: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  /** SDES CNAME appended to make a compound packet (RFC 3550 6.1). */
  cname: string;
}

/** Bytes of the compound SR + SDES that writeSenderReport() writes for a CNAME of `cnameBytes` bytes. */
export function senderReportLength(cnameBytes: number): number {
  // SDES chunk: SSRC(4) + item type(1) + len(1) + text + end(1), padded to 32 bits.
  return 28 + 4 + Math.ceil((4 + 2 + cnameBytes + 1) / 4) * 4;
}

/** Encodes a CNAME once, for writeSenderReport(). */
export function encodeCname(cname: string): Buffer {
  return Buffer.from(cname.slice(0, 255), 'utf8').subarray(0, 255);
}

/**
 * Writes a compound RTCP packet into `out` (exactly senderReportLength(cname.length) bytes, e.g. a
 * buffer kept per stream): SR without report blocks, then SDES with the CNAME. No allocation.
 */
export function writeSenderReport(
  out: Uint8Array,
  init: Omit<SenderReportInit, 'cname'>,
  cname: Uint8Array,
): void {
  const seconds = Math.floor(init.unixMs / 1000) + NTP_UNIX_OFFSET_S;
  const fraction = Math.floor(((init.unixMs % 1000) / 1000) * 0x100000000);
  writeSenderReportNtp(
    out,
    init.ssrc,
    seconds,
    fraction,
    init.rtpTimestamp,
    init.packetCount,
    init.octetCount,
    cname,
  );
}

/**
 * Like writeSenderReport, with the NTP timestamp given as its two 32-bit words: used to relay
 * another sender's wall-clock time unchanged (the SFU forwards each publisher's own clock).
 */
export function writeSenderReportNtp(
  out: Uint8Array,
  ssrc: number,
  ntpSeconds: number,
  ntpFraction: number,
  rtpTimestamp: number,
  packetCount: number,
  octetCount: number,
  cname: Uint8Array,
): void {
  const length = senderReportLength(cname.length);
  if (out.length !== length) throw new RangeError(`SR buffer must be ${length} bytes, got ${out.length}`);
  out.fill(0);
  const sdesLen = length - 28;
  out[0] = 0x80;
  out[1] = 200;
  out[2] = 0;
  out[3] = 6;
  writeUint32(out, 4, ssrc >>> 0);
  writeUint32(out, 8, ntpSeconds >>> 0);
  writeUint32(out, 12, ntpFraction >>> 0);
  writeUint32(out, 16, rtpTimestamp >>> 0);
  writeUint32(out, 20, packetCount >>> 0);
  writeUint32(out, 24, octetCount >>> 0);
  const s = 28;
  const words = sdesLen / 4 - 1;
  out[s] = 0x81;
  out[s + 1] = 202;
  out[s + 2] = words >> 8;
  out[s + 3] = words & 0xff;
  writeUint32(out, s + 4, ssrc >>> 0);
  out[s + 8] = 1;
  out[s + 9] = cname.length;
  out.set(cname, s + 10);
}

/** Builds a compound RTCP packet: SR without report blocks, then SDES with the CNAME. */
export function buildSenderReport(init: SenderReportInit): Buffer {
  const cname = encodeCname(init.cname);
  const out = Buffer.alloc(senderReportLength(cname.length));
  writeSenderReport(out, init, cname);
  return out;
}

/**
 * Walks a compound RTCP packet and returns the report blocks of its SR and RR packets.
 * Malformed input ends the walk; it never throws.
 */
export function parseReportBlocks(buf: Uint8Array, length = buf.length): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  let offset = 0;
  while (offset + 4 <= length) {
    if (buf[offset] >> 6 !== 2) break;
    const count = buf[offset] & 0x1f;
    const pt = buf[offset + 1];
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    const end = offset + (words + 1) * 4;
    if (end > length) break;
    const first = pt === 200 ? offset + 28 : pt === 201 ? offset + 8 : -1;
    if (first >= 0) {
      for (let i = 0; i < count; i++) {
        const b = first + i * 24;
        if (b + 24 > end) break;
        const lost = (buf[b + 5] << 16) | (buf[b + 6] << 8) | buf[b + 7];
        blocks.push({
          ssrc: readU32(buf, b),
          fractionLost: buf[b + 4] / 256,
          cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
          highestSeq: readU32(buf, b + 8),
          jitter: readU32(buf, b + 12),
          lastSr: readU32(buf, b + 16),
          delaySinceLastSr: readU32(buf, b + 20),
        });
      }
    }
    offset = end;
  }
  return blocks;
}

function readU32(buf: Uint8Array, o: number): number {
  return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}

/**
 * Finds the report block about `ssrc` in a compound RTCP packet (SR/RR) and copies it into `out`,
 * which the caller keeps and reuses. Returns false when there is none. No allocation; never throws.
 */
export function findReportBlock(
  buf: Uint8Array,
  ssrc: number,
  out: ReportBlock,
  length = buf.length,
): boolean {
  const want = ssrc >>> 0;
  let offset = 0;
  while (offset + 4 <= length) {
    if (buf[offset] >> 6 !== 2) return false;
    const count = buf[offset] & 0x1f;
    const pt = buf[offset + 1];
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    const end = offset + (words + 1) * 4;
    if (end > length) return false;
    const first = pt === 200 ? offset + 28 : pt === 201 ? offset + 8 : -1;
    if (first >= 0) {
      for (let i = 0; i < count; i++) {
        const b = first + i * 24;
        if (b + 24 > end) break;
        if (readU32(buf, b) !== want) continue;
        const lost = (buf[b + 5] << 16) | (buf[b + 6] << 8) | buf[b + 7];
        out.ssrc = want;
        out.fractionLost = buf[b + 4] / 256;
        out.cumulativeLost = lost & 0x800000 ? lost - 0x1000000 : lost;
        out.highestSeq = readU32(buf, b + 8);
        out.jitter = readU32(buf, b + 12);
        out.lastSr = readU32(buf, b + 16);
        out.delaySinceLastSr = readU32(buf, b + 20);
        return true;
      }
    }
    offset = end;
  }
  return false;
}

/** The sender info of an RTCP sender report: whose, and its wall-clock ↔ RTP timestamp pair. */
export interface SenderInfo {
  ssrc: number;
  /** NTP timestamp, seconds since 1900 (32 bits). */
  ntpSeconds: number;
  /** NTP timestamp, fraction of a second (32 bits). */
  ntpFraction: number;
  rtpTimestamp: number;
}

/**
 * Reads the sender info of a (compound) RTCP packet that starts with an SR into `out`, which the
 * caller keeps and reuses. Returns false when the first packet is not a well-formed SR. No allocation.
 */
export function readSenderInfo(buf: Uint8Array, out: SenderInfo, length = buf.length): boolean {
  if (length < 28 || buf[0] >> 6 !== 2 || buf[1] !== 200) return false;
  const words = (buf[2] << 8) | buf[3];
  if ((words + 1) * 4 < 28 || (words + 1) * 4 > length) return false;
  out.ssrc = readU32(buf, 4);
  out.ntpSeconds = readU32(buf, 8);
  out.ntpFraction = readU32(buf, 12);
  out.rtpTimestamp = readU32(buf, 16);
  return true;
}
