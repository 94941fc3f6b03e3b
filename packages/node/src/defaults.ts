import type { ReconnectPolicy } from '@patchbay/client';

/** Options of createClient() in the Node SDK. */
export interface NodeClientConfig {
  /** "rtc" (everyone may publish) or "live". Default "rtc". */
  mode: 'rtc' | 'live';
  /** Accepted for Web SDK compatibility; Patchbay carries audio only. Default "vp8". */
  codec: string;
  /**
   * WebSocket URL of the server, or a cluster's entry URLs (tried in turn when reconnecting).
   * Default: env PATCHBAY_SERVER (comma-separated for several), else ws://127.0.0.1:7080.
   */
  server: string | readonly string[];
  /** Channels of the mixed remote audio from onMixedAudioFrame(). Default 1. */
  mixedAudioChannels: 1 | 2;
  /** How long a signaling request may take, ms. Default 10000. */
  requestTimeoutMs: number;
  /** Retry schedule after a lost connection; see docs/resilience.md. Default 0/1/3/5/7 s ±20 %, give up after 30 s. */
  reconnect: Partial<ReconnectPolicy>;
}

export const DEFAULT_SERVER = 'ws://127.0.0.1:7080';

export function resolveNodeClientConfig(config: Partial<NodeClientConfig> = {}): NodeClientConfig {
  return {
    mode: config.mode ?? 'rtc',
    codec: config.codec ?? 'vp8',
    server:
      config.server ??
      (process.env.PATCHBAY_SERVER
        ? process.env.PATCHBAY_SERVER.split(',').map((u) => u.trim())
        : DEFAULT_SERVER),
    mixedAudioChannels: config.mixedAudioChannels ?? 1,
    requestTimeoutMs: config.requestTimeoutMs ?? 10000,
    reconnect: config.reconnect ?? {},
  };
}
