// A process that forks one test worker (with its own environment), prints `{"pid":…,"workerId":…}` and then does
// nothing: the orphan test kills it to see what its worker does once the parent is gone.
import { fileURLToPath } from 'node:url';
import { forkWorker } from '../../src/processes/fork.ts';

const entry = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const { child, workerId } = await forkWorker(entry, process.env, { stdio: 'pipe' });
process.stdout.write(`${JSON.stringify({ pid: child.pid, workerId })}\n`);
setInterval(() => undefined, 60_000);
