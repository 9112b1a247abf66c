import type { WorkerInfo } from '../../actors/registry.ts';
import type { WorkerStats } from '../../actors/worker.ts';

/** A worker child process as the tests hold it. */
export interface WorkerRecord {
  /** Asks the worker over IPC what it owns and what it has counted. */
  report(): Promise<{ info: WorkerInfo; stats: WorkerStats }>;
  readonly workerId: string;
  readonly pid: number;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (`kill -9`), then waits for the exit. */
  kill(): Promise<void>;
}
