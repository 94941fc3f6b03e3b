import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * The server's root logger: structured JSON on stderr. Each subsystem takes a named child
 * (`logger.child({ name: 'signaling' })`) so its lines can be filtered; the root itself has no name.
 */
export function createRootLogger(level: string): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}
