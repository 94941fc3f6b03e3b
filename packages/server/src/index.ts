export { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './config.js';
export { ServerError } from './errors.js';
export type { Logger } from './logger.js';
export { createServer, PatchbayServer, type ServerStats } from './PatchbayServer.js';
export type { ChannelView, ParticipantView, SubscriptionView } from './admin/channelView.js';
export { buildToken, type BuildTokenOptions, verifyToken } from '@patchbay/token';
export { ClusterNode, channelKey } from './cluster/ClusterNode.js';
export { MemoryPlacementStore } from './cluster/MemoryPlacementStore.js';
export type { NodeInfo, Owner, PlacementStore } from './cluster/PlacementStore.js';
