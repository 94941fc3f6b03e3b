import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ConnectionChangedReasonType,
  ConnectionStateType,
  createClient,
  createRtcEngine,
} from '@patchbay/node';
import { ErrorCode } from '@patchbay/protocol';
import { assertPitch } from './engineSupport.js';
import {
  freePort,
  nextEvent,
  ServerProcess,
  startServerOn,
  TcpRelay,
  timingListener,
  tonePublisher,
} from './reconnectSupport.js';
import { startImpairedServer } from './lossSupport.js';
import { sleep, waitFor } from './support.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('reconnection', () => {
  it('a dropped WebSocket resumes the session: no republish, media gap under 1 s, nobody sees a leave', async () => {
    const server = await startServerOn();
    cleanups.push(() => server.close());
    const relay = await TcpRelay.start(server.port);
    cleanups.push(() => relay.close());
    const a = await tonePublisher(relay.url, 'ws-drop', 'a', 440);
    cleanups.push(() => a.stop());
    const b = await timingListener(relay.url, 'ws-drop', 'b');
    cleanups.push(() => b.client.leave());
    const left: string[] = [];
    a.client.on('user-left', (u) => left.push(`a saw ${String(u.uid)} leave`));
    b.client.on('user-left', (u) => left.push(`b saw ${String(u.uid)} leave`));
    await waitFor(() => b.audibleAt.length > 50, 10000, 'b hears a');
    const publisher = a.client.publisherConnection;
    const subscriber = b.client.subscriberConnection;
    const states: string[] = [];
    a.client.on('connection-state-change', (s) => states.push(s));

    const cutAt = performance.now();
    const reconnectedA = nextEvent(a.client, 'reconnected');
    const reconnectedB = nextEvent(b.client, 'reconnected');
    assert.ok(relay.dropAll() >= 4, 'both clients had their signaling cut');
    const [ra, rb] = await Promise.all([reconnectedA, reconnectedB]);
    console.log(`# resume: a ${ra.outageMs} ms (${ra.attempts} attempt), b ${rb.outageMs} ms`);
    assert.equal(ra.resumed, true);
    assert.equal(rb.resumed, true);
    assert.deepEqual(states, ['RECONNECTING', 'CONNECTED']);
    assert.equal(a.client.publisherConnection, publisher, 'the publisher connection was kept (no republish)');
    assert.equal(b.client.subscriberConnection, subscriber, 'the subscriber connection was kept');
    await sleep(1500);
    const gap = b.longestGap(cutAt - 500, performance.now());
    console.log(`# longest gap in b's audio around the drop: ${gap.toFixed(0)} ms`);
    assert.ok(gap <= 1000, `media gap ${gap.toFixed(0)} ms > 1 s`);
    assert.deepEqual(left, []);
    assert.deepEqual(
      b.client.remoteUsers.map((u) => String(u.uid)),
      ['a'],
    );
    // The resumed session still works: signaling requests succeed on the new socket.
    await b.client.unsubscribe('a');
    await b.client.subscribe('a', 'audio');
    await a.stop();
    await b.client.leave();
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`a server process restart (${signal}): clients rejoin, republish and resubscribe by themselves within 5 s; pushed audio meanwhile is queued, the excess dropped and reported`, async () => {
      const server = new ServerProcess(await freePort());
      await server.start();
      cleanups.push(() => server.stop('SIGKILL'));
      const a = await tonePublisher(server.url, 'restart', 'a', 523);
      cleanups.push(() => a.stop());
      const b = await timingListener(server.url, 'restart', 'b');
      cleanups.push(() => b.client.leave());
      await waitFor(() => b.audibleAt.length > 50, 10000, 'b hears a');
      const track = b.tracks[0];
      const outage = nextEvent(a.client, 'local-audio-outage', 20000);
      const reconnectedA = nextEvent(a.client, 'reconnected', 20000);
      const reconnectedB = nextEvent(b.client, 'reconnected', 20000);
      if (process.env.DEBUG_RECONNECT) {
        for (const [name, c] of [
          ['a', a.client],
          ['b', b.client],
        ] as const) {
          const t0 = performance.now();
          const log = (...x: unknown[]) =>
            console.log(`# [${(performance.now() - t0).toFixed(0)}] ${name}`, ...x);
          c.on('connection-state-change', (s) => log('state', s));
          c.on('user-joined', (u) => log('user-joined', u.uid));
          c.on('user-left', (u, r) => log('user-left', u.uid, r));
          c.on('user-published', (u) => log('user-published', u.uid));
          c.on('user-unpublished', (u) => log('user-unpublished', u.uid));
          c.on('reconnected', (i) => log('reconnected', i));
          setInterval(
            () =>
              log(
                'pub',
                c.publisherConnection?.connectionState,
                'sub',
                c.subscriberConnection?.connectionState,
              ),
            1000,
          ).unref();
        }
      }
      const downAt = performance.now();
      await server.stop(signal);
      await sleep(300);
      await server.start();
      const upAt = performance.now();
      const [ra, rb] = await Promise.all([reconnectedA, reconnectedB]);
      assert.equal(ra.resumed, false, 'a new server process has no session to resume');
      assert.equal(rb.resumed, false);
      await waitFor(() => b.firstAudibleAfter(upAt + 50) !== undefined, 10000, 'b hears a again');
      const heardAt = b.firstAudibleAfter(upAt + 50) as number;
      console.log(
        `# restart (${signal}): down for ${(upAt - downAt).toFixed(0)} ms; a reconnected after ${ra.outageMs} ms (${ra.attempts} attempts), b after ${rb.outageMs} ms; audio back ${(heardAt - upAt).toFixed(0)} ms after the new process listened`,
      );
      assert.ok(heardAt - upAt <= 5000, `audio back ${(heardAt - upAt).toFixed(0)} ms after the restart`);
      await sleep(1200);
      assertPitch(b.pitch(), 523, '(after the restart)');
      if (b.tracks.length === 1) assert.equal(b.tracks[0], track, 'the same remote track object plays on');

      const report = await outage;
      const droppedMs = (a.track.stats.outageDroppedFrames / 48000) * 1000;
      console.log(
        `# outage: ${report.durationMs} ms down, ${report.pushedMs} ms pushed meanwhile, ${report.droppedMs} ms of pushed audio dropped (${droppedMs.toFixed(0)} ms counted in stats), ${report.queuedMs} ms queued`,
      );
      // Nothing vanished: what was pushed during the outage either waits in the queue (up to its
      // 200 ms) or was dropped, oldest first, and counted.
      assert.ok(report.durationMs > 300, 'the publisher saw the outage');
      assert.ok(Math.abs(report.droppedMs - droppedMs) <= 20, 'the event and the stats agree');
      // Dropped: what was pushed meanwhile plus what was queued before (≤ 200 ms ring + one
      // 100 ms push waiting), minus the queue's 200 ms kept at the end.
      assert.ok(
        report.droppedMs >= report.pushedMs - 220 && report.droppedMs <= report.pushedMs + 320,
        `${report.pushedMs} ms pushed during the outage, ${report.droppedMs} ms dropped`,
      );
      assert.ok(report.queuedMs >= 150, 'the queue held the newest audio');
      await a.stop();
      await b.client.leave();
      await server.stop();
    });
  }

  it('the link goes down for 5 s (media and signaling): audio is back within 2 s of the link returning', async () => {
    const { server, proxy } = await startImpairedServer(3);
    cleanups.push(() => proxy.close());
    cleanups.push(() => server.close());
    const relay = await TcpRelay.start(server.port);
    cleanups.push(() => relay.close());
    const a = await tonePublisher(relay.url, 'link-down', 'a', 392);
    cleanups.push(() => a.stop());
    const b = await timingListener(relay.url, 'link-down', 'b');
    cleanups.push(() => b.client.leave());
    await waitFor(() => b.audibleAt.length > 50, 10000, 'b hears a');
    await sleep(500);
    const states: string[] = [];
    for (const [name, c] of [
      ['a', a.client],
      ['b', b.client],
    ] as const) {
      c.on('connection-state-change', (s) => states.push(`${name} ${s}`));
      c.on('reconnected', (i) => states.push(`${name} reconnected resumed=${String(i.resumed)}`));
    }
    const pcStates = (): string =>
      `a pub ${a.client.publisherConnection?.connectionState}, b sub ${b.client.subscriberConnection?.connectionState}`;
    const pitchBefore = b.peakFrequency(350, 450);
    console.log(`# pitch before the link went down: ${pitchBefore.toFixed(1)} Hz (spectral peak)`);
    // 392 Hz in 100 ms chunks that each restart its phase: the spectrum peaks at ~390 Hz.
    assert.ok(
      Math.abs(pitchBefore - 392) < 8,
      `pitch ${pitchBefore.toFixed(1)} Hz before the link went down`,
    );
    proxy.linkDown(5000);
    relay.stall(5000);
    const downAt = performance.now();
    await sleep(4900);
    const during = pcStates();
    await sleep(100);
    const upAt = performance.now();
    await waitFor(
      () => b.firstAudibleAfter(upAt + 20) !== undefined,
      15000,
      'b hears a after the link is back',
    );
    const backAt = b.firstAudibleAfter(upAt + 20) as number;
    // NetEq time-stretches for a while after the gap. Its splices fool a zero-crossing count
    // (which read ~2 % sharp here: 397-399 Hz), not the spectrum: the tone must come out at the
    // pitch it had before (the publisher's 100 ms chunks reset its phase, so both read ~390 Hz).
    const pitches: string[] = [];
    for (let i = 0; i < 6; i++) {
      await sleep(1000);
      pitches.push(`${b.peakFrequency(350, 450).toFixed(1)} (zero crossings ${b.pitch().toFixed(1)})`);
    }
    console.log(`# pitch each second after the link returned: ${pitches.join(', ')} Hz`);
    console.log(
      `# link down 5 s: audio back ${(backAt - upAt).toFixed(0)} ms after the link returned (${(backAt - downAt).toFixed(0)} ms after it went down); during: ${during}; after: ${pcStates()}; events: ${states.join(', ') || 'none'}; proxy dropped ${proxy.counters.up.linkDownDropped}+${proxy.counters.down.linkDownDropped} packets`,
    );
    assert.ok(backAt - upAt <= 2000, `audio back ${(backAt - upAt).toFixed(0)} ms after the link returned`);
    const after = b.peakFrequency(350, 450);
    assert.ok(
      Math.abs(after - pitchBefore) <= 2,
      `pitch ${after.toFixed(1)} Hz after the link came back, ${pitchBefore.toFixed(1)} Hz before`,
    );
    assert.equal(a.client.connectionState, 'CONNECTED');
    assert.equal(b.client.connectionState, 'CONNECTED');
    await a.stop();
    await b.client.leave();
  });

  it('the native engine shape reports Reconnecting/Interrupted, then Connected/RejoinSuccess and onRejoinChannelSuccess', async () => {
    const server = await startServerOn();
    cleanups.push(() => server.close());
    const relay = await TcpRelay.start(server.port);
    cleanups.push(() => relay.close());
    const engine = createRtcEngine();
    engine.initialize({ appId: 'test-app', server: relay.url });
    cleanups.push(async () => engine.release());
    const events: string[] = [];
    engine.registerEventHandler({
      onConnectionStateChanged: (_c, state, reason) => events.push(`state ${state}/${reason}`),
      onRejoinChannelSuccess: () => events.push('rejoin'),
      onConnectionLost: () => events.push('lost'),
    });
    await engine.joinChannel('', 'native', 0, {});
    await waitFor(
      () => events.includes(`state ${ConnectionStateType.ConnectionStateConnected}/1`),
      5000,
      'joined',
    );
    events.length = 0;
    relay.dropAll();
    await waitFor(() => events.includes('rejoin'), 10000, 'onRejoinChannelSuccess');
    assert.deepEqual(events, [
      `state ${ConnectionStateType.ConnectionStateReconnecting}/${ConnectionChangedReasonType.ConnectionChangedInterrupted}`,
      `state ${ConnectionStateType.ConnectionStateConnected}/${ConnectionChangedReasonType.ConnectionChangedRejoinSuccess}`,
      'rejoin',
    ]);
    await engine.leaveChannel();
  });

  it('gives up cleanly after its schedule: RECONNECT_FAILED, DISCONNECTED', async () => {
    const server = await startServerOn();
    const client = createClient({
      server: server.url,
      reconnect: { delaysMs: [0, 300], jitter: 0, giveUpAfterMs: 1500 },
    });
    await client.join('test-app', 'give-up', null, 'x');
    const failed = nextEvent(client, 'reconnect-failed', 10000);
    const lostAt = Date.now();
    await server.close();
    const error = await failed;
    const took = Date.now() - lostAt;
    assert.equal(error.code, ErrorCode.RECONNECT_FAILED);
    assert.match(error.message, /1500 ms/);
    assert.equal(client.connectionState, 'DISCONNECTED');
    assert.ok(took >= 1200 && took < 4000, `gave up after ${took} ms`);
    await assert.rejects(client.renewToken('t'), { code: 'INVALID_OPERATION' });
  });

  it('resume with an unknown session id is refused with SESSION_NOT_FOUND', async () => {
    const server = await startServerOn();
    cleanups.push(() => server.close());
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(server.url);
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
    ws.send(JSON.stringify({ type: 'resume', id: 1, sessionId: 'x'.repeat(32) }));
    assert.equal(JSON.parse(await reply).code, 'SESSION_NOT_FOUND');
    ws.close();
  });
});
