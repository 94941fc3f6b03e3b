import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import fc from 'fast-check';
import {
  acceptsRed,
  announceCandidate,
  listMids,
  parseAudioOffer,
  SdpError,
  stripCandidates,
  stripSsrcLines,
  withPtime,
} from './sdp.js';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 0',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendonly',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=ssrc:123456 cname:x',
  'a=candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host',
  '',
].join('\r\n');

describe('sdp', () => {
  it('strips the candidates a client announces and keeps everything else', () => {
    const withEnd =
      OFFER + 'a=candidate:2 1 udp 2122260222 10.0.0.2 5001 typ host\r\na=end-of-candidates\r\n';
    const stripped = stripCandidates(withEnd);
    assert.doesNotMatch(stripped, /candidate/);
    assert.equal(stripped, OFFER.replace(/^a=candidate:.*\r\n/m, ''));
    assert.deepEqual(parseAudioOffer(stripped), parseAudioOffer(OFFER));
  });

  it('reads mid, Opus payload type, SSRC and the audio-level extension', () => {
    assert.deepEqual(parseAudioOffer(OFFER), {
      mid: '0',
      opusPayloadType: 111,
      ssrc: 123456,
      audioLevelExtId: 1,
      redPayloadType: null,
    });
  });

  it('finds RED for this Opus only with its fmtp, and whether an answer accepts RED per mid', () => {
    const withRed = OFFER.replace(
      'a=rtpmap:63 red/48000/2\r\n',
      'a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n',
    );
    assert.equal(parseAudioOffer(withRed).redPayloadType, 63);
    const otherCodec = OFFER.replace(
      'a=rtpmap:63 red/48000/2\r\n',
      'a=rtpmap:63 red/48000/2\r\na=fmtp:63 0/0\r\n',
    );
    assert.equal(parseAudioOffer(otherCodec).redPayloadType, null);
    const answer = `${withRed}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=rtpmap:111 opus/48000/2\r\n`;
    assert.equal(acceptsRed(answer, '0'), true);
    assert.equal(acceptsRed(answer, '1'), false);
    assert.equal(acceptsRed(answer, '7'), false);
  });

  it('rejects offers it cannot forward', () => {
    assert.throws(() => parseAudioOffer('v=0\r\nm=video 9 RTP/AVP 96\r\n'), SdpError);
    assert.throws(() => parseAudioOffer(OFFER.replace('opus', 'PCMU')), /Opus/);
    assert.throws(() => parseAudioOffer(OFFER.replace('a=ssrc:123456 cname:x\r\n', '')), /ssrc/);
    assert.throws(() => parseAudioOffer(OFFER.replace('a=sendonly', 'a=recvonly')), /does not send/);
  });

  it('announces exactly one candidate per m-line and strips ssrc lines', () => {
    const out = announceCandidate(OFFER, '10.203.0.1', 7080);
    assert.deepEqual(
      out.split('\r\n').filter((l) => l.startsWith('a=candidate')),
      ['a=candidate:1 1 UDP 2122317823 10.203.0.1 7080 typ host'],
    );
    assert.match(out, /c=IN IP4 10\.203\.0\.1/);
    assert.ok(!stripSsrcLines(OFFER).includes('a=ssrc'));
    assert.deepEqual(listMids(OFFER), ['0']);
  });

  it('fuzz smoke: arbitrary text never throws anything but SdpError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          parseAudioOffer(text);
        } catch (error) {
          assert.ok(error instanceof SdpError);
        }
        announceCandidate(text, '127.0.0.1', 1);
      }),
      { numRuns: 5000 },
    );
  });
});

test('withPtime asks for shorter Opus frames in the answer, and leaves 20 ms alone', () => {
  const sdp = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n';
  assert.equal(withPtime(sdp, 20), sdp);
  assert.equal(withPtime(sdp, 10), 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ptime:10\r\na=mid:0\r\n');
});
