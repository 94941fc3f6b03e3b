import { AudioProcessor, apmUnavailableReason, isApmAvailable } from '@patchbay/apm';
import { convertChannels } from './channels.js';
import type { NoiseSuppressor } from './NoiseSuppressor.js';

const FRAME = 480; // 10 ms at 48 kHz

/** Which processing the "before processing" position runs in this process. */
export interface AudioProcessingInfo {
  /** 'apm': libwebrtc's audio processing module (@patchbay/apm), then RNNoise; 'rnnoise': RNNoise only. */
  engine: 'apm' | 'rnnoise';
  aec: boolean;
  agc: boolean;
  ns: boolean;
  /** Why the APM is not used ('' when it is). */
  reason: string;
}

/** What the "before processing" position runs: the APM when its addon is built, else RNNoise. */
export function audioProcessingInfo(): AudioProcessingInfo {
  return isApmAvailable()
    ? { engine: 'apm', aec: true, agc: true, ns: true, reason: '' }
    : {
        engine: 'rnnoise',
        aec: false,
        agc: false,
        ns: true,
        reason: `${apmUnavailableReason()}; install libwebrtc-audio-processing-dev and rebuild for AEC and AGC`,
      };
}

/**
 * The "before processing" position with libwebrtc's APM (@patchbay/apm): high-pass filter, echo
 * cancellation against what this app plays (see {@link reverse}), noise suppression and adaptive
 * digital AGC, then RNNoise ({@link postFilter}, once loaded) on what remains: APM 0.3's noise
 * suppressor alone takes ~16 dB off broadband noise, RNNoise after it another ~40 dB.
 * On the SDK's 10 ms, 48 kHz frames; one APM per track.
 */
export class EchoCanceller {
  readonly channels: 1 | 2;
  readonly #apm: AudioProcessor;
  readonly #reverse: Int16Array;
  /** RNNoise, run after the APM (set once its WebAssembly module is loaded). */
  postFilter: NoiseSuppressor | null = null;

  /** @throws Error with code NOT_SUPPORTED when the APM addon is not built. */
  constructor(channels: 1 | 2) {
    this.channels = channels;
    this.#apm = new AudioProcessor({ sampleRate: 48000, channels, aec: true, agc: true, ns: true });
    this.#reverse = new Int16Array(FRAME * channels);
  }

  /** The echo reference: 10 ms of what this app plays (48 kHz, interleaved), given before each process(). */
  reverse(samples: Int16Array, channels: 1 | 2): void {
    if (this.#apm.closed || samples.length !== FRAME * channels) return;
    const frame =
      channels === this.channels ? samples : convertChannels(samples, channels, this.channels, this.#reverse);
    this.#apm.processReverse(frame);
  }

  /** Processes one 10 ms, 48 kHz frame in place. */
  process(samples: Int16Array, channels: 1 | 2 = this.channels): void {
    if (this.#apm.closed || channels !== this.channels || samples.length !== FRAME * channels) return;
    this.#apm.processCapture(samples);
    this.postFilter?.process(samples, channels);
  }

  /** ERLE, delay estimate and the like (see @patchbay/apm's AudioProcessorStats). */
  stats() {
    return this.#apm.stats();
  }

  destroy(): void {
    this.#apm.close();
    this.postFilter?.destroy();
    this.postFilter = null;
  }
}
