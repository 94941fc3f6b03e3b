import { createRequire } from 'node:module';

/**
 * @roamhq/wrtc (libwebrtc) has no typings; this is the part of its API the SDK uses.
 * The non-standard source/sink are documented in its README.
 */
export interface WrtcAudioData {
  samples: Int16Array;
  sampleRate: number;
  bitsPerSample: 16;
  channelCount: number;
  numberOfFrames: number;
}

export interface WrtcAudioSource {
  createTrack(): WrtcTrack;
  onData(data: WrtcAudioData): void;
}

export interface WrtcAudioSink {
  ondata: ((data: WrtcAudioData) => void) | null;
  stop(): void;
}

export interface WrtcTrack {
  readonly id: string;
  readonly kind: string;
  readonly label?: string;
  enabled: boolean;
  stop(): void;
}

export interface Wrtc {
  RTCPeerConnection: new (config?: object) => unknown;
  nonstandard: {
    RTCAudioSource: new () => WrtcAudioSource;
    RTCAudioSink: new (track: WrtcTrack) => WrtcAudioSink;
  };
}

let loaded: Wrtc | null = null;

/** Loads wrtc on first use, so importing the SDK stays cheap and failures name the cause. */
export function wrtc(): Wrtc {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    try {
      loaded = require('@roamhq/wrtc') as Wrtc;
    } catch (error) {
      throw new Error(
        `@roamhq/wrtc could not be loaded (${(error as Error).message}). It needs Linux x64/arm64 with glibc 2.34+, macOS or Windows x64; musl is not supported.`,
      );
    }
  }
  return loaded;
}
