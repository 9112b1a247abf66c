import { fork, type ChildProcess } from 'node:child_process';
import { WORKER_NODE_FLAGS } from './node-flags.ts';
import type { WorkerReport } from './worker.ts';

export interface ForkedWorker {
  readonly child: ChildProcess;
  readonly workerId: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * Starts a TypeScript entry point as a child process with an IPC channel and waits for its `ready` report.
 * Used by `npm start` (worker processes), the tests and the benchmarks.
 */
export async function forkWorker(
  entry: string,
  env: NodeJS.ProcessEnv,
  options: { args?: string[]; stdio?: 'inherit' | 'pipe'; readyTimeoutMs?: number } = {},
): Promise<ForkedWorker> {
  const child = fork(entry, options.args ?? [], {
    execArgv: ['--import', 'tsx', ...WORKER_NODE_FLAGS],
    env,
    stdio: options.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const workerId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not report ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: WorkerReport) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m.workerId);
    };
    child.on('message', onMessage);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready`));
    });
  });
  return { child, workerId, exited };
}
