import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildToken, TokenError, verifyToken } from './index.js';

const CERT = '0123456789abcdef0123456789abcdef';
const base = { appId: 'app', appCertificate: CERT, channel: 'room' };

async function rejects(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TokenError);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('tokens', () => {
  it('round-trips the claims, with a separate expiry per privilege', async () => {
    const now = 1_800_000_000;
    const token = await buildToken({
      ...base,
      uid: 7,
      expireSeconds: 3600,
      publishAudioExpireSeconds: 600,
      issuedAt: now,
    });
    const claims = await verifyToken(token, { ...base, uid: 7, now: now + 1 });
    assert.deepEqual(claims, {
      appId: 'app',
      channel: 'room',
      uid: 7,
      role: 'host',
      joinExpiresAt: now + 3600,
      publishAudioExpiresAt: now + 600,
      issuedAt: now,
      expiresAt: now + 3600,
    });
    const audience = await buildToken({ ...base, uid: 'a', role: 'audience', issuedAt: now });
    const a = await verifyToken(audience, { ...base, uid: null, now });
    assert.equal(a.uid, 'a');
    assert.equal(a.publishAudioExpiresAt, null);
  });

  it('rejects a bad signature, another app, channel or uid, an expired token or privilege', async () => {
    const token = await buildToken({ ...base, uid: 7, expireSeconds: 60 });
    await rejects(
      verifyToken(token, { ...base, appCertificate: 'x'.repeat(32), uid: 7 }),
      'INVALID_TOKEN',
      /signature/,
    );
    await rejects(verifyToken(token, { ...base, appId: 'other', uid: 7 }), 'INVALID_TOKEN', /app id/);
    await rejects(verifyToken(token, { ...base, channel: 'other', uid: 7 }), 'INVALID_TOKEN', /channel/);
    await rejects(verifyToken(token, { ...base, uid: 8 }), 'INVALID_TOKEN', /uid/);
    await rejects(verifyToken(token, { ...base, uid: '7' }), 'INVALID_TOKEN', /uid/);
    await rejects(
      verifyToken(token, { ...base, uid: 7, now: Math.floor(Date.now() / 1000) + 61 }),
      'TOKEN_EXPIRED',
    );
    const now = 1_800_000_000;
    const joinShort = await buildToken({
      ...base,
      uid: 7,
      joinExpireSeconds: 10,
      expireSeconds: 100,
      issuedAt: now,
    });
    await rejects(verifyToken(joinShort, { ...base, uid: 7, now: now + 10 }), 'TOKEN_EXPIRED', /join/);
    await rejects(verifyToken('', { ...base, uid: 7 }), 'INVALID_TOKEN');
    await rejects(verifyToken('a.b.c', { ...base, uid: 7 }), 'INVALID_TOKEN');
    // alg "none" and a tampered payload.
    const [h, p, s] = token.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    await rejects(verifyToken(none, { ...base, uid: 7 }), 'INVALID_TOKEN');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.channel = 'other';
    await rejects(
      verifyToken(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`, {
        ...base,
        channel: 'other',
        uid: 7,
      }),
      'INVALID_TOKEN',
      /signature/,
    );
  });

  it('caps the lifetime at 24 h and checks its input', async () => {
    await assert.rejects(buildToken({ ...base, uid: 1, expireSeconds: 86401 }), RangeError);
    await assert.rejects(buildToken({ ...base, uid: 1, publishAudioExpireSeconds: 0 }), RangeError);
    await assert.rejects(buildToken({ ...base, appCertificate: 'short', uid: 1 }), TypeError);
    await assert.rejects(buildToken({ ...base, uid: -1 }), TypeError);
    await assert.rejects(buildToken({ ...base, role: 'admin' as 'host', uid: 1 }), TypeError);
  });
});
