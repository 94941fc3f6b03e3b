import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchbayError } from '../errors.js';
import { mixInto, saturateTo } from './mix.js';

describe('mixInto / saturateTo', () => {
  it('sums frames with gain and clips to int16', () => {
    const acc = new Int32Array(4);
    mixInto(acc, new Int16Array([30000, -30000, 100, 1]));
    mixInto(acc, new Int16Array([30000, -30000, -50, 1]));
    mixInto(acc, new Int16Array([1000, 0, 3, 3]), 0.5);
    assert.deepEqual([...acc], [60500, -60000, 52, 4]);
    const out = new Int16Array(4);
    saturateTo(acc, out);
    assert.deepEqual([...out], [32767, -32768, 52, 4]);
  });

  it('mixes a shorter frame into the start of the accumulator', () => {
    const acc = new Int32Array([1, 1, 1]);
    mixInto(acc, new Int16Array([2]));
    assert.deepEqual([...acc], [3, 1, 1]);
  });

  it('rejects a frame longer than the accumulator and a short output', () => {
    assert.throws(() => mixInto(new Int32Array(2), new Int16Array(3)), PatchbayError);
    assert.throws(() => saturateTo(new Int32Array(3), new Int16Array(2)), PatchbayError);
  });
});
