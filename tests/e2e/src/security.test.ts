import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createClient, type NodeClient } from '@patchbay/node';
import { ErrorCode } from '@patchbay/protocol';
import {
  buildToken,
  createServer,
  type PatchbayServer,
  type ServerOptions,
  verifyToken,
} from '@patchbay/server';
import { WebSocket } from 'ws';
import { type Msg, rawPeer } from './rawPeer.js';
import { sleep, TEST_IP, waitFor } from './support.js';

const APP = 'secure-app';
const CERT = 'test-certificate-0123456789abcdef';

function server(options: Partial<ServerOptions> = {}): Promise<PatchbayServer> {
  return createServer({
    host: '127.0.0.1',
    port: 0,
    rtcPort: 0,
    rtcBind: TEST_IP,
    logLevel: (process.env.PATCHBAY_TEST_LOG_LEVEL as 'error') || 'error',
    apps: { [APP]: CERT },
    ...options,
  });
}

function token(
  channel: string,
  uid: number | string | null,
  extra: Partial<Parameters<typeof buildToken>[0]> = {},
) {
  return buildToken({ appId: APP, appCertificate: CERT, channel, uid, ...extra });
}

async function joinRaw(
  url: string,
  channel: string,
  uid: number | string | null,
  tok: string | null,
  extra: Msg = {},
) {
  const peer = await rawPeer(url);
  const reply = await peer.request({ type: 'join', appId: APP, channel, token: tok, uid, ...extra });
  return { peer, reply };
}

/** A Node client that publishes (silence) as soon as it joins. */
async function publisher(
  srv: PatchbayServer,
  channel: string,
  uid: string,
  tok: string | null,
): Promise<NodeClient> {
  const client = createClient({ server: srv.url });
  client.setExternalAudioSource(true, 48000, 1);
  await client.join(APP, channel, tok, uid);
  return client;
}

describe('security: tokens', () => {
  let srv: PatchbayServer;
  const clients: NodeClient[] = [];
  before(async () => {
    srv = await server({ tokenWarnSeconds: 1 });
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    await srv.close();
  });

  it('a valid token joins; the uid comes from the token when the join names none', async () => {
    const { peer, reply } = await joinRaw(srv.url, 'ok', null, await token('ok', 'from-token'));
    assert.equal(reply.type, 'result');
    assert.equal((reply.data as Msg).uid, 'from-token');
    peer.close();
  });

  it('bad signature -> INVALID_TOKEN', async () => {
    const forged = await buildToken({
      appId: APP,
      appCertificate: 'another-certificate-0123456789',
      channel: 'c',
      uid: 1,
    });
    const client = createClient({ server: srv.url });
    await assert.rejects(client.join(APP, 'c', forged, 1), { code: ErrorCode.INVALID_TOKEN });
    assert.equal(client.connectionState, 'DISCONNECTED');
  });

  it('wrong channel -> INVALID_TOKEN', async () => {
    const client = createClient({ server: srv.url });
    await assert.rejects(client.join(APP, 'other', await token('c', 1), 1), {
      code: ErrorCode.INVALID_TOKEN,
    });
  });

  it('expired token -> TOKEN_EXPIRED', async () => {
    const old = await token('c', 1, { expireSeconds: 60, issuedAt: Math.floor(Date.now() / 1000) - 120 });
    const client = createClient({ server: srv.url });
    await assert.rejects(client.join(APP, 'c', old, 1), { code: ErrorCode.TOKEN_EXPIRED });
  });

  it('null token -> INVALID_TOKEN, unknown app id -> INVALID_APP_ID, garbage -> INVALID_TOKEN', async () => {
    const client = createClient({ server: srv.url });
    const present = srv.stats().participants;
    await assert.rejects(client.join(APP, 'c', null, 1), { code: ErrorCode.INVALID_TOKEN });
    await assert.rejects(client.join('nobody', 'c', await token('c', 1), 1), {
      code: ErrorCode.INVALID_APP_ID,
    });
    await assert.rejects(client.join(APP, 'c', 'a.b.c', 1), { code: ErrorCode.INVALID_TOKEN });
    // Nothing was allocated for the rejected joins.
    assert.equal(srv.stats().participants, present);
    assert.ok((srv.stats().counters.INVALID_TOKEN ?? 0) >= 2);
  });

  it('spoofed uid (token for alice, join as bob) -> INVALID_TOKEN; renewing with it too', async () => {
    const client = createClient({ server: srv.url });
    await assert.rejects(client.join(APP, 'c', await token('c', 'alice'), 'bob'), {
      code: ErrorCode.INVALID_TOKEN,
    });
    const { peer, reply } = await joinRaw(srv.url, 'c', 'bob', await token('c', 'bob'));
    assert.equal(reply.type, 'result');
    const renew = await peer.request({ type: 'renewToken', token: await token('c', 'alice') });
    assert.equal(renew.code, ErrorCode.INVALID_TOKEN);
    const other = await peer.request({ type: 'renewToken', token: await token('elsewhere', 'bob') });
    assert.equal(other.code, ErrorCode.INVALID_TOKEN);
    peer.close();
  });

  it('expired publish privilege: will-expire, did-expire, publishing stops; publishing again -> TOKEN_EXPIRED', async () => {
    const listener = createClient({ server: srv.url });
    clients.push(listener);
    const unpublished: string[] = [];
    listener.on('user-unpublished', (u) => unpublished.push(String(u.uid)));
    await listener.join(APP, 'pub-exp', await token('pub-exp', 'listener'), 'listener');
    const pub = createClient({ server: srv.url });
    clients.push(pub);
    const events: string[] = [];
    pub.on('token-privilege-will-expire', (p) => events.push(`will:${p}`));
    pub.on('token-privilege-did-expire', (p) => events.push(`did:${p}`));
    pub.setExternalAudioSource(true, 48000, 1);
    await pub.join(
      APP,
      'pub-exp',
      await token('pub-exp', 'pub', { publishAudioExpireSeconds: 4, expireSeconds: 600 }),
      'pub',
    );
    assert.equal(pub.isPublishing, true);
    await waitFor(() => events.includes('did:publishAudio'), 9000, 'did-expire');
    assert.deepEqual(events, ['will:publishAudio', 'did:publishAudio']);
    assert.equal(pub.isPublishing, false);
    assert.equal(pub.connectionState, 'CONNECTED', 'still in the channel');
    await waitFor(() => unpublished.includes('pub'), 2000, 'user-unpublished');
    assert.equal(srv.stats().publishers, 0);
    await assert.rejects(pub.publish(), { code: ErrorCode.TOKEN_EXPIRED });
    // A renewed token grants publishing again, without reconnecting.
    await pub.renewToken(await token('pub-exp', 'pub', { expireSeconds: 600 }));
    await pub.publish();
    assert.equal(srv.stats().publishers, 1);
    await pub.leave();
    await listener.leave();
  });

  it('join privilege: renewToken before expiry keeps the session; without it did-expire and disconnect', async () => {
    const renewed = createClient({ server: srv.url });
    const expiring = createClient({ server: srv.url });
    clients.push(renewed, expiring);
    const events: string[] = [];
    const states: string[] = [];
    renewed.on('token-privilege-will-expire', async (p) => {
      events.push(`renewed will:${p}`);
      await renewed.renewToken(await token('join-exp', 'r', { expireSeconds: 600 }));
    });
    renewed.on('token-privilege-did-expire', (p) => events.push(`renewed did:${p}`));
    expiring.on('token-privilege-did-expire', (p) => events.push(`expiring did:${p}`));
    expiring.on('connection-state-change', (s) => states.push(s));
    await renewed.join(APP, 'join-exp', await token('join-exp', 'r', { expireSeconds: 4 }), 'r');
    await expiring.join(APP, 'join-exp', await token('join-exp', 'e', { expireSeconds: 4 }), 'e');
    await waitFor(() => expiring.connectionState === 'DISCONNECTED', 9000, 'expiring client dropped');
    await sleep(1000);
    assert.ok(events.includes('renewed will:join'));
    assert.ok(events.includes('expiring did:join'));
    assert.ok(!events.includes('renewed did:join'), events.join());
    assert.equal(renewed.connectionState, 'CONNECTED');
    assert.deepEqual(states.slice(-1), ['DISCONNECTED']);
    assert.equal(srv.stats().counters['expired:join'], 1);
    await renewed.leave();
  });
});

describe('security: roles and identity', () => {
  let srv: PatchbayServer;
  const clients: NodeClient[] = [];
  before(async () => {
    srv = await server();
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    await srv.close();
  });

  it('audience publish -> AUDIENCE_CANNOT_PUBLISH; live mode announces hosts only', async () => {
    const host = createClient({ server: srv.url, mode: 'live' });
    clients.push(host);
    await host.setClientRole('host');
    const seen: string[] = [];
    host.on('user-joined', (u) => seen.push(`joined:${String(u.uid)}`));
    host.on('user-left', (u, reason) => seen.push(`left:${String(u.uid)}:${reason}`));
    await host.join(APP, 'live', await token('live', 'host'), 'host');

    const { peer, reply } = await joinRaw(srv.url, 'live', 'aud', await token('live', 'aud'), {
      mode: 'live',
      role: 'audience',
    });
    assert.equal(reply.type, 'result');
    assert.deepEqual(
      ((reply.data as Msg).users as Msg[]).map((u) => u.uid),
      ['host'],
      'the audience sees the host',
    );
    const pub = await peer.request({ type: 'publish', sdp: 'v=0' });
    assert.equal(pub.code, ErrorCode.AUDIENCE_CANNOT_PUBLISH);
    await sleep(200);
    assert.deepEqual(seen, [], 'an audience member is not announced');
    // Becoming a host announces it; going back to the audience says BecomeAudience.
    assert.equal((await peer.request({ type: 'setRole', role: 'host' })).type, 'result');
    await waitFor(() => seen.length === 1, 2000, 'user-joined');
    assert.equal((await peer.request({ type: 'setRole', role: 'audience' })).type, 'result');
    await waitFor(() => seen.length === 2, 2000, 'user-left');
    assert.deepEqual(seen, ['joined:aud', 'left:aud:BecomeAudience']);
    peer.close();
    await sleep(200);
    assert.equal(seen.length, 2, 'an audience leaving is not announced');

    // The Node SDK refuses too, before asking the server.
    const audience = createClient({ server: srv.url, mode: 'live' });
    clients.push(audience);
    audience.setExternalAudioSource(true, 48000, 1);
    await assert.rejects(audience.join(APP, 'live', await token('live', 'aud2'), 'aud2'), {
      code: ErrorCode.AUDIENCE_CANNOT_PUBLISH,
    });
  });

  it('an audience token cannot become a host -> NO_PRIVILEGE', async () => {
    const audTok = await token('live2', 'a', { role: 'audience' });
    const asHost = await joinRaw(srv.url, 'live2', 'a', audTok, { mode: 'live', role: 'host' });
    assert.equal(asHost.reply.code, ErrorCode.NO_PRIVILEGE);
    asHost.peer.close();
    const { peer, reply } = await joinRaw(srv.url, 'live2', 'a', audTok, { mode: 'live', role: 'audience' });
    assert.equal(reply.type, 'result');
    assert.equal((await peer.request({ type: 'setRole', role: 'host' })).code, ErrorCode.NO_PRIVILEGE);
    peer.close();
    // In rtc mode an audience token joins but may not publish.
    const rtc = await joinRaw(srv.url, 'rtc2', 'a', await token('rtc2', 'a', { role: 'audience' }));
    assert.equal((await rtc.peer.request({ type: 'publish', sdp: 'v=0' })).code, ErrorCode.NO_PRIVILEGE);
    rtc.peer.close();
  });

  it("cross-channel subscribe -> INVALID_REMOTE_USER; a participant cannot touch others' subscriptions", async () => {
    const pub = await publisher(srv, 'chan-b', 'speaker', await token('chan-b', 'speaker'));
    clients.push(pub);
    const listener = createClient({ server: srv.url });
    clients.push(listener);
    await listener.join(APP, 'chan-b', await token('chan-b', 'listener'), 'listener');
    await listener.subscribe('speaker');
    const { peer, reply } = await joinRaw(srv.url, 'chan-a', 'intruder', await token('chan-a', 'intruder'));
    assert.equal(reply.type, 'result');
    const sub = await peer.request({ type: 'subscribe', uid: 'speaker' });
    assert.equal(sub.code, ErrorCode.INVALID_REMOTE_USER);
    assert.equal(
      (await peer.request({ type: 'unsubscribe', uid: 'speaker' })).code,
      ErrorCode.INVALID_REMOTE_USER,
    );
    // Fields naming another channel or app are not part of any message past join: they are ignored.
    const sneaky = await peer.request({ type: 'subscribe', uid: 'speaker', channel: 'chan-b', appId: APP });
    assert.equal(sneaky.code, ErrorCode.INVALID_REMOTE_USER);
    // In the same channel, unsubscribing from someone you are not subscribed to leaves the others alone.
    const same = await joinRaw(srv.url, 'chan-b', 'other', await token('chan-b', 'other'));
    assert.equal(
      (await same.peer.request({ type: 'unsubscribe', uid: 'speaker' })).code,
      ErrorCode.INVALID_OPERATION,
    );
    assert.equal(listener.remoteUsers.find((u) => u.uid === 'speaker')?.audioTrack !== undefined, true);
    // A second join on the same connection (to reach another channel) is refused.
    const again = await peer.request({
      type: 'join',
      appId: APP,
      channel: 'chan-b',
      token: await token('chan-b', 'x'),
      uid: 'x',
    });
    assert.equal(again.code, ErrorCode.INVALID_OPERATION);
    peer.close();
    same.peer.close();
  });
});

describe('security: limits', () => {
  let srv: PatchbayServer;
  const clients: NodeClient[] = [];
  before(async () => {
    srv = await server({
      apps: {},
      maxMessageBytes: 4096,
      maxMessagesPerSecond: 20,
      messageBurst: 20,
      maxJoinsPerSecondPerIp: 5,
      joinBurstPerIp: 5,
      maxParticipantsPerChannel: 3,
      maxTracksPerParticipant: 1,
      joinTimeoutMs: 800,
    });
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    await srv.close();
  });

  it('oversized message -> MESSAGE_TOO_LARGE, and the connection keeps serving', async () => {
    const peer = await rawPeer(srv.url);
    peer.ws.send(JSON.stringify({ type: 'ping', id: 1, pad: 'x'.repeat(5000) }));
    const reply = await peer.waitMsg((m) => m.type === 'error');
    assert.equal(reply.code, ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal((await peer.request({ type: 'ping' })).type, 'result');
    assert.ok((srv.stats().counters.MESSAGE_TOO_LARGE ?? 0) >= 1);
    peer.close();
  });

  it('message flood -> RATE_LIMITED, then the connection recovers', async () => {
    const { peer, reply } = await joinRaw(srv.url, 'flood', 'flooder', null);
    assert.equal(reply.type, 'result');
    for (let i = 0; i < 200; i++) peer.ws.send(JSON.stringify({ type: 'ping', id: 1000 + i }));
    await waitFor(
      () => peer.inbox.filter((m) => (m.id as number) >= 1000).length >= 200,
      5000,
      '200 replies',
    );
    const limited = peer.inbox.filter((m) => m.code === ErrorCode.RATE_LIMITED);
    const ok = peer.inbox.filter((m) => m.type === 'result' && (m.id as number) >= 1000);
    assert.ok(ok.length >= 15 && ok.length < 40, `${ok.length} served`);
    assert.equal(limited.length + ok.length, 200, 'every ping answered');
    assert.ok(
      limited.every((m) => typeof m.id === 'number'),
      'each dropped request is answered by id',
    );
    await sleep(1100);
    assert.equal((await peer.request({ type: 'ping' })).type, 'result');
    assert.ok((srv.stats().counters.RATE_LIMITED ?? 0) >= 160);
    peer.close();
  });

  it('join flood from one address -> JOIN_RATE_LIMITED', async () => {
    await sleep(1100); // a full join bucket
    const replies = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const { peer, reply } = await joinRaw(srv.url, `flood-${i}`, `u${i}`, null);
        peer.close();
        return reply;
      }),
    );
    const limited = replies.filter((r) => r.code === ErrorCode.JOIN_RATE_LIMITED).length;
    assert.ok(limited >= 6, `${limited} of 12 joins limited`);
    assert.ok(replies.filter((r) => r.type === 'result').length >= 5);
    await sleep(1100);
  });

  it('full channel -> CHANNEL_FULL; too many tracks -> TOO_MANY_TRACKS', async () => {
    await sleep(1100);
    const a = await publisher(srv, 'small', 'a', null);
    const b = await publisher(srv, 'small', 'b', null);
    clients.push(a, b);
    const { peer, reply } = await joinRaw(srv.url, 'small', 'c', null);
    assert.equal(reply.type, 'result');
    const fourth = await joinRaw(srv.url, 'small', 'd', null);
    assert.equal(fourth.reply.code, ErrorCode.CHANNEL_FULL);
    fourth.peer.close();
    assert.equal((await peer.request({ type: 'subscribe', uid: 'a' })).type, 'result');
    assert.equal((await peer.request({ type: 'subscribe', uid: 'b' })).code, ErrorCode.TOO_MANY_TRACKS);
    assert.equal(
      (await peer.request({ type: 'subscribe', uid: 'a' })).type,
      'result',
      'the same track again is fine',
    );
    assert.equal(srv.stats().counters.CHANNEL_FULL, 1);
    assert.equal(srv.stats().counters.TOO_MANY_TRACKS, 1);
    peer.close();
    await a.leave();
    await b.leave();
  });

  it('slow-loris: a socket that never joins -> JOIN_TIMEOUT and closed; slow HTTP headers are cut', async () => {
    const peer = await rawPeer(srv.url);
    const started = Date.now();
    const keepAlive = setInterval(() => peer.ws.send(JSON.stringify({ type: 'ping', id: 1 })), 100);
    const code = await peer.closed;
    clearInterval(keepAlive);
    assert.equal(code, 1008);
    assert.ok(Date.now() - started < 3000);
    assert.ok(peer.inbox.some((m) => m.code === ErrorCode.JOIN_TIMEOUT));
    // Raw TCP, sending one header byte at a time.
    const socket = connect(srv.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.on('error', () => undefined);
    const t0 = Date.now();
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('X');
    }, 100);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const end = await Promise.race([closedAt, sleep(5000).then(() => -1)]);
    clearInterval(drip);
    socket.destroy();
    assert.ok(end > 0 && end - t0 < 4000, 'the server closed the slow connection');
    assert.ok((srv.stats().counters.JOIN_TIMEOUT ?? 0) >= 1);
  });
});

// A self-signed certificate for localhost/127.0.0.1, for this test only (valid until 2126).
const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUeXyna2TK4xZj0SPohlSVJsjxsJ8wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMjAyNDUyOVoYDzIxMjYxMDI5
MDI0NTI5WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQtIFJkjR1kwamsOu/Gg6zNar7yxjKoU38A0P6i1k3DkiXg8mCuLRMQ
nJctkwBw8KIeXvYd2XIYCarZ6DDdZlVXo28wbTAdBgNVHQ4EFgQUMe/Mi6V75u2r
f/YRjbbrHJZ/8xswHwYDVR0jBBgwFoAUMe/Mi6V75u2rf/YRjbbrHJZ/8xswDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgRqzxub+VRQRREpePQ1GzkFP8NJlFTIsTVFDRpjChizsCIHBR
04qPB7N+m17a5R5E3Jm9Udw01RsR2n/20JlJbL3s
-----END CERTIFICATE-----
`;
const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqoz2+2gUARRgy2Yt
L8V2ruhqmnlOI6uhE49DCaySqyOhRANCAAQtIFJkjR1kwamsOu/Gg6zNar7yxjKo
U38A0P6i1k3DkiXg8mCuLRMQnJctkwBw8KIeXvYd2XIYCarZ6DDdZlVX
-----END PRIVATE KEY-----
`;

describe('security: TLS', () => {
  it('serves https and wss with --tls-cert/--tls-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-tls-'));
    writeFileSync(join(dir, 'cert.pem'), TEST_TLS_CERT);
    writeFileSync(join(dir, 'key.pem'), TEST_TLS_KEY);
    const srv = await server({ tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem') });
    try {
      assert.match(srv.url, /^wss:\/\//);
      assert.match(srv.httpUrl, /^https:\/\//);
      const health = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${srv.httpUrl}/health`, { ca: TEST_TLS_CERT }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(JSON.parse(health).ok, true);
      const ws = new WebSocket(srv.url, { ca: TEST_TLS_CERT });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.send(
        JSON.stringify({
          type: 'join',
          id: 1,
          appId: APP,
          channel: 'tls',
          token: await token('tls', 1),
          uid: 1,
        }),
      );
      const reply = await new Promise<Msg>((resolve) =>
        ws.once('message', (d) => resolve(JSON.parse(String(d)) as Msg)),
      );
      assert.equal(reply.type, 'result');
      ws.close();
    } finally {
      await srv.close();
    }
  });
});

const BIN = fileURLToPath(new URL('../../../packages/cli/bin/patchbay.js', import.meta.url));

describe('security: CLI', () => {
  it('patchbay token prints a token the server accepts; serve --apps-file turns checks on', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          BIN,
          'token',
          '--app-id',
          APP,
          '--channel',
          'cli',
          '--uid',
          '7',
          '--role',
          'audience',
          '--expire',
          '600',
        ],
        { env: { ...process.env, PATCHBAY_APP_CERTIFICATE: CERT } },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    const claims = await verifyToken(out.trim(), {
      appId: APP,
      appCertificate: CERT,
      channel: 'cli',
      uid: 7,
    });
    assert.equal(claims.role, 'audience');
    assert.equal(claims.publishAudioExpiresAt, null);
    assert.ok(claims.expiresAt - claims.issuedAt === 600);

    const dir = mkdtempSync(join(tmpdir(), 'patchbay-apps-'));
    writeFileSync(join(dir, 'apps.json'), JSON.stringify({ [APP]: CERT }));
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--port',
        '0',
        '--rtc-port',
        '0',
        '--rtc-bind',
        TEST_IP,
        '--apps-file',
        join(dir, 'apps.json'),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      await waitFor(
        () => /signaling (ws:\/\/\S+),/.test(stdout) && stdout.includes('\n', stdout.indexOf('\n') + 1),
        10000,
        'serve output',
      );
      assert.match(stdout, /Token checks on for 1 app/);
      const url = /signaling (ws:\/\/\S+),/.exec(stdout)?.[1] as string;
      const none = await joinRaw(url, 'cli', 7, null);
      assert.equal(none.reply.code, ErrorCode.INVALID_TOKEN);
      none.peer.close();
      const ok = await joinRaw(url, 'cli', 7, out.trim(), { mode: 'live' });
      assert.equal(ok.reply.type, 'result');
      ok.peer.close();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
