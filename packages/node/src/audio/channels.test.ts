import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';
import { convertChannels } from './channels.js';

describe('convertChannels', () => {
  it('returns the input when the counts match', () => {
    const a = new Int16Array([1, 2, 3, 4]);
    assert.equal(convertChannels(a, 1, 1), a);
    assert.equal(convertChannels(a, 2, 2), a);
  });

  it('duplicates mono into both stereo channels', () => {
    assert.deepEqual(
      [...convertChannels(new Int16Array([1, -2, 32767]), 1, 2)],
      [1, 1, -2, -2, 32767, 32767],
    );
  });

  it('averages stereo into mono without overflow', () => {
    const out = convertChannels(new Int16Array([10, 20, 32767, 32767, -32768, -32768, 3, -4]), 2, 1);
    assert.deepEqual([...out], [15, 32767, -32768, -1]);
  });

  it('writes into a given out buffer, returning a view when it is longer', () => {
    const out = new Int16Array(8);
    const r = convertChannels(new Int16Array([5, 6]), 1, 2, out);
    assert.equal(r.buffer, out.buffer);
    assert.deepEqual([...r], [5, 5, 6, 6]);
    const exact = new Int16Array(2);
    assert.equal(convertChannels(new Int16Array([1, 3, 5, 7]), 2, 1, exact), exact);
    assert.deepEqual([...exact], [2, 6]);
  });

  it('rejects a short out buffer and odd stereo input', () => {
    assert.throws(
      () => convertChannels(new Int16Array(4), 1, 2, new Int16Array(7)),
      (e: unknown) => e instanceof PatchbayError && e.code === ErrorCode.INVALID_PARAMS,
    );
    assert.throws(
      () => convertChannels(new Int16Array(3), 2, 1),
      (e: unknown) => e instanceof PatchbayError && e.code === ErrorCode.INVALID_PCM_LENGTH,
    );
  });
});
