import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConnectionStateType, createRtcEngine } from '@patchbay/node';
import { buildToken, createServer, type PatchbayServer } from '@patchbay/server';
import { TEST_IP, waitFor } from './support.js';

const APP = 'engine-token-app';
const CERT = 'engine-token-certificate-0123456789';

describe('native engine: token expiry events and renewToken', () => {
  let server: PatchbayServer;
  before(async () => {
    server = await createServer({
      host: '127.0.0.1',
      port: 0,
      rtcPort: 0,
      rtcBind: TEST_IP,
      logLevel: 'warn',
      apps: { [APP]: CERT },
    });
  });
  after(() => server.close());

  it('fires onTokenPrivilegeWillExpire with the token 30 s before expiry; renewToken keeps the connection', async () => {
    const engine = createRtcEngine();
    engine.initialize({ appId: APP, server: server.url });
    const events: string[] = [];
    let willExpireToken: string | null = null;
    engine.registerEventHandler({
      onTokenPrivilegeWillExpire: (_connection, token) => {
        events.push('will-expire');
        willExpireToken = token;
      },
      onConnectionStateChanged: (_connection, state) => events.push(`state:${state}`),
    });
    // 33 s of join privilege: inside the 30 s warning window almost at once.
    const short = await buildToken({
      appId: APP,
      appCertificate: CERT,
      channel: 'tok',
      uid: 7,
      expireSeconds: 33,
    });
    await engine.joinChannel(short, 'tok', 7, {});
    await waitFor(() => events.includes('will-expire'), 10000, 'onTokenPrivilegeWillExpire');
    assert.equal(willExpireToken, short, 'the callback carries the token that is about to expire');
    const renewed = await buildToken({
      appId: APP,
      appCertificate: CERT,
      channel: 'tok',
      uid: 7,
      expireSeconds: 3600,
    });
    await engine.renewToken(renewed);
    const before = events.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(
      !events.slice(before).includes(`state:${ConnectionStateType.ConnectionStateDisconnected}`),
      'renewing did not disconnect',
    );
    assert.equal(server.stats().participants, 1, 'still in the channel');
    await engine.leaveChannel();
    engine.release();
  });
});
