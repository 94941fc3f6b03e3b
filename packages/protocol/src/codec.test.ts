import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeClientMessage, decodeServerMessage } from './codec.js';
import { ErrorCode } from './errorCodes.js';

describe('protocol codec', () => {
  it('decodes a valid join, keeping uid types', () => {
    for (const uid of [7, 'alice', null]) {
      const r = decodeClientMessage(
        JSON.stringify({ type: 'join', id: 1, appId: 'a', channel: 'c', token: null, uid }),
      );
      assert.ok(r.ok);
      assert.equal(r.ok && r.message.type === 'join' ? r.message.uid : undefined, uid);
    }
  });

  it('gives each kind of bad frame its code and the request id when readable', () => {
    const cases: Array<[string, ErrorCode, number | null]> = [
      ['{', ErrorCode.MALFORMED_MESSAGE, null],
      ['"str"', ErrorCode.MALFORMED_MESSAGE, null],
      ['{"id":3}', ErrorCode.MALFORMED_MESSAGE, 3],
      ['{"type":"nope","id":4}', ErrorCode.UNKNOWN_MESSAGE_TYPE, 4],
      ['{"type":"subscribe","id":5,"uid":{}}', ErrorCode.INVALID_PARAMS, 5],
      ['{"type":"join","id":6,"appId":"","channel":"c","token":null,"uid":1}', ErrorCode.INVALID_PARAMS, 6],
      [
        '{"type":"join","id":7,"appId":"a","channel":"c","token":null,"uid":4294967296}',
        ErrorCode.INVALID_PARAMS,
        7,
      ],
    ];
    for (const [frame, code, id] of cases) {
      const r = decodeClientMessage(frame);
      assert.ok(!r.ok);
      if (!r.ok) {
        assert.equal(r.code, code, frame);
        assert.equal(r.id, id, frame);
      }
    }
    const big = decodeClientMessage(JSON.stringify({ type: 'ping', id: 1, x: 'y'.repeat(100) }), 64);
    assert.ok(!big.ok && big.code === ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('fuzz smoke: arbitrary strings and JSON never throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })), (frame) => {
        const a = decodeClientMessage(frame);
        const b = decodeServerMessage(frame);
        assert.equal(typeof a.ok, 'boolean');
        assert.equal(typeof b.ok, 'boolean');
      }),
      { numRuns: 20000 },
    );
  });
});
