import type { NodeClientConfig } from './defaults.js';
import { NodeClient } from './NodeClient.js';
import { PcmAudioTrack, type PcmAudioTrackOptions } from './PcmAudioTrack.js';

export const VERSION = '0.1.0';

/** Creates a client (a plain function, so `new createClient()` works too, as in Web SDK samples). */
export function createClient(config: Partial<NodeClientConfig> = {}): NodeClient {
  return new NodeClient(config);
}

/** Creates a local track that you feed with PCM (see PcmAudioTrack.push). */
export function createCustomAudioTrack(options: PcmAudioTrackOptions): PcmAudioTrack {
  return new PcmAudioTrack(options);
}

export type { ConnectionState, DisconnectedReason, RemoteUser } from '@patchbay/client';
export { PatchbayError } from '@patchbay/client';
export { ERROR_CODES, ErrorCode, type Uid } from '@patchbay/protocol';
export type { AudioFrame, AudioFrameCallback } from './AudioFrame.js';
export { estimateFrequency, findActiveRegion, generateTone, rms } from './audio/analysis.js';
export { SUPPORTED_INPUT_RATES } from './audio/pcm.js';
export { DEFAULT_SERVER, type NodeClientConfig } from './defaults.js';
export { NodeClient, type NodeRemoteUser } from './NodeClient.js';
export { PcmAudioTrack, type PcmAudioTrackOptions, type PcmAudioTrackStats } from './PcmAudioTrack.js';
export { RemoteAudioTrack } from './RemoteAudioTrack.js';

const Patchbay = { VERSION, createClient, createCustomAudioTrack };
export default Patchbay;
