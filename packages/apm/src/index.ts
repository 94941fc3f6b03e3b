import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian/Ubuntu package that provides libwebrtc's audio processing library. */
export const APM_APT_PACKAGE = 'libwebrtc-audio-processing-dev';

export interface AudioProcessorOptions {
  /** 8000, 16000, 32000 or 48000 (default 48000). Frames are always 10 ms. */
  sampleRate?: 8000 | 16000 | 32000 | 48000;
  /** Interleaved channels, 1 or 2 (default 1). */
  channels?: 1 | 2;
  /** Echo cancellation against what processReverse() is given (default true). */
  aec?: boolean;
  /** Automatic gain control, adaptive digital (default true). */
  agc?: boolean;
  /** Noise suppression (default true). */
  ns?: boolean;
  /** High-pass filter (default true). */
  hpf?: boolean;
  /** AEC non-linear suppression: 0 low (default: keeps the near end in double talk), 1 moderate, 2 high. */
  aecLevel?: 0 | 1 | 2;
  /** NS level: 0 low, 1 moderate, 2 high (default), 3 very high. */
  nsLevel?: 0 | 1 | 2 | 3;
  /** AGC target peak level, dB below full scale (default 3, i.e. -3 dBFS). */
  agcTargetDbfs?: number;
  /** AGC maximum digital gain, dB (default 9). */
  agcCompressionGainDb?: number;
  /** AEC extended filter (128 ms, robust to wrong delays; default true). */
  extendedFilter?: boolean;
  /** AEC estimates the render-to-capture delay itself (default true). */
  delayAgnostic?: boolean;
}

export interface AudioProcessorStats {
  streamHasEcho?: boolean;
  /** Echo return loss enhancement, dB (instant), once the AEC has measured it. */
  erleDb?: number;
  erlDb?: number;
  delayMedianMs?: number;
  /** NS speech probability of the last frame, 0..1. */
  speechProbability?: number;
}

interface NativeProcessor {
  processCapture(frame: Int16Array): void;
  processReverse(frame: Int16Array): void;
  setStreamDelayMs(ms: number): void;
  stats(): AudioProcessorStats;
  close(): void;
}

type NativeCtor = new (options: AudioProcessorOptions) => NativeProcessor;

let loaded: { ctor: NativeCtor | null; error: string } | null = null;

/** Path of the compiled addon (packages/apm/native/build/Release/patchbay_apm.node). */
function addonPath(): string {
  return join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    'native',
    'build',
    'Release',
    'patchbay_apm.node',
  );
}

function load(): { ctor: NativeCtor | null; error: string } {
  if (loaded) return loaded;
  const path = addonPath();
  if (!existsSync(path)) {
    loaded = { ctor: null, error: 'the native addon was not built' };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as { NativeAudioProcessor: NativeCtor };
    loaded = { ctor: addon.NativeAudioProcessor, error: '' };
  } catch (e) {
    loaded = { ctor: null, error: `the native addon failed to load: ${(e as Error).message}` };
  }
  return loaded;
}

/** True when libwebrtc's audio processing module can be used in this process (the addon is built and loads). */
export function isApmAvailable(): boolean {
  return load().ctor !== null;
}

/** Why the APM is not available ('' when it is). */
export function apmUnavailableReason(): string {
  return load().error;
}

/** An Error with a stable `code`, like the SDK's PatchbayError. */
export class ApmError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApmError';
    this.code = code;
  }
}

/**
 * libwebrtc's AudioProcessing module (webrtc-audio-processing 0.3): echo cancellation (AEC,
 * extended filter, delay-agnostic), adaptive digital AGC, noise suppression and a high-pass
 * filter, on 10 ms frames of interleaved 16-bit PCM.
 *
 * Per 10 ms: give the audio that is played out (the far end, the echo reference) to
 * processReverse(), and the captured audio to processCapture(), which changes it in place.
 */
export class AudioProcessor {
  readonly sampleRate: 8000 | 16000 | 32000 | 48000;
  readonly channels: 1 | 2;
  /** Samples in one 10 ms frame (all channels). */
  readonly frameLength: number;
  #native: NativeProcessor | null;

  /** @throws ApmError NOT_SUPPORTED when the addon is not built (see isApmAvailable()). */
  constructor(options: AudioProcessorOptions = {}) {
    const { ctor, error } = load();
    if (!ctor) {
      throw new ApmError(
        'NOT_SUPPORTED',
        `libwebrtc audio processing is not available (${error}): install ${APM_APT_PACKAGE} (apt-get install ${APM_APT_PACKAGE}) and rebuild (npm run build)`,
      );
    }
    this.sampleRate = options.sampleRate ?? 48000;
    this.channels = options.channels ?? 1;
    try {
      this.#native = new ctor({ ...options, channels: this.channels });
    } catch (e) {
      const err = e as Error & { code?: string };
      throw new ApmError(err.code ?? 'INTERNAL_ERROR', err.message);
    }
    this.frameLength = (this.sampleRate / 100) * this.channels;
  }

  /** Processes 10 ms of captured audio in place (AEC, then NS, then AGC). */
  processCapture(frame: Int16Array): void {
    this.#require().processCapture(frame);
  }

  /** Feeds 10 ms of the audio being played (the echo reference). The frame is not changed. */
  processReverse(frame: Int16Array): void {
    this.#require().processReverse(frame);
  }

  /** The delay between a frame given to processReverse() and its echo in processCapture(), ms (a hint; the AEC also estimates it). */
  setStreamDelayMs(ms: number): void {
    this.#require().setStreamDelayMs(Math.round(ms));
  }

  stats(): AudioProcessorStats {
    return this.#require().stats();
  }

  get closed(): boolean {
    return this.#native === null;
  }

  /** Frees the native state; later calls throw INVALID_OPERATION. */
  close(): void {
    this.#native?.close();
    this.#native = null;
  }

  #require(): NativeProcessor {
    if (!this.#native) throw new ApmError('INVALID_OPERATION', 'the AudioProcessor was closed');
    return this.#native;
  }
}
