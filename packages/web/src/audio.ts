import { PatchbayError } from '@patchbay/client';
import { fireAudioContextStateChanged, fireAutoplayFailed } from './hooks.js';

let context: AudioContext | null = null;
let autoplayReported = false;
let gestureListening = false;

/**
 * The page's one AudioContext, shared by every track so that local tracks can be mixed into one
 * published stream without extra hops. Created on first use.
 */
export function audioContext(): AudioContext {
  if (context) return context;
  if (typeof AudioContext === 'undefined') {
    throw new Error('this browser has no Web Audio API (AudioContext)');
  }
  const ctx = new AudioContext({ latencyHint: 'interactive', sampleRate: 48000 });
  context = ctx;
  let previous: AudioContextState | undefined;
  ctx.addEventListener('statechange', () => {
    fireAudioContextStateChanged(ctx.state, previous);
    previous = ctx.state;
  });
  previous = ctx.state;
  ensureRunning();
  return ctx;
}

/**
 * Resumes the AudioContext. Browsers keep it suspended until the user interacts with the page;
 * until then nothing is played or published. When that happens the autoplay-failed hooks are
 * called once and the context resumes on the next click, touch or key press.
 */
export function ensureRunning(): void {
  const ctx = context;
  if (!ctx || ctx.state === 'running' || ctx.state === 'closed') return;
  void ctx.resume().catch(() => undefined);
  setTimeout(() => {
    if (ctx.state === 'running') return;
    listenForGesture();
    if (!autoplayReported) {
      autoplayReported = true;
      fireAutoplayFailed();
    }
  }, 300);
}

function listenForGesture(): void {
  if (gestureListening || typeof document === 'undefined') return;
  gestureListening = true;
  const events = ['click', 'touchstart', 'keydown', 'pointerdown'];
  const onGesture = (): void => {
    void context?.resume().then(() => {
      if (context?.state !== 'running') return;
      for (const e of events) document.removeEventListener(e, onGesture, true);
      gestureListening = false;
    });
  };
  for (const e of events) document.addEventListener(e, onGesture, true);
}

/** Web SDK NG's resumeAudioContext(): call it from a user gesture handler. */
export function resumeAudioContext(): void {
  void audioContext().resume();
}

/** RMS of what an analyser sees now, 0..1. */
export function analyserLevel(analyser: AnalyserNode, scratch: Float32Array<ArrayBuffer>): number {
  analyser.getFloatTimeDomainData(scratch);
  let sum = 0;
  for (let i = 0; i < scratch.length; i++) sum += scratch[i] * scratch[i];
  return Math.min(1, Math.sqrt(sum / scratch.length));
}

export type AudioFrameCallback = (buffer: AudioBuffer) => void;

const FRAME_SIZES = [256, 512, 1024, 2048, 4096, 8192, 16384];

/**
 * Delivers what `input` carries as AudioBuffers of `frameSize` samples per channel (a
 * ScriptProcessorNode, which every browser has and which takes exactly these sizes).
 */
export class FrameTap {
  readonly #input: AudioNode;
  readonly #node: ScriptProcessorNode;

  constructor(input: AudioNode, callback: AudioFrameCallback, frameSize: number, channels: number) {
    if (!FRAME_SIZES.includes(frameSize)) {
      throw new RangeError(`frameSize must be one of ${FRAME_SIZES.join(', ')}, got ${frameSize}`);
    }
    const ctx = input.context as AudioContext;
    this.#input = input;
    const node = ctx.createScriptProcessor(frameSize, channels, channels);
    node.onaudioprocess = (event) => {
      const source = event.inputBuffer;
      const copy = new AudioBuffer({
        length: source.length,
        numberOfChannels: source.numberOfChannels,
        sampleRate: source.sampleRate,
      });
      for (let c = 0; c < source.numberOfChannels; c++) copy.copyToChannel(source.getChannelData(c), c);
      try {
        callback(copy);
      } catch (error) {
        console.error('[patchbay] audio frame callback threw', error);
      }
    };
    input.connect(node);
    // A ScriptProcessorNode only runs while connected to the destination; it outputs silence.
    node.connect(ctx.destination);
    this.#node = node;
  }

  dispose(): void {
    this.#node.onaudioprocess = null;
    try {
      this.#input.disconnect(this.#node);
    } catch {
      // already disconnected
    }
    this.#node.disconnect();
  }
}

/** Validates a track volume (0..`max`) and returns it; INVALID_PARAMS otherwise. */
export function checkVolume(volume: unknown, max: number): number {
  if (typeof volume !== 'number' || !Number.isFinite(volume) || volume < 0 || volume > max) {
    throw PatchbayError.invalidParams(`volume must be a number in 0..${max}, got ${String(volume)}`);
  }
  return volume;
}
