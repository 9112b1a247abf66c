// Entry point of every process: `tsx src/main.ts <role>` with role all (default, `npm start`), worker, api or gateway.
import { loadConfig, type Config } from './config/config.ts';
import { createLogger } from './observability/logger.ts';
import { runAll } from './processes/all.ts';
import { startHttpProcess } from './processes/http-server.ts';
import { onShutdown } from './processes/shutdown.ts';
import { runWorker } from './processes/worker.ts';
import { createApplication } from './application.ts';

const roles = ['all', 'worker', 'api', 'gateway'] as const;
type Role = (typeof roles)[number];

const role = (process.argv[2] ?? 'all') as Role;
if (!roles.includes(role)) {
  console.error(`unknown role "${role}": expected one of ${roles.join(', ')}`);
  process.exit(2);
}
const loaded = loadConfig(process.env);
if (!loaded.ok) {
  console.error(`invalid configuration:\n${loaded.error}`);
  process.exit(2);
}
const config = loaded.value;
const log = createLogger({ name: role === 'worker' ? `worker-${process.pid}` : role, level: config.logLevel });

/** Standalone roles talk to shared services; only `all` starts embedded ones. */
function required(name: 'REDIS_URL' | 'DATABASE_URL', value: string | undefined): string {
  if (value) return value;
  console.error(`the ${role} role needs ${name} (npm start, the "all" role, starts embedded services instead)`);
  process.exit(2);
}

async function run(config: Config): Promise<void> {
  switch (role) {
    case 'all':
      return runAll(config, log);
    case 'worker': {
      const redisUrl = required('REDIS_URL', config.redisUrl);
      const app = createApplication(config, required('DATABASE_URL', config.databaseUrl), log);
      await runWorker({ config: { ...config, redisUrl }, behaviors: app.behaviors, store: app.store, log, onStopped: () => app.stop() });
      return;
    }
    case 'api':
    case 'gateway': {
      const http = await startHttpProcess({
        config,
        redisUrl: required('REDIS_URL', config.redisUrl),
        // The API stores orders; the gateway reads them (a restaurant console's open orders) and acts through them.
        databaseUrl: required('DATABASE_URL', config.databaseUrl),
        serve: { api: role === 'api', gateway: role === 'gateway' },
        log,
      });
      onShutdown(log, () => http.stop());
      return;
    }
    default: {
      const _exhaustive: never = role;
      return _exhaustive;
    }
  }
}

run(config).catch((e: unknown) => {
  log.fatal({ err: e }, 'failed to start');
  process.exit(1);
});
