// A real worker process hosting the test actor kinds; spawned by the runtime's integration tests.
import { createLogger } from '../../src/observability/logger.ts';
import { runWorker, workerConfigFromEnv } from '../../src/processes/worker.ts';
import { counterBehavior } from './counter-actor.ts';
import { hosted } from '../../actors/behavior.ts';

const config = workerConfigFromEnv();
const log = createLogger({ name: 'test-worker', level: config.logLevel });
await runWorker({ config, behaviors: [hosted(counterBehavior(undefined, Number(process.env.COUNTER_DEFER_MS ?? 1_000)))], log });
