export { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './config.js';
export { ServerError } from './errors.js';
export type { Logger } from './logger.js';
export { createServer, PatchbayServer, type ServerStats } from './PatchbayServer.js';
export type { ChannelView, ParticipantView, SubscriptionView } from './admin/channelView.js';
export type { InternalCounts } from './metrics/Internals.js';
export { buildToken, type BuildTokenOptions, verifyToken } from '@patchbay/token';
export { ClusterNode, channelKey } from './cluster/ClusterNode.js';
export { MemoryPlacementStore } from './cluster/MemoryPlacementStore.js';
export type { NodeInfo, Owner, PlacementStore } from './cluster/PlacementStore.js';
export { IpcPlacementStore, servePlacementIpc } from './cluster/IpcPlacementStore.js';
export {
  DELAY_PROBE_BYTES,
  DELAY_PROBE_MAGIC,
  DELAY_PROBE_OFFSET,
  DelayProbe,
  type DelayProbeSnapshot,
  monotonicMs,
  monotonicOffsetMs,
  writeDelayProbeStamp,
} from './metrics/DelayProbe.js';
export { DelayHistogram, type DelayHistogramSnapshot } from './metrics/DelayHistogram.js';
