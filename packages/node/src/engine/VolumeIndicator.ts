import type { AudioFrame as PcmFrame } from '../AudioFrame.js';
import { PatchbayError } from '../errors.js';
import type { AudioVolumeInfo } from './types.js';

interface Level {
  sum: number;
  count: number;
  smoothed: number;
}

/**
 * enableAudioVolumeIndication(): the loudness (0..255, from RMS) of the local sent audio and of
 * each remote user, reported every `intervalMs` as Agora does: once for the local user (uid 0)
 * and once for the remote speakers. `smooth` (0..10) weights the previous report.
 */
export class VolumeIndicator {
  readonly #levels = new Map<number, Level>();
  readonly #local: Level = { sum: 0, count: 0, smoothed: 0 };
  readonly #timer: NodeJS.Timeout;
  readonly #smooth: number;

  constructor(
    intervalMs: number,
    smooth: number,
    report: (speakers: AudioVolumeInfo[], totalVolume: number, local: boolean) => void,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs < 10) {
      throw PatchbayError.invalidParams(
        `interval must be an integer >= 10 ms (or <= 0 to disable), got ${String(intervalMs)}`,
      );
    }
    if (!Number.isFinite(smooth) || smooth < 0 || smooth > 10) {
      throw PatchbayError.invalidParams(`smooth must be 0..10, got ${String(smooth)}`);
    }
    this.#smooth = smooth / 10;
    this.#timer = setInterval(() => {
      const local = this.#take(this.#local);
      report([{ uid: 0, volume: local, vad: local > 10 ? 1 : 0, voicePitch: 0 }], local, true);
      const speakers: AudioVolumeInfo[] = [];
      let total = 0;
      for (const [uid, level] of this.#levels) {
        const volume = this.#take(level);
        total = Math.max(total, volume);
        speakers.push({ uid, volume, vad: 0, voicePitch: 0 });
      }
      report(speakers, total, false);
    }, intervalMs);
    this.#timer.unref();
  }

  onLocal(frame: PcmFrame): void {
    accumulate(this.#local, frame.samples);
  }

  onRemote(uid: number, frame: PcmFrame): void {
    let level = this.#levels.get(uid);
    if (!level) {
      level = { sum: 0, count: 0, smoothed: 0 };
      this.#levels.set(uid, level);
    }
    accumulate(level, frame.samples);
  }

  removeUser(uid: number): void {
    this.#levels.delete(uid);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #take(level: Level): number {
    const rms = level.count > 0 ? Math.sqrt(level.sum / level.count) / 32768 : 0;
    level.sum = 0;
    level.count = 0;
    const volume = Math.min(255, Math.round(rms * Math.SQRT2 * 255));
    level.smoothed = Math.round(this.#smooth * level.smoothed + (1 - this.#smooth) * volume);
    return level.smoothed;
  }
}

function accumulate(level: Level, samples: Int16Array): void {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  level.sum += sum;
  level.count += samples.length;
}
