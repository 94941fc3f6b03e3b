import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * The server's root logger: structured JSON on stderr. Subsystems take a named child
 * (`logger.child({ name: 'signaling' })`) so their lines can be filtered.
 */
export function createRootLogger(level: string): Logger {
  return pino({ name: 'patchbay', level, base: undefined }, pino.destination(2));
}
