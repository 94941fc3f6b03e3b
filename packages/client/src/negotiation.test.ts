import assert from 'node:assert/strict';
import { test } from 'node:test';
import { negotiatePublisher } from './negotiation.js';
import type { MediaStreamTrackLike, PeerConnectionLike, SessionDescriptionLike } from './platform.js';
import type { SignalClient } from './SignalClient.js';

const OFFER = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';

/** A connection whose ICE gathering never completes (as with libwebrtc for ~100 ms). */
function gatheringForeverPc(log: string[]): PeerConnectionLike {
  let local: SessionDescriptionLike | null = null;
  return {
    get localDescription() {
      return local;
    },
    remoteDescription: null,
    iceGatheringState: 'gathering',
    connectionState: 'new',
    onicegatheringstatechange: null,
    onconnectionstatechange: null,
    addTransceiver: () => ({}) as never,
    getTransceivers: () => [],
    createOffer: async () => ({ type: 'offer', sdp: OFFER }),
    createAnswer: async () => assert.fail('a publisher never answers'),
    setLocalDescription: async (d) => {
      local = d;
      log.push('setLocal');
    },
    setRemoteDescription: async (d) => {
      log.push(`setRemote ${d.type}`);
    },
    getStats: async () => [],
    close: () => undefined,
  };
}

test('a publisher sends its offer without waiting for ICE gathering (the server ignores client candidates)', async (t) => {
  // With timers frozen, a wait for gathering (or for its timeout) would never end.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const log: string[] = [];
  const signal = {
    request: async (type: string, params: { sdp: string }) => {
      log.push(`${type} ${params.sdp === OFFER ? 'offer' : 'other'}`);
      return { sdp: 'answer-sdp' };
    },
  } as unknown as SignalClient;
  await negotiatePublisher(gatheringForeverPc(log), signal, {} as MediaStreamTrackLike);
  assert.deepEqual(log, ['setLocal', 'publish offer', 'setRemote answer']);
});
