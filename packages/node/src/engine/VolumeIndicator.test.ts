import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateTone } from '../audio/analysis.js';
import type { AudioVolumeInfo } from './types.js';
import { VolumeIndicator } from './VolumeIndicator.js';

describe('VolumeIndicator', () => {
  it('reports the local user (uid 0) and each remote user, 0..255 from RMS, every interval', async () => {
    const reports: { speakers: AudioVolumeInfo[]; total: number; local: boolean }[] = [];
    const vi = new VolumeIndicator(50, 0, (speakers, total, local) =>
      reports.push({ speakers, total, local }),
    );
    const loud = {
      samples: generateTone(440, 48000, 1, 0.01, 1),
      sampleRate: 48000,
      channels: 1,
      samplesPerChannel: 480,
    };
    const quiet = {
      samples: generateTone(440, 48000, 1, 0.01, 0.1),
      sampleRate: 48000,
      channels: 1,
      samplesPerChannel: 480,
    };
    const feed = setInterval(() => {
      vi.onLocal(quiet);
      vi.onRemote(7, loud);
      vi.onRemote(8, quiet);
    }, 10);
    await new Promise((r) => setTimeout(r, 130));
    clearInterval(feed);
    vi.stop();
    const local = reports.find((r) => r.local);
    const remote = reports.find((r) => !r.local && r.speakers.length === 2);
    assert.ok(local && remote, 'both reports arrived');
    assert.equal(local.speakers[0].uid, 0);
    assert.ok(Math.abs((local.speakers[0].volume ?? 0) - 25) <= 2, `local ${local.speakers[0].volume}`);
    const byUid = new Map(remote.speakers.map((s) => [s.uid, s.volume ?? 0]));
    assert.ok(Math.abs((byUid.get(7) ?? 0) - 255) <= 2, `uid 7: ${byUid.get(7)}`);
    assert.ok(Math.abs((byUid.get(8) ?? 0) - 25) <= 2, `uid 8: ${byUid.get(8)}`);
    assert.equal(remote.total, byUid.get(7));
  });

  it('rejects a bad interval or smoothing', () => {
    assert.throws(() => new VolumeIndicator(5, 3, () => undefined), { code: 'INVALID_PARAMS' });
    assert.throws(() => new VolumeIndicator(200, 11, () => undefined), { code: 'INVALID_PARAMS' });
  });
});
