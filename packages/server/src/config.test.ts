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
