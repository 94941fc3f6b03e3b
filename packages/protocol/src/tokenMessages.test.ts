import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeClientMessage, decodeServerMessage } from './codec.js';
import { ErrorCode } from './errorCodes.js';

describe('token and role messages', () => {
  it('decodes renewToken, setRole and join with mode', () => {
    for (const m of [
      { type: 'renewToken', id: 1, token: 'a.b.c' },
      { type: 'setRole', id: 2, role: 'audience' },
      { type: 'join', id: 3, appId: 'a', channel: 'c', token: null, uid: null, mode: 'live', role: 'host' },
      { type: 'join', id: 4, appId: 'a', channel: 'c', token: null, uid: null },
    ]) {
      const d = decodeClientMessage(JSON.stringify(m));
      assert.ok(d.ok, JSON.stringify(m));
    }
    const bad = [
      { type: 'renewToken', id: 1, token: '' },
      { type: 'renewToken', id: 1, token: 'x'.repeat(5000) },
      { type: 'setRole', id: 2, role: 'admin' },
      { type: 'join', id: 3, appId: 'a', channel: 'c', token: null, uid: null, mode: 'broadcast' },
    ];
    for (const m of bad) {
      const d = decodeClientMessage(JSON.stringify(m));
      assert.ok(!d.ok && d.code === ErrorCode.INVALID_PARAMS, JSON.stringify(m));
    }
  });

  it('decodes the token expiry notifications', () => {
    assert.ok(
      decodeServerMessage('{"type":"token-privilege-will-expire","privilege":"join","expiresAt":1}').ok,
    );
    assert.ok(decodeServerMessage('{"type":"token-privilege-did-expire","privilege":"publishAudio"}').ok);
    assert.ok(!decodeServerMessage('{"type":"token-privilege-did-expire","privilege":"video"}').ok);
  });
});
