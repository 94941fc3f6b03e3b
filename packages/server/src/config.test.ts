import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveServerOptions } from './config.js';

describe('resolveServerOptions: announced port', () => {
  it('follows the media port unless set; env PATCHBAY_ANNOUNCED_PORT; the option wins', () => {
    const saved = process.env.PATCHBAY_ANNOUNCED_PORT;
    try {
      delete process.env.PATCHBAY_ANNOUNCED_PORT;
      assert.equal(resolveServerOptions({ port: 7000 }).announcedPort, 7000);
      assert.equal(resolveServerOptions({ port: 7000, rtcPort: 7100 }).announcedPort, 7100);
      assert.equal(resolveServerOptions({ rtcPort: 7100, announcedPort: 9000 }).announcedPort, 9000);
      process.env.PATCHBAY_ANNOUNCED_PORT = '9100';
      assert.equal(resolveServerOptions({ rtcPort: 7100 }).announcedPort, 9100);
      assert.equal(resolveServerOptions({ announcedPort: 9200 }).announcedPort, 9200);
      assert.throws(() => resolveServerOptions({ announcedPort: 0 }), TypeError);
      assert.throws(() => resolveServerOptions({ announcedPort: 70000 }), TypeError);
    } finally {
      if (saved === undefined) delete process.env.PATCHBAY_ANNOUNCED_PORT;
      else process.env.PATCHBAY_ANNOUNCED_PORT = saved;
    }
  });
});

describe('resolveServerOptions: cluster options', () => {
  it('no Redis by default: one process; cluster defaults resolved once', () => {
    const o = resolveServerOptions({});
    assert.equal(o.redis, null);
    assert.equal(o.nodeUrl, null);
    assert.equal(o.heartbeatMs, 500);
    assert.equal(o.nodeTtlMs, 2000);
    assert.equal(o.redisKeyPrefix, 'patchbay:');
    assert.equal(o.adminToken, null);
  });
  it('takes PATCHBAY_REDIS / PATCHBAY_NODE_URL / PATCHBAY_ADMIN_TOKEN; options win over env', () => {
    const saved = { ...process.env };
    try {
      process.env.PATCHBAY_REDIS = 'redis://10.0.0.5:6379';
      process.env.PATCHBAY_NODE_URL = 'wss://node1.example.com:7080';
      process.env.PATCHBAY_ADMIN_TOKEN = 'a-long-enough-admin-token';
      const o = resolveServerOptions({ nodeUrl: 'ws://other:1' });
      assert.equal(o.redis, 'redis://10.0.0.5:6379');
      assert.equal(o.nodeUrl, 'ws://other:1');
      assert.equal(o.adminToken, 'a-long-enough-admin-token');
    } finally {
      process.env = saved;
    }
  });
  it('rejects bad values with a TypeError naming the option', () => {
    assert.throws(() => resolveServerOptions({ redis: 'http://x' }), /redis must be a redis:\/\//);
    assert.throws(() => resolveServerOptions({ nodeUrl: 'http://x' }), /nodeUrl must be a ws:\/\//);
    assert.throws(() => resolveServerOptions({ heartbeatMs: 1000, nodeTtlMs: 1500 }), /at least twice/);
    assert.throws(() => resolveServerOptions({ adminToken: 'short' }), /adminToken/);
    assert.throws(() => resolveServerOptions({ sharedPort: 70000 }), /sharedPort/);
  });
});

describe('resolveServerOptions: RED', () => {
  it('is on by default; PATCHBAY_RED=0 turns it off, =1 on; the option wins over env', () => {
    const saved = process.env.PATCHBAY_RED;
    try {
      delete process.env.PATCHBAY_RED;
      assert.equal(resolveServerOptions({}).red, true);
      process.env.PATCHBAY_RED = '0';
      assert.equal(resolveServerOptions({}).red, false);
      assert.equal(resolveServerOptions({ red: true }).red, true);
      process.env.PATCHBAY_RED = 'false';
      assert.equal(resolveServerOptions({}).red, false);
      process.env.PATCHBAY_RED = '1';
      assert.equal(resolveServerOptions({}).red, true);
      assert.equal(resolveServerOptions({ red: false }).red, false);
      process.env.PATCHBAY_RED = 'yes';
      assert.throws(() => resolveServerOptions({}), /PATCHBAY_RED/);
    } finally {
      if (saved === undefined) delete process.env.PATCHBAY_RED;
      else process.env.PATCHBAY_RED = saved;
    }
  });
});
