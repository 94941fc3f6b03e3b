import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { createAgoraRtcEngine, createRtcEngine } from '../index.js';
import { AudioTrackType, ClientRoleType, RawAudioFrameOpModeType } from './enums.js';
import type { RtcEngine } from './RtcEngine.js';

const engines: RtcEngine[] = [];
/** An initialized engine that never joins (no server needed: pushes before join are queued). */
function engine(): RtcEngine {
  const e = createRtcEngine();
  e.initialize({ appId: 'unit', server: 'ws://127.0.0.1:9', audioBufferMs: 60000 });
  engines.push(e);
  return e;
}

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    if (message) assert.match((error as Error).message, message);
    return true;
  });
}

describe('RtcEngine: shape and bad input', () => {
  after(() => {
    for (const e of engines) e.release();
  });

  it('exports the factory under both names, with the native enums', () => {
    assert.equal(createAgoraRtcEngine, createRtcEngine);
    assert.equal(AudioTrackType.AudioTrackMixable, 0);
    assert.equal(AudioTrackType.AudioTrackDirect, 1);
    assert.equal(ClientRoleType.ClientRoleAudience, 2);
    assert.equal(RawAudioFrameOpModeType.RawAudioFrameOpModeReadWrite, 2);
  });

  it('rejects calls before initialize() and after release()', () => {
    const e = createRtcEngine();
    throwsCode(() => e.setExternalAudioSource(true, 48000, 1), 'ENGINE_NOT_INITIALIZED');
    throwsCode(() => e.createCustomAudioTrack(AudioTrackType.AudioTrackMixable), 'ENGINE_NOT_INITIALIZED');
    e.initialize({ appId: 'x', server: 'ws://127.0.0.1:9' });
    throwsCode(() => e.initialize({ appId: 'x' }), 'INVALID_OPERATION');
    e.release();
    throwsCode(
      () => e.pushExternalAudioFrame(new Int16Array(480), 0, 48000, 1, 2, 0),
      'ENGINE_NOT_INITIALIZED',
    );
  });

  it('gives every bad push a typed error and loses nothing already queued', async () => {
    const fresh = engine();
    throwsCode(
      () => fresh.pushExternalAudioFrame(new Int16Array(480), 0, 48000, 1, 2, 0),
      'EXTERNAL_SOURCE_NOT_ENABLED',
      /setExternalAudioSource/,
    );
    const e = engine();
    e.setExternalAudioSource(true, 48000, 2);
    await e.pushExternalAudioFrame(new Int16Array(9600), 0, 48000, 2, 2, 0);
    assert.equal(e.getQueuedDurationMs(0), 100);
    const media = e.getMediaEngine();
    const bad: [() => unknown, string][] = [
      // length vs samples x channels x bytes
      [
        () =>
          media.pushAudioFrame({
            samplesPerChannel: 480,
            channels: 2,
            bytesPerSample: 2,
            samplesPerSec: 48000,
            buffer: new Uint8Array(1000),
          }),
        'INVALID_PCM_LENGTH',
      ],
      [() => e.pushExternalAudioFrame(new Uint8Array(6), 0, 48000, 2, 2, 0), 'INVALID_PCM_LENGTH'],
      [() => e.pushExternalAudioFrame(new Uint8Array(0), 0, 48000, 2, 2, 0), 'INVALID_PCM_LENGTH'],
      // unsupported rate, channels, sample size
      [() => e.pushExternalAudioFrame(new Int16Array(480), 0, 22050, 2, 2, 0), 'UNSUPPORTED_AUDIO_FORMAT'],
      [() => e.pushExternalAudioFrame(new Int16Array(480), 0, 48000, 3, 2, 0), 'UNSUPPORTED_AUDIO_FORMAT'],
      [() => e.pushExternalAudioFrame(new Int16Array(480), 0, 48000, 2, 3, 0), 'UNSUPPORTED_AUDIO_FORMAT'],
      [() => e.pushExternalAudioFrame(new Int16Array(480), 0, 44100, 2, 2, 0), 'UNSUPPORTED_AUDIO_FORMAT'],
      // wrong type
      [() => e.pushExternalAudioFrame('pcm' as never, 0, 48000, 2, 2, 0), 'INVALID_PCM_TYPE'],
      [() => e.pushExternalAudioFrame([1, 2] as never, 0, 48000, 2, 2, 0), 'INVALID_PCM_TYPE'],
      [() => e.pushExternalAudioFrame(null as never, 0, 48000, 2, 2, 0), 'INVALID_PCM_TYPE'],
      [() => e.pushExternalAudioFrame(new Float32Array(4), 0, 48000, 2, 2, 0), 'INVALID_PCM_TYPE'],
      [() => e.pushExternalAudioFrame(new Int16Array(4), 0, 48000, 2, 4, 0), 'INVALID_PCM_TYPE'],
      // NaN or out-of-range floats
      [
        () => e.pushExternalAudioFrame(new Float32Array([0, Number.NaN]), 0, 48000, 2, 4, 0),
        'INVALID_PCM_VALUE',
      ],
      [() => e.pushExternalAudioFrame(new Float32Array([0.5, 1.5]), 0, 48000, 2, 4, 0), 'INVALID_PCM_VALUE'],
      [
        () => e.pushExternalAudioFrame(new Float32Array([Number.POSITIVE_INFINITY, 0]), 0, 48000, 2, 4, 0),
        'INVALID_PCM_VALUE',
      ],
      // unknown trackId
      [() => e.pushExternalAudioFrame(new Int16Array(480), 0, 48000, 2, 2, 555), 'INVALID_TRACK_ID'],
      [() => e.pushExternalAudioFrame(new Int16Array(480), 0, 48000, 2, 2, '0' as never), 'INVALID_TRACK_ID'],
      [
        () =>
          media.pushAudioFrame(
            {
              samplesPerChannel: 1,
              channels: 2,
              bytesPerSample: 2,
              samplesPerSec: 48000,
              buffer: new Uint8Array(4),
            },
            7,
          ),
        'INVALID_TRACK_ID',
      ],
      // bad timestamps
      [() => e.pushExternalAudioFrame(new Int16Array(480), Number.NaN, 48000, 2, 2, 0), 'INVALID_PARAMS'],
      [() => e.pushExternalAudioFrame(new Int16Array(480), -5, 48000, 2, 2, 0), 'INVALID_PARAMS'],
      [() => media.pushAudioFrame(null as never), 'INVALID_PARAMS'],
    ];
    for (const [fn, code] of bad) {
      throwsCode(fn, code);
      assert.equal(e.getQueuedDurationMs(0), 100, `still 100 ms queued after a ${code}`);
    }
  });

  it('checks track, sink, observer and channel arguments', async () => {
    const e = engine();
    throwsCode(() => e.createCustomAudioTrack(5 as AudioTrackType), 'INVALID_PARAMS');
    throwsCode(
      () => e.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, { bufferMs: 5 }),
      'INVALID_PARAMS',
    );
    const id = e.createCustomAudioTrack(AudioTrackType.AudioTrackDirect, { sampleRate: 16000, channels: 1 });
    assert.ok(id >= 100, 'createCustomAudioTrack ids start at 100');
    throwsCode(() => e.adjustCustomAudioPublishVolume(id, 101), 'INVALID_PARAMS');
    throwsCode(() => e.adjustCustomAudioPlayoutVolume(id, -1), 'INVALID_PARAMS');
    throwsCode(() => e.enableCustomAudioLocalPlayback(999, true), 'INVALID_TRACK_ID');
    throwsCode(() => e.destroyCustomAudioTrack(999), 'INVALID_TRACK_ID');
    throwsCode(() => e.pullAudioFrame({}), 'EXTERNAL_SINK_NOT_ENABLED');
    throwsCode(() => e.setExternalAudioSink(true, 22050, 1), 'UNSUPPORTED_AUDIO_FORMAT');
    throwsCode(() => e.setRecordingAudioFrameParameters(48000, 1, 0, 100), 'INVALID_PARAMS', /10 ms/);
    throwsCode(() => e.setPlaybackAudioFrameParameters(48000, 2, 0, 961), 'INVALID_PARAMS');
    throwsCode(() => e.setMixedAudioFrameParameters(48000, 3, 480), 'UNSUPPORTED_AUDIO_FORMAT');
    throwsCode(() => e.setRecordingAudioFrameParameters(48000, 1, 1, 480), 'INVALID_PARAMS');
    throwsCode(() => e.setExternalAudioSource(true, 48000, 1, 0), 'INVALID_PARAMS');
    throwsCode(() => e.setExternalAudioSource(true, 11025, 1), 'UNSUPPORTED_AUDIO_FORMAT');
    await assert.rejects(
      e.joinChannel('', 'c', 0, { publishCustomAudioTrackId: id, publishMicrophoneTrack: true }),
      { code: 'INVALID_PARAMS' },
    );
    await assert.rejects(e.joinChannel('', 'c', 1.5, {}), { code: 'INVALID_PARAMS' });
  });

  it('the sink pull fills a 10 ms frame of silence when nothing was played', () => {
    const e = engine();
    e.setExternalAudioSink(true, 16000, 2);
    const frame: Parameters<RtcEngine['pullAudioFrame']>[0] = { buffer: new Uint8Array(640) };
    assert.equal(e.pullAudioFrame(frame), 0);
    assert.equal(frame.samplesPerChannel, 160);
    assert.equal(frame.channels, 2);
    assert.equal(frame.samplesPerSec, 16000);
    assert.equal(frame.bytesPerSample, 2);
    assert.ok(
      (frame.buffer as Uint8Array).every((b) => b === 0),
      'silence',
    );
    throwsCode(
      () => e.pullAudioFrame({ samplesPerChannel: 160, buffer: new Uint8Array(100) }),
      'INVALID_PCM_LENGTH',
    );
  });

  it('setExternalAudioSource: the 4.0 sourceNumber form makes tracks 0..n-1; disabling removes them', () => {
    const e = engine();
    e.setExternalAudioSource(true, 44100, 2, 3, false, true);
    for (const id of [0, 1, 2]) assert.equal(e.getCustomAudioTrack(id)?.sampleRate, 44100);
    e.setExternalAudioSource(true, 16000, 1, true, false); // 4.2 form: one track, replaces them
    assert.equal(e.getCustomAudioTrack(0)?.sampleRate, 16000);
    throwsCode(() => e.getCustomAudioTrack(1), 'INVALID_TRACK_ID');
    e.setExternalAudioSource(false, 16000, 1);
    throwsCode(() => e.getCustomAudioTrack(0), 'INVALID_TRACK_ID');
  });
});

type Push =
  | { kind: 'int16'; frames: number; api: 'external' | 'frame'; timestamp: number | undefined }
  | { kind: 'float'; frames: number; timestamp: number | undefined }
  | { kind: 'bad'; which: number };

const pushArb: fc.Arbitrary<Push> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('int16' as const),
      frames: fc.integer({ min: 1, max: 1500 }),
      api: fc.constantFrom('external' as const, 'frame' as const),
      timestamp: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('float' as const),
      frames: fc.integer({ min: 1, max: 1500 }),
      timestamp: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('bad' as const), which: fc.integer({ min: 0, max: 5 }) }),
  },
);

const BAD_CODES = [
  'INVALID_PCM_LENGTH',
  'UNSUPPORTED_AUDIO_FORMAT',
  'INVALID_PCM_TYPE',
  'INVALID_PCM_VALUE',
  'INVALID_TRACK_ID',
  'INVALID_PARAMS',
];

describe('RtcEngine push API (property)', () => {
  after(() => {
    for (const e of engines) e.release();
  });

  it('plays back exactly the valid pushes, in push order, whatever their sizes, APIs and timestamps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<1 | 2>(1, 2),
        fc.array(pushArb, { minLength: 1, maxLength: 25 }),
        async (ch, pushes) => {
          const e = engine();
          const id = e.createCustomAudioTrack(AudioTrackType.AudioTrackMixable, {
            sampleRate: 48000,
            channels: ch,
          });
          const track = e.getCustomAudioTrack(id);
          assert.ok(track);
          await track.ready;
          const expected: number[] = [];
          let counter = 1;
          for (const p of pushes) {
            const before = e.getQueuedDurationMs(id);
            if (p.kind === 'bad') {
              const bads: (() => unknown)[] = [
                () =>
                  e.pushExternalAudioFrame(
                    new Int16Array(ch === 2 ? 3 : 1).subarray(0, ch === 2 ? 3 : 0),
                    0,
                    48000,
                    ch,
                    2,
                    id,
                  ),
                () => e.pushExternalAudioFrame(new Int16Array(ch * 10), 0, 32000, ch, 2, id),
                () => e.pushExternalAudioFrame({} as never, 0, 48000, ch, 2, id),
                () =>
                  e.pushExternalAudioFrame(new Float32Array(ch * 2).fill(Number.NaN), 0, 48000, ch, 4, id),
                () => e.pushExternalAudioFrame(new Int16Array(ch * 10), 0, 48000, ch, 2, id + 1),
                () =>
                  e.pushExternalAudioFrame(
                    new Int16Array(ch * 10),
                    Number.POSITIVE_INFINITY,
                    48000,
                    ch,
                    2,
                    id,
                  ),
              ];
              assert.throws(bads[p.which], (err: unknown) =>
                BAD_CODES.includes((err as { code: string }).code),
              );
              assert.equal(e.getQueuedDurationMs(id), before, 'a bad push changes nothing');
              continue;
            }
            const samples = new Int16Array(p.frames * ch);
            for (let i = 0; i < samples.length; i++) {
              samples[i] = (counter++ % 30000) + 1;
              expected.push(samples[i]);
            }
            if (p.kind === 'float') {
              const f = Float32Array.from(samples, (v) => v / 32768);
              void e.pushExternalAudioFrame(f, p.timestamp ?? 0, 48000, ch, 4, id);
            } else if (p.api === 'external') {
              void e.pushExternalAudioFrame(Buffer.from(samples.buffer), p.timestamp ?? 0, 48000, ch, 2, id);
            } else {
              const buffer = new Uint8Array(samples.buffer);
              void e.getMediaEngine().pushAudioFrame(
                {
                  samplesPerChannel: p.frames,
                  channels: ch,
                  bytesPerSample: 2,
                  samplesPerSec: 48000,
                  buffer,
                  renderTimeMs: p.timestamp,
                },
                id,
              );
            }
            assert.ok(
              Math.abs(e.getQueuedDurationMs(id) - before - p.frames / 48) < 1e-9,
              'queued grows by the push',
            );
          }
          // Read it all out as the send clock would; silence (zeros) may only pad, never interleave.
          const out: number[] = [];
          for (let tick = 0; tick < expected.length / (480 * ch) + 8; tick++) {
            for (const v of track.readFrame()) if (v !== 0) out.push(v);
          }
          assert.deepEqual(out, expected);
          assert.equal(track.stats.underruns, expected.length > 0 ? 1 : 0, 'starved once, at the end');
          e.release();
        },
      ),
      { numRuns: 40 },
    );
  });
});
