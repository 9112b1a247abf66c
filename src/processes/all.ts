import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.ts';
import { migrateUp } from '../db/migrate.ts';
import { resolveBackingServices } from '../infra/backing-services.ts';
import type { Logger } from '../observability/logger.ts';
import { forkWorker, type ForkedWorker } from './fork.ts';
import { startHttpProcess, type HttpProcess } from './http-server.ts';
import { onShutdown } from './shutdown.ts';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const SIMULATOR = fileURLToPath(new URL('../../scripts/simulate/index.ts', import.meta.url));
/** A worker that dies on its own is started again after this long, ms (doubling up to 30 s while it keeps dying). */
const RESTART_DELAY_MS = 1_000;

/**
 * `npm start`: the whole system on one machine. Uses REDIS_URL / DATABASE_URL when set, otherwise embedded servers
 * under DATA_DIR; migrates the database; runs WORKERS worker processes (restarting any that dies) and the API and
 * gateway on one HTTP port. SIGTERM/SIGINT: stop HTTP, stop the workers gracefully, then the embedded servers.
 */
export async function runAll(config: Config, log: Logger): Promise<void> {
  const services = await resolveBackingServices(config, log);
  if (!services.ok) {
    log.fatal(services.error);
    console.error(`\n${services.error}\n`);
    process.exit(1);
  }
  const { redisUrl, databaseUrl } = services.value;
  const workers = new Set<ForkedWorker>();
  /** Filled in once HTTP listens; shutdown may come before that. */
  const running: { http?: HttpProcess; demo?: ChildProcess } = {};
  let stopping = false;
  const stopWorker = async (w: ForkedWorker) => {
    w.child.kill('SIGTERM');
    await w.exited;
  };
  onShutdown(log, async () => {
    stopping = true;
    if (running.demo) await stopDemoCity(running.demo);
    await running.http?.stop();
    await Promise.all([...workers].map(stopWorker));
    await services.value.stop();
  });

  await migrateUp(databaseUrl, log);

  const env = { ...process.env, REDIS_URL: redisUrl, DATABASE_URL: databaseUrl };
  const startWorker = async (slot: number, delayMs: number): Promise<void> => {
    const w = await forkWorker(MAIN, env, { args: ['worker'] });
    workers.add(w);
    const started = Date.now();
    void w.exited.then((code) => {
      workers.delete(w);
      if (stopping) return;
      const next = Date.now() - started > 60_000 ? RESTART_DELAY_MS : Math.min(delayMs * 2, 30_000);
      log.error({ slot, code, restartInMs: next }, 'worker exited; starting another');
      setTimeout(() => void startWorker(slot, next).catch((e: unknown) => log.error({ err: e }, 'worker restart failed')), next);
    });
  };
  await Promise.all(Array.from({ length: config.workers }, (_, slot) => startWorker(slot, RESTART_DELAY_MS)));

  const http = await startHttpProcess({ config, redisUrl, databaseUrl, serve: { api: true, gateway: true }, log });
  running.http = http;
  if (config.demoCity) running.demo = startDemoCity(http.port, log);
  log.info(
    { url: `http://localhost:${http.port}`, workers: config.workers, embedded: services.value.embedded },
    'food-delivery is up: REST, Socket.IO and /metrics on one port',
  );
}

/**
 * Stops the demo simulator before the system it drives: a first SIGINT ends its load, a second skips its drain (it
 * would only wait for orders the stopping system cannot finish); SIGKILL if it is still there after 5 s.
 */
async function stopDemoCity(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * DEMO_CITY=1: a small simulated city — the fleet simulator, through the public API like any client — so that `/ops/`
 * shows drivers moving and orders flowing. Runs until the system stops.
 */
function startDemoCity(port: number, log: Logger): ChildProcess {
  const args = ['--url', `http://127.0.0.1:${port}`, '--drivers', '40', '--customers', '20', '--restaurants', '6', '--orders-per-sec', '0.3'];
  const child = fork(SIMULATOR, [...args, '--duration', '86400', '--quiet', '--id-prefix', `DEMO${process.pid}`], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('exit', (code) => log.info({ code }, 'demo city stopped'));
  log.info('demo city: 40 simulated drivers and 20 customers are using the system; open /ops/ to watch');
  return child;
}
