import { pino } from 'pino';
import type { DestinationStream, Level, Logger as PinoLogger } from 'pino';

/** The structured logger every module takes as a dependency. */
export type Logger = PinoLogger;

/** Pino's levels plus `silent` (logs nothing). */
export type LogLevel = Level | 'silent';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[];

export interface LoggerOptions {
  /** Goes into every line as `name` (the process role, e.g. `api`, `worker-3`). */
  name: string;
  level: LogLevel;
  /** Where JSON lines go; default stdout. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/** One JSON object per line (synchronous writes to stdout by default, so a crash loses nothing); errors under
 * `err` are serialised with their stack. */
export function createLogger({ name, level, destination }: LoggerOptions): Logger {
  return destination ? pino({ name, level }, destination) : pino({ name, level });
}
