export { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './config.js';
export { ServerError } from './errors.js';
export type { Logger } from './logger.js';
export { createServer, PatchbayServer, type ServerStats } from './PatchbayServer.js';
export { buildToken, type BuildTokenOptions, verifyToken } from '@patchbay/token';
