import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import wavefile from 'wavefile';
import { decodeWav, encodeWav, type PcmAudio, SUPPORTED_SAMPLE_RATES, WavFormatError } from './wav.js';

const hasSox = spawnSync('sox', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs sox, keeping its warnings out of the test output unless it fails. */
function sox(args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function tone(sampleRate: number, channels: 1 | 2, frames: number): PcmAudio {
  const samples = new Int16Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      samples[i * channels + c] = Math.round(
        16000 * Math.sin((2 * Math.PI * (440 + 220 * c) * i) / sampleRate),
      );
    }
  }
  samples[0] = -32768; // extremes survive the round trip
  if (samples.length > 1) samples[1] = 32767;
  return { sampleRate, channels, samples };
}

/** Builds a WAV file by hand so headers wavefile would refuse to write can be tested. */
function rawWav(opts: {
  format: number;
  channels: number;
  rate: number;
  bits: number;
  data: Uint8Array;
  extensibleSubformat?: number;
}): Uint8Array {
  const extensible = opts.extensibleSubformat !== undefined;
  const fmtSize = extensible ? 40 : 16;
  const out = new Uint8Array(12 + 8 + fmtSize + 8 + opts.data.length);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  const blockAlign = (opts.channels * opts.bits) / 8;
  ascii(0, 'RIFF');
  v.setUint32(4, out.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, fmtSize, true);
  v.setUint16(20, extensible ? 0xfffe : opts.format, true);
  v.setUint16(22, opts.channels, true);
  v.setUint32(24, opts.rate, true);
  v.setUint32(28, opts.rate * blockAlign, true);
  v.setUint16(32, blockAlign, true);
  v.setUint16(34, opts.bits, true);
  if (extensible) {
    v.setUint16(36, 22, true); // cbSize
    v.setUint16(38, opts.bits, true); // valid bits
    v.setUint32(40, opts.channels === 2 ? 3 : 4, true); // channel mask
    v.setUint32(44, opts.extensibleSubformat ?? 1, true); // GUID: xxxxxxxx-0000-0010-8000-00aa00389b71
    v.setUint16(48, 0x0000, true);
    v.setUint16(50, 0x0010, true);
    out.set([0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 52);
  }
  const dataAt = 20 + fmtSize;
  ascii(dataAt, 'data');
  v.setUint32(dataAt + 4, opts.data.length, true);
  out.set(opts.data, dataAt + 8);
  return out;
}

function wavefileBytes(channels: number, rate: number, bitDepth: string, samples: number[]): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, rate, bitDepth, samples);
  return wav.toBuffer();
}

function rejection(bytes: Uint8Array, source?: string): WavFormatError {
  try {
    decodeWav(bytes, source);
  } catch (err) {
    assert.ok(err instanceof WavFormatError, `expected WavFormatError, got ${String(err)}`);
    assert.equal(err.code, 'UNSUPPORTED_AUDIO_FORMAT');
    assert.equal(err.name, 'WavFormatError');
    assert.ok(!err.message.includes('\n'), `message is one line: ${err.message}`);
    return err;
  }
  assert.fail('decodeWav did not throw');
}

describe('encodeWav / decodeWav', () => {
  test('round trip, mono and stereo, every supported rate', () => {
    for (const rate of SUPPORTED_SAMPLE_RATES) {
      for (const channels of [1, 2] as const) {
        const audio = tone(rate, channels, 1000);
        const bytes = encodeWav(audio);
        assert.equal(bytes.length, 44 + audio.samples.length * 2);
        const back = decodeWav(bytes, 'roundtrip.wav');
        assert.equal(back.sampleRate, rate);
        assert.equal(back.channels, channels);
        assert.ok(back.samples instanceof Int16Array);
        assert.deepEqual(back.samples, audio.samples);
      }
    }
  });

  test('encodes a canonical little-endian PCM header', () => {
    const bytes = encodeWav(tone(48000, 2, 10));
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
    assert.equal(text(0), 'RIFF');
    assert.equal(v.getUint32(4, true), bytes.length - 8);
    assert.equal(text(8), 'WAVE');
    assert.equal(text(12), 'fmt ');
    assert.equal(v.getUint16(20, true), 1); // PCM
    assert.equal(v.getUint16(22, true), 2);
    assert.equal(v.getUint32(24, true), 48000);
    assert.equal(v.getUint32(28, true), 48000 * 4);
    assert.equal(v.getUint16(32, true), 4);
    assert.equal(v.getUint16(34, true), 16);
    assert.equal(text(36), 'data');
    assert.equal(v.getUint32(40, true), 40);
    assert.equal(v.getInt16(44, true), -32768);
    assert.equal(v.getInt16(46, true), 32767);
  });

  test('empty audio round-trips', () => {
    const back = decodeWav(encodeWav({ sampleRate: 16000, channels: 1, samples: new Int16Array(0) }));
    assert.equal(back.samples.length, 0);
  });

  test('decodes from a Buffer view at a non-zero offset', () => {
    const audio = tone(8000, 2, 33);
    const bytes = encodeWav(audio);
    const big = Buffer.alloc(bytes.length + 7);
    big.set(bytes, 7);
    assert.deepEqual(decodeWav(big.subarray(7)).samples, audio.samples);
  });

  test('decodes big-endian RIFX and 16-bit WAVE_FORMAT_EXTENSIBLE', () => {
    const rifx = new wavefile.WaveFile();
    rifx.fromScratch(1, 16000, '16', [1, -2, 300, -32768], { container: 'RIFX' });
    assert.deepEqual(decodeWav(rifx.toBuffer()).samples, Int16Array.from([1, -2, 300, -32768]));

    const data = new Uint8Array(new Int16Array([5, -6, 7, -8]).buffer);
    const ext = decodeWav(
      rawWav({ format: 1, channels: 2, rate: 44100, bits: 16, data, extensibleSubformat: 1 }),
    );
    assert.equal(ext.channels, 2);
    assert.equal(ext.sampleRate, 44100);
    assert.deepEqual(ext.samples, Int16Array.from([5, -6, 7, -8]));
  });

  test('ignores a trailing partial frame', () => {
    const data = new Uint8Array([1, 0, 2, 0, 3]);
    const audio = decodeWav(rawWav({ format: 1, channels: 2, rate: 8000, bits: 16, data }));
    assert.deepEqual(audio.samples, Int16Array.from([1, 2]));
  });

  test('encodeWav rejects malformed audio', () => {
    assert.throws(() => encodeWav({ sampleRate: 8000, channels: 2, samples: new Int16Array(3) }), RangeError);
    assert.throws(
      () => encodeWav({ sampleRate: 0, channels: 1, samples: new Int16Array(3) }),
      /sampleRate must be a positive integer/,
    );
    assert.throws(
      () => encodeWav({ sampleRate: 8000, channels: 3 as 1, samples: new Int16Array(3) }),
      /channels must be 1 or 2/,
    );
  });
});

describe('decodeWav rejections', () => {
  test('24-bit PCM', () => {
    const err = rejection(wavefileBytes(1, 48000, '24', [0, 1, 2]), 'tone.wav');
    assert.equal(
      err.message,
      'tone.wav: 24-bit PCM is not supported; use 16-bit PCM (convert with: sox tone.wav -b 16 out.wav)',
    );
    assert.equal(err.source, 'tone.wav');
  });

  test('8-bit PCM', () => {
    const err = rejection(wavefileBytes(1, 8000, '8', [128, 129]), 'low.wav');
    assert.match(err.message, /^low\.wav: 8-bit PCM is not supported; use 16-bit PCM/);
  });

  test('32-bit float', () => {
    const err = rejection(wavefileBytes(2, 44100, '32f', [0, 0.5, -0.5, 0]), 'float.wav');
    assert.equal(
      err.message,
      'float.wav: 32-bit float is not supported; use 16-bit PCM ' +
        '(convert with: sox float.wav -b 16 -e signed-integer out.wav)',
    );
  });

  test('32-bit float in a WAVE_FORMAT_EXTENSIBLE header', () => {
    const data = new Uint8Array(8);
    const err = rejection(
      rawWav({ format: 3, channels: 1, rate: 48000, bits: 32, data, extensibleSubformat: 3 }),
    );
    assert.match(err.message, /^input: 32-bit float is not supported/);
  });

  test('A-law', () => {
    const data = new Uint8Array(4);
    const err = rejection(rawWav({ format: 6, channels: 1, rate: 8000, bits: 8, data }), 'phone.wav');
    assert.match(err.message, /^phone\.wav: 8-bit A-law is not supported; use 16-bit PCM/);
  });

  test('more than two channels', () => {
    const err = rejection(wavefileBytes(6, 48000, '16', new Array(12).fill(0)), 'surround.wav');
    assert.equal(
      err.message,
      'surround.wav: 6-channel audio is not supported; use mono or stereo ' +
        '(convert with: sox surround.wav -c 2 out.wav)',
    );
  });

  test('unsupported sample rate', () => {
    const err = rejection(wavefileBytes(1, 22050, '16', [0, 1]), 'cd-half.wav');
    assert.equal(
      err.message,
      'cd-half.wav: a sample rate of 22050 Hz is not supported; ' +
        'use a sample rate of 8000, 16000, 32000, 44100 or 48000 Hz ' +
        '(convert with: sox cd-half.wav -r 48000 out.wav)',
    );
  });

  test('several problems at once are reported together', () => {
    const err = rejection(wavefileBytes(6, 96000, '24', new Array(12).fill(0)), 'studio.wav');
    assert.match(
      err.message,
      /^studio\.wav: 24-bit PCM, 6-channel audio and a sample rate of 96000 Hz are not supported; use 16-bit PCM, mono or stereo and a sample rate of 8000, 16000, 32000, 44100 or 48000 Hz /,
    );
    assert.match(err.message, /\(convert with: sox studio\.wav -b 16 -c 2 -r 48000 out\.wav\)$/);
  });

  test('not a WAV file', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['text', new TextEncoder().encode('hello, this is not audio at all')],
      ['mp3', new Uint8Array([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x64])],
      ['riff-avi', new TextEncoder().encode('RIFF\x10\x00\x00\x00AVI LIST\x04\x00\x00\x00hdrl')],
      ['no-data-chunk', encodeWav(tone(8000, 1, 4)).subarray(0, 36)],
    ];
    for (const [name, bytes] of cases) {
      const err = rejection(bytes, `${name}.bin`);
      assert.match(err.message, new RegExp(`^${name}\\.bin: not a WAV file \\(`), err.message);
      assert.match(err.message, /use a 16-bit PCM WAV file/);
    }
  });

  test('default source label and shell quoting of odd file names', () => {
    assert.match(rejection(new Uint8Array(3)).message, /^input: not a WAV file/);
    const err = rejection(wavefileBytes(1, 48000, '24', [0]), "my song's take.wav");
    assert.match(err.message, /^my song's take\.wav: 24-bit PCM/);
    assert.match(err.message, /sox 'my song'\\''s take\.wav' -b 16 out\.wav\)$/);
  });
});

describe('with sox', () => {
  test('decodes a 44.1 kHz stereo file generated by sox', (t) => {
    if (!hasSox) {
      t.skip('sox is not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-wav-'));
    try {
      const file = join(dir, 'sox-tone.wav');
      // 0.5 s: 440 Hz left, 880 Hz right, at half amplitude.
      sox([
        '-n',
        '-r',
        '44100',
        '-c',
        '2',
        '-b',
        '16',
        file,
        'synth',
        '0.5',
        'sine',
        '440',
        'sine',
        '880',
        'vol',
        '0.5',
      ]);
      const audio = decodeWav(readFileSync(file), file);
      assert.equal(audio.sampleRate, 44100);
      assert.equal(audio.channels, 2);
      assert.equal(audio.samples.length, 2 * 22050);
      let peakL = 0;
      let peakR = 0;
      let crossingsL = 0;
      let crossingsR = 0;
      for (let i = 2; i < audio.samples.length; i += 2) {
        peakL = Math.max(peakL, Math.abs(audio.samples[i]));
        peakR = Math.max(peakR, Math.abs(audio.samples[i + 1]));
        if (audio.samples[i - 2] < 0 !== audio.samples[i] < 0) crossingsL++;
        if (audio.samples[i - 1] < 0 !== audio.samples[i + 1] < 0) crossingsR++;
      }
      assert.ok(peakL > 15000 && peakL < 17000, `left peak ${peakL}`);
      assert.ok(peakR > 15000 && peakR < 17000, `right peak ${peakR}`);
      // 440 Hz for 0.5 s crosses zero ~440 times; 880 Hz ~880 times.
      assert.ok(Math.abs(crossingsL - 440) <= 4, `left crossings ${crossingsL}`);
      assert.ok(Math.abs(crossingsR - 880) <= 4, `right crossings ${crossingsR}`);
      // sox reads what encodeWav writes.
      const again = join(dir, 'again.wav');
      const back = join(dir, 'back.raw');
      writeFileSync(again, encodeWav(audio));
      sox([again, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', back]);
      const raw = readFileSync(back);
      assert.deepEqual(new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2), audio.samples);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the suggested sox command fixes rejected files', (t) => {
    if (!hasSox) {
      t.skip('sox is not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-wav-'));
    try {
      const variants: Array<[string, string[]]> = [
        ['24bit', ['-r', '48000', '-c', '1', '-b', '24']],
        ['float', ['-r', '16000', '-c', '2', '-b', '32', '-e', 'floating-point']],
        ['surround', ['-r', '96000', '-c', '6', '-b', '16']],
      ];
      for (const [name, format] of variants) {
        const input = join(dir, `${name}.wav`);
        sox(['-n', ...format, input, 'synth', '0.1', 'sine', '1000', 'vol', '0.5']);
        const err = rejection(readFileSync(input), input);
        const match = /\(convert with: sox (\S+) (.*) out\.wav\)$/.exec(err.message);
        assert.ok(match, err.message);
        assert.equal(match[1], input);
        const output = join(dir, `${name}-fixed.wav`);
        sox([input, ...match[2].split(' '), output]);
        const fixed = decodeWav(readFileSync(output), output);
        assert.ok(fixed.samples.length > 0, name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
