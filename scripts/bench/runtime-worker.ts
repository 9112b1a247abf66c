// A worker process for `npm run bench -- runtime`: hosts the tally actor and reports send→commit latencies.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { hosted } from '../../actors/behavior.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { runWorker, workerConfigFromEnv } from '../../src/processes/worker.ts';
import { tallyBehavior } from './tally-actor.ts';

export type BenchWorkerRequest = { type: 'collect' };
/** `loopDelayP99Ms`/`loopDelayMaxMs`: event-loop delay since the last collect — stalls show here first. */
export type BenchWorkerReport = { type: 'collected'; applied: number; latenciesMs: number[]; loopDelayP99Ms: number; loopDelayMaxMs: number };

const config = workerConfigFromEnv();
const log = createLogger({ name: 'bench-worker', level: 'warn' });
let latencies: number[] = [];
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let applied = 0;
await runWorker({
  config,
  behaviors: [hosted(tallyBehavior)],
  log,
  onHandled: (h) => {
    if (h.outcome !== 'applied') return;
    applied++;
    latencies.push(h.committedAt - h.entry.envelope.sentAt);
  },
});
process.on('message', (m: BenchWorkerRequest) => {
  if (m.type !== 'collect') return;
  process.send?.({
    type: 'collected',
    applied,
    latenciesMs: latencies,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
  } satisfies BenchWorkerReport);
  latencies = [];
  applied = 0;
  loopDelay.reset();
});
