/**
 * Pure SDP helpers for the media engine. We never trust client SDP beyond what these read,
 * and we control the candidates we announce.
 */

export interface AudioOffer {
  mid: string;
  opusPayloadType: number;
  /** The publisher's SSRC (a=ssrc), which the engine needs to accept its packets. */
  ssrc: number;
  /** Extension id of urn:ietf:params:rtp-hdrext:ssrc-audio-level, if offered. */
  audioLevelExtId: number | null;
  /** Payload type of RED (RFC 2198) carrying this Opus (`red/48000/2`, fmtp `<opus>/<opus>`), if offered. */
  redPayloadType: number | null;
}

export class SdpError extends Error {
  override readonly name = 'SdpError';
}

/** Reads the first audio m-section of a publisher's offer. Throws SdpError when unusable. */
export function parseAudioOffer(sdp: string): AudioOffer {
  const sections = sdp.split(/\r?\nm=/);
  const audio = sections.slice(1).find((s) => s.startsWith('audio '));
  if (!audio) throw new SdpError('the offer has no audio m-line');
  const mid = /^a=mid:(\S+)\s*$/m.exec(audio)?.[1];
  if (!mid || mid.length > 32) throw new SdpError('the audio m-line has no valid a=mid');
  if (/^a=(recvonly|inactive)\s*$/m.test(audio)) throw new SdpError('the audio m-line does not send');
  const pt = /^a=rtpmap:(\d{1,3}) opus\/48000(\/2)?\s*$/im.exec(audio)?.[1];
  if (pt === undefined || Number(pt) > 127) throw new SdpError('the offer does not include Opus/48000');
  const ssrc = /^a=ssrc:(\d{1,10}) /m.exec(audio)?.[1];
  if (ssrc === undefined || Number(ssrc) > 0xffffffff)
    throw new SdpError('the audio m-line announces no a=ssrc');
  const ext = /^a=extmap:(\d{1,2})(?:\/\w+)? urn:ietf:params:rtp-hdrext:ssrc-audio-level\s*$/m.exec(
    audio,
  )?.[1];
  return {
    mid,
    opusPayloadType: Number(pt),
    ssrc: Number(ssrc),
    audioLevelExtId: ext === undefined ? null : Number(ext),
    redPayloadType: findRed(audio, Number(pt)),
  };
}

/** The RED payload type of an m-section whose redundancy is the given Opus payload type, or null. */
function findRed(section: string, opusPt: number): number | null {
  for (const m of section.matchAll(/^a=rtpmap:(\d{1,3}) red\/48000(?:\/2)?\s*$/gim)) {
    const pt = Number(m[1]);
    const fmtp = new RegExp(`^a=fmtp:${pt} ([\\d/]+)\\s*$`, 'm').exec(section)?.[1];
    if (pt <= 127 && fmtp !== undefined && fmtp.split('/').every((p) => Number(p) === opusPt)) return pt;
  }
  return null;
}

/** Whether the m-section `mid` of a description accepts RED (rtpmap `red/48000/2`). */
export function acceptsRed(sdp: string, mid: string): boolean {
  const section = sdp
    .split(/\r?\nm=/)
    .find((s) => new RegExp(`^a=mid:${escapeRegExp(mid)}\\s*$`, 'm').test(s));
  return section !== undefined && /^a=rtpmap:\d{1,3} red\/48000(?:\/2)?\s*$/im.test(section);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces every candidate in `sdp` by one host candidate at ip:port in each m-section, and
 * sets the connection address. What the engine gathered (every interface) is never exposed.
 */
export function announceCandidate(sdp: string, ip: string, port: number): string {
  const family = ip.includes(':') ? 'IP6' : 'IP4';
  const candidate = `a=candidate:1 1 UDP 2122317823 ${ip} ${port} typ host`;
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
    if (line.startsWith('c=IN ')) {
      out.push(`c=IN ${family} ${ip}`);
      continue;
    }
    out.push(line);
    if (line.startsWith('a=mid:')) out.push(candidate, 'a=end-of-candidates');
  }
  return `${out.join('\r\n')}\r\n`;
}

/** Removes a=ssrc lines (used on a receive-only answer, where they name the remote's SSRC). */
export function stripSsrcLines(sdp: string): string {
  return sdp.replace(/^a=ssrc(-group)?:.*\r?\n/gm, '');
}

/** The mids of a description, in m-line order. */
export function listMids(sdp: string): string[] {
  return [...sdp.matchAll(/^a=mid:(\S+)\s*$/gm)].map((m) => m[1]);
}

/**
 * Removes the candidates a client announces (a=candidate, a=end-of-candidates). The server then
 * never sends to an address taken from client SDP: it learns each client's address from the
 * client's own connectivity checks (peer-reflexive), as an ICE-lite server would. A client cannot
 * aim the SFU's checks at a third party, and a relay in front of the media port (a port-forwarding
 * NAT, the tests' impairment proxy) carries both directions of every connection.
 */
export function stripCandidates(sdp: string): string {
  return sdp.replace(/^a=(candidate:.*|end-of-candidates)\r?\n/gm, '');
}

/**
 * Asks the publisher for Opus frames of `ms` (a=ptime in each audio m-section of our answer;
 * libwebrtc sizes its encoder frames by it). 20 ms is Opus's default: nothing is added.
 */
export function withPtime(sdp: string, ms: number): string {
  if (ms === 20) return sdp;
  return sdp.replace(/^(m=audio [^\r\n]*\r?\n)/gm, `$1a=ptime:${ms}\r\n`);
}
