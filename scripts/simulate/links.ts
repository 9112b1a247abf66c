// How the coordinator reaches the processes that hold the sockets: forked children over IPC, or — for one process —
// a worker in the coordinator's own process. Both carry the same messages.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker } from './protocol.ts';
import { createWorker } from './worker.ts';

export interface WorkerLink {
  send(message: ToWorker): void;
  onMessage(handler: (message: FromWorker) => void): void;
  /** Called when the worker ends; `code` null for an in-process worker. */
  onExit(handler: (code: number | null) => void): void;
  kill(): void;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A child process (tsx loader), with room for its sockets' memory. */
export function forkedWorker(): WorkerLink {
  const child = fork(CHILD, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', '--max-old-space-size=6144'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (handler) => child.on('message', (m) => handler(m as FromWorker)),
    onExit: (handler) => child.on('exit', (code) => handler(code)),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** The worker in this process: messages are delivered on the next turn, as over IPC. */
export function inProcessWorker(): WorkerLink {
  const handlers: Array<(message: FromWorker) => void> = [];
  const exits: Array<(code: number | null) => void> = [];
  const worker = createWorker(
    (message) => setImmediate(() => handlers.forEach((h) => h(message))),
    () => setImmediate(() => exits.forEach((h) => h(null))),
  );
  return {
    send: (message) => setImmediate(() => worker.handle(message)),
    onMessage: (handler) => handlers.push(handler),
    onExit: (handler) => exits.push(handler),
    kill: () => {},
  };
}
