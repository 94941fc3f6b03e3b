import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAudioLevelByte, volumeFromDbov } from './audioLevel.js';

function packet(ext: number[] | null, profile = 0xbede, csrcs = 0): Buffer {
  const header = [0x80 | csrcs | (ext ? 0x10 : 0), 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
  for (let i = 0; i < csrcs; i++) header.push(0, 0, 0, i);
  if (ext) {
    const padded = [...ext];
    while (padded.length % 4) padded.push(0);
    header.push(profile >> 8, profile & 0xff, 0, padded.length / 4, ...padded);
  }
  return Buffer.from([...header, 0xfc, 1, 2, 3]);
}

describe('audio level header extension', () => {
  it('reads the one-byte form, skipping other elements and padding', () => {
    const buf = packet([0x22, 9, 9, 9, 0, 0x10, 0x80 | 30]);
    assert.equal(readAudioLevelByte(buf, buf.length, 1), 0x80 | 30);
    assert.equal(readAudioLevelByte(buf, buf.length, 2) >= 0, true);
    assert.equal(readAudioLevelByte(buf, buf.length, 3), -1);
  });
  it('reads after CSRCs and in the two-byte form', () => {
    const one = packet([0x10, 50], 0xbede, 2);
    assert.equal(readAudioLevelByte(one, one.length, 1), 50);
    const two = packet([5, 1, 127], 0x1000);
    assert.equal(readAudioLevelByte(two, two.length, 5), 127);
  });
  it('returns -1 without the extension or on truncated packets', () => {
    const none = packet(null);
    assert.equal(readAudioLevelByte(none, none.length, 1), -1);
    const buf = packet([0x10, 50]);
    for (let len = 0; len < 18; len++) assert.equal(readAudioLevelByte(buf, len, 1), -1);
    const lying = Buffer.from(buf);
    lying[15] = 200; // length field says more words than there are
    assert.equal(readAudioLevelByte(lying, lying.length, 1), -1);
  });
  it('maps dBov to 0..100', () => {
    assert.equal(volumeFromDbov(127), 0);
    assert.equal(volumeFromDbov(0), 100);
    assert.equal(volumeFromDbov(20), 80);
  });
});
