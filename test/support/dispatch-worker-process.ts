// A real worker process hosting the dispatch kinds (driver, cell, dispatch) and the `order` stand-in; spawned by the
// dispatch integration tests and benchmarks. DISPATCH_SETTINGS (JSON) overrides dispatch settings.
import { hosted } from '../../actors/behavior.ts';
import { dispatchBehaviors, type DispatchSettings } from '../../src/dispatch/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { runWorker, workerConfigFromEnv } from '../../src/processes/worker.ts';
import { orderRecorderBehavior } from './dispatch-order-actor.ts';

const config = workerConfigFromEnv();
const settings = JSON.parse(process.env.DISPATCH_SETTINGS ?? '{}') as Partial<DispatchSettings>;
const log = createLogger({ name: 'dispatch-test-worker', level: config.logLevel });
await runWorker({ config, behaviors: [...dispatchBehaviors(settings), hosted(orderRecorderBehavior)], log });
