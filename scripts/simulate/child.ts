// Entry of a process the coordinator forks: runs one WorkerPlan, talks over IPC.
import type { ToWorker } from './protocol.ts';
import { createWorker } from './worker.ts';

const send = (message: unknown) => {
  if (process.connected) process.send?.(message);
};

const worker = createWorker(send, () => {
  // The final report is queued on the channel; let it flush, then go.
  setTimeout(() => process.exit(0), 200);
});

process.on('message', (message) => worker.handle(message as ToWorker));
// Ctrl-C reaches the whole process group: the coordinator decides when and how this process stops.
process.on('SIGINT', () => {});
// The coordinator is gone: nobody would read the results.
process.on('disconnect', () => process.exit(1));
