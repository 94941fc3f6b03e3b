import type { Uid } from '@patchbay/protocol';

/** The payload of the Web SDK NG's "exception" event. */
export interface ClientException {
  code: number;
  msg: string;
  uid: Uid;
}

/** What the monitor reads from the client. Each returns null when the check does not apply now. */
export interface ExceptionProbe {
  /** Level 0..1 of what the client sends; null when nothing is published or it is muted. */
  localLevel(): number | null;
  /** Level 0..1 of each subscribed user's audio. */
  remoteLevels(): Array<[Uid, number]>;
  /** Send bitrate in bits/s; null when not publishing. */
  sendBitrate(): number | null;
  localUid(): Uid | null;
}

/** Exception codes and their recovery codes, as in the Web SDK NG. */
const KINDS = {
  AUDIO_INPUT_LEVEL_TOO_LOW: [2001, 4001],
  AUDIO_OUTPUT_LEVEL_TOO_LOW: [2002, 4002],
  SEND_AUDIO_BITRATE_TOO_LOW: [2003, 4003],
} as const;
type Kind = keyof typeof KINDS;

/** Below this RMS (about -46 dBFS) a stream counts as silent. */
const SILENT_LEVEL = 0.005;
/** Below this a published stream is starved (Opus voice sends 20+ kbps). */
const LOW_BITRATE_BPS = 8000;
const SAMPLE_MS = 500;
const WINDOW_SAMPLES = 4;
/** Windows in a row that must be bad before the exception fires (one good window recovers it). */
const BAD_WINDOWS = 2;

/**
 * Watches levels and bitrate while joined and emits the Web SDK NG's "exception" events (2001
 * input level too low, 2002 output level too low, 2003 send bitrate too low) and their recoveries
 * (4001..4003): after 4 s of the condition, and once it clears.
 */
export class ExceptionMonitor {
  readonly #probe: ExceptionProbe;
  readonly #emit: (exception: ClientException) => void;
  #timer: ReturnType<typeof setInterval> | null = null;
  #samples = 0;
  /** Per key (kind + uid): the loudest level seen in the current window. */
  readonly #peaks = new Map<string, { kind: Kind; uid: Uid; peak: number }>();
  /** Per key: bad windows in a row, and whether the exception is raised. */
  readonly #state = new Map<string, { bad: number; raised: boolean }>();

  constructor(probe: ExceptionProbe, emit: (exception: ClientException) => void) {
    this.#probe = probe;
    this.#emit = emit;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#samples = 0;
    this.#peaks.clear();
    this.#state.clear();
  }

  #observe(kind: Kind, uid: Uid, value: number): void {
    const key = `${kind}:${typeof uid}:${String(uid)}`;
    const entry = this.#peaks.get(key);
    if (entry) entry.peak = Math.max(entry.peak, value);
    else this.#peaks.set(key, { kind, uid, peak: value });
  }

  #sample(): void {
    const probe = this.#probe;
    const self = probe.localUid();
    if (self !== null) {
      const level = probe.localLevel();
      if (level !== null) this.#observe('AUDIO_INPUT_LEVEL_TOO_LOW', self, level);
      const bitrate = probe.sendBitrate();
      if (bitrate !== null) this.#observe('SEND_AUDIO_BITRATE_TOO_LOW', self, bitrate);
    }
    for (const [uid, level] of probe.remoteLevels()) this.#observe('AUDIO_OUTPUT_LEVEL_TOO_LOW', uid, level);
    if (++this.#samples < WINDOW_SAMPLES) return;
    this.#samples = 0;
    this.#closeWindow();
  }

  #closeWindow(): void {
    for (const [key, { kind, uid, peak }] of this.#peaks) {
      const threshold = kind === 'SEND_AUDIO_BITRATE_TOO_LOW' ? LOW_BITRATE_BPS : SILENT_LEVEL;
      const state = this.#state.get(key) ?? { bad: 0, raised: false };
      this.#state.set(key, state);
      if (peak < threshold) {
        state.bad++;
        if (!state.raised && state.bad >= BAD_WINDOWS) {
          state.raised = true;
          this.#emit({ code: KINDS[kind][0], msg: kind, uid });
        }
      } else {
        state.bad = 0;
        if (state.raised) {
          state.raised = false;
          this.#emit({ code: KINDS[kind][1], msg: `${kind}_RECOVER`, uid });
        }
      }
    }
    // Streams that went away (unpublished, unsubscribed) are forgotten without a recovery event.
    for (const key of [...this.#state.keys()]) if (!this.#peaks.has(key)) this.#state.delete(key);
    this.#peaks.clear();
  }
}
