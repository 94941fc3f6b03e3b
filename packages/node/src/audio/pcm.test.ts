import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@patchbay/protocol';
import { PatchbayError } from '../errors.js';
import { checkAudioFormat, SUPPORTED_INPUT_RATES, toInt16Samples } from './pcm.js';

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PatchbayError, `expected PatchbayError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('checkAudioFormat', () => {
  it('accepts every supported rate, mono and stereo, 2 bytes per sample', () => {
    for (const rate of SUPPORTED_INPUT_RATES) {
      checkAudioFormat(rate, 1);
      checkAudioFormat(rate, 2, 2);
    }
  });

  it('rejects other rates, saying what was given and what is accepted', () => {
    for (const rate of [22050, 96000, 0, -8000, 16000.5, '16000', null, undefined, Number.NaN]) {
      throwsCode(
        () => checkAudioFormat(rate, 1),
        ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
        /8000, 16000, 32000, 44100, 48000/,
      );
    }
    throwsCode(() => checkAudioFormat(22050, 1), ErrorCode.UNSUPPORTED_AUDIO_FORMAT, /22050/);
    throwsCode(() => checkAudioFormat('16000', 1), ErrorCode.UNSUPPORTED_AUDIO_FORMAT, /"16000"/);
  });

  it('rejects channel counts other than 1 and 2', () => {
    for (const ch of [0, 3, 6, 1.5, '2', null]) {
      throwsCode(() => checkAudioFormat(48000, ch), ErrorCode.UNSUPPORTED_AUDIO_FORMAT, /1 \(mono\) or 2/);
    }
    throwsCode(() => checkAudioFormat(48000, 3), ErrorCode.UNSUPPORTED_AUDIO_FORMAT, /channel count 3/);
  });

  it('rejects sample sizes other than 2 bytes', () => {
    for (const b of [1, 3, 4, '2', null]) {
      throwsCode(() => checkAudioFormat(48000, 1, b), ErrorCode.UNSUPPORTED_AUDIO_FORMAT, /only 2/);
    }
    throwsCode(() => checkAudioFormat(48000, 1, 4), ErrorCode.UNSUPPORTED_AUDIO_FORMAT, /bytes per sample 4/);
  });
});

describe('toInt16Samples', () => {
  it('returns an Int16Array as is', () => {
    const a = new Int16Array([1, -2, 3, -4]);
    assert.equal(toInt16Samples(a, 1), a);
    assert.equal(toInt16Samples(a, 2), a);
  });

  it('views an aligned Buffer without copying, little-endian', () => {
    const b = Buffer.alloc(8);
    b.writeInt16LE(1000, 0);
    b.writeInt16LE(-1000, 2);
    b.writeInt16LE(32767, 4);
    b.writeInt16LE(-32768, 6);
    const s = toInt16Samples(b, 2);
    assert.deepEqual([...s], [1000, -1000, 32767, -32768]);
    assert.equal(s.buffer, b.buffer);
    b.writeInt16LE(5, 0);
    assert.equal(s[0], 5, 'shares memory');
  });

  it('copies bytes at an odd offset', () => {
    const backing = new Uint8Array(9);
    const bytes = backing.subarray(1);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    dv.setInt16(0, 123, true);
    dv.setInt16(2, -456, true);
    dv.setInt16(4, 7, true);
    dv.setInt16(6, -8, true);
    const s = toInt16Samples(bytes, 1);
    assert.deepEqual([...s], [123, -456, 7, -8]);
    assert.notEqual(s.buffer, backing.buffer);
  });

  it('views a Uint8Array at an even non-zero offset', () => {
    const backing = new Uint8Array(10);
    new DataView(backing.buffer).setInt16(2, -300, true);
    const s = toInt16Samples(backing.subarray(2, 6), 1);
    assert.deepEqual([...s], [-300, 0]);
    assert.equal(s.buffer, backing.buffer);
    assert.equal(s.byteOffset, 2);
  });

  it('rejects other types with INVALID_PCM_TYPE', () => {
    const bad: unknown[] = [
      new Float32Array(4),
      new Uint16Array(4),
      new Int8Array(4),
      new Uint8ClampedArray(4),
      [1, 2, 3, 4],
      'abcd',
      null,
      undefined,
      42,
      {},
      new ArrayBuffer(4),
      new DataView(new ArrayBuffer(4)),
    ];
    for (const v of bad)
      throwsCode(() => toInt16Samples(v, 1), ErrorCode.INVALID_PCM_TYPE, /Buffer, Uint8Array or Int16Array/);
    throwsCode(() => toInt16Samples(new Float32Array(4), 1), ErrorCode.INVALID_PCM_TYPE, /Float32Array/);
    throwsCode(() => toInt16Samples(null, 1), ErrorCode.INVALID_PCM_TYPE, /got null/);
  });

  it('rejects odd, empty and partial-frame lengths with INVALID_PCM_LENGTH', () => {
    throwsCode(() => toInt16Samples(Buffer.alloc(0), 1), ErrorCode.INVALID_PCM_LENGTH, /0 bytes/);
    throwsCode(() => toInt16Samples(new Int16Array(0), 2), ErrorCode.INVALID_PCM_LENGTH, /multiple of 4/);
    throwsCode(
      () => toInt16Samples(Buffer.alloc(7), 1),
      ErrorCode.INVALID_PCM_LENGTH,
      /7 \(odd.*multiple of 2/,
    );
    throwsCode(
      () => toInt16Samples(Buffer.alloc(6), 2),
      ErrorCode.INVALID_PCM_LENGTH,
      /6 is not a multiple of 4/,
    );
    throwsCode(
      () => toInt16Samples(new Int16Array(3), 2),
      ErrorCode.INVALID_PCM_LENGTH,
      /6 is not a multiple of 4/,
    );
    assert.equal(toInt16Samples(Buffer.alloc(6), 1).length, 3);
  });

  it('rejects channel counts other than 1 and 2', () => {
    throwsCode(() => toInt16Samples(Buffer.alloc(12), 3), ErrorCode.UNSUPPORTED_AUDIO_FORMAT);
  });
});
