import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@patchbay/node';
import { CLIENT_MESSAGE_TYPES, ErrorCode } from '@patchbay/protocol';
import type { PatchbayServer } from '@patchbay/server';
import { WebSocket } from 'ws';
import { startServer } from './support.js';

/** A raw WebSocket peer that sends frames and collects what comes back. */
async function rawPeer(url: string) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const inbox: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => inbox.push(JSON.parse(String(data))));
  const next = async (): Promise<Record<string, unknown>> => {
    const end = Date.now() + 3000;
    while (inbox.length === 0) {
      if (Date.now() > end) throw new Error('no reply');
      await new Promise((r) => setTimeout(r, 5));
    }
    return inbox.shift() as Record<string, unknown>;
  };
  return { ws, next, send: (frame: string | Buffer) => ws.send(frame) };
}

describe('signaling: malformed input gets a coded error and the server keeps serving', () => {
  let server: PatchbayServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('answers each bad frame with its stable code', async () => {
    const peer = await rawPeer(server.url);
    const cases: Array<[string | Buffer, string, number | null]> = [
      ['not json', ErrorCode.MALFORMED_MESSAGE, null],
      ['[1,2,3]', ErrorCode.MALFORMED_MESSAGE, null],
      ['{"id":4}', ErrorCode.MALFORMED_MESSAGE, 4],
      ['{"type":"teleport","id":5}', ErrorCode.UNKNOWN_MESSAGE_TYPE, 5],
      ['{"type":"join","id":6,"appId":"a","channel":"c","token":null,"uid":-1}', ErrorCode.INVALID_PARAMS, 6],
      [
        '{"type":"join","id":7,"appId":"a","channel":"../../x\\u0000","token":null,"uid":null}',
        ErrorCode.INVALID_PARAMS,
        7,
      ],
      [JSON.stringify({ type: 'publish', id: 8, sdp: 'v=0' }), ErrorCode.INVALID_OPERATION, 8],
      [JSON.stringify({ type: 'ping', id: 9, pad: 'x'.repeat(70000) }), ErrorCode.MESSAGE_TOO_LARGE, null],
      [Buffer.from([0xff, 0xfe, 0x00]), ErrorCode.MALFORMED_MESSAGE, null],
    ];
    for (const [frame, code, id] of cases) {
      peer.send(frame);
      const reply = await peer.next();
      assert.equal(reply.type, 'error');
      assert.equal(reply.code, code, `${String(frame).slice(0, 40)} -> ${String(reply.code)}`);
      assert.equal(reply.id, id);
      assert.equal(typeof reply.message, 'string');
    }
    // Bad SDP after a valid join is a negotiation error, not a crash.
    peer.send(JSON.stringify({ type: 'join', id: 10, appId: 'a', channel: 'c', token: null, uid: 'raw' }));
    assert.equal((await peer.next()).type, 'result');
    peer.send(JSON.stringify({ type: 'publish', id: 11, sdp: 'v=0\r\nm=video 9 RTP/AVP 96\r\n' }));
    const bad = await peer.next();
    assert.equal(bad.code, ErrorCode.NEGOTIATION_FAILED);
    peer.send(JSON.stringify({ type: 'join', id: 12, appId: 'a', channel: 'c', token: null, uid: 'again' }));
    assert.equal((await peer.next()).code, ErrorCode.INVALID_OPERATION, 'double join');
    peer.send(JSON.stringify({ type: 'subscribe', id: 13, uid: 'nobody' }));
    assert.equal((await peer.next()).code, ErrorCode.INVALID_REMOTE_USER);
    peer.ws.close();
  });

  it('rejects a second participant with the same uid (UID_CONFLICT) and keeps the first', async () => {
    const a = createClient({ server: server.url });
    const b = createClient({ server: server.url });
    await a.join('app', 'conflict', null, 'same');
    await assert.rejects(b.join('app', 'conflict', null, 'same'), { code: ErrorCode.UID_CONFLICT });
    assert.equal(a.connectionState, 'CONNECTED');
    assert.equal(b.connectionState, 'DISCONNECTED');
    await a.leave();
  });

  it('fuzz smoke: 5,000 random and mutated frames, then a normal client still joins', async () => {
    const peer = await rawPeer(server.url);
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const valid = [
      { type: 'join', id: 1, appId: 'fz', channel: 'fz', token: null, uid: null },
      { type: 'subscribe', id: 2, uid: 1 },
      { type: 'answer', id: 3, sdp: 'v=0' },
      { type: 'publish', id: 4, sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n' },
      { type: 'leave', id: 5 },
    ];
    const junk = [null, -1, 1e308, 'x'.repeat(300), [], {}, true, '\u0000', 2 ** 53];
    for (let i = 0; i < 5000; i++) {
      const base = { ...valid[Math.floor(rand() * valid.length)] } as Record<string, unknown>;
      const keys = [...Object.keys(base), 'type', 'id', 'uid', 'extra'];
      const mutations = 1 + Math.floor(rand() * 3);
      for (let m = 0; m < mutations; m++) {
        const key = keys[Math.floor(rand() * keys.length)];
        if (rand() < 0.2) delete base[key];
        else
          base[key] =
            rand() < 0.3
              ? CLIENT_MESSAGE_TYPES[Math.floor(rand() * CLIENT_MESSAGE_TYPES.length)]
              : junk[Math.floor(rand() * junk.length)];
      }
      let frame = JSON.stringify(base);
      if (rand() < 0.1) frame = frame.slice(0, Math.floor(rand() * frame.length));
      peer.send(frame);
    }
    peer.send(JSON.stringify({ type: 'ping', id: 999999 }));
    for (;;) {
      const reply = await peer.next();
      if (reply.id === 999999) break;
    }
    peer.ws.close();
    const client = createClient({ server: server.url });
    await client.join('app', 'after-fuzz', null, null);
    assert.equal(client.connectionState, 'CONNECTED');
    await client.leave();
  });
});
