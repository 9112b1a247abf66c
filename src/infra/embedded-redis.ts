import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';
import { guardChild } from './child-guard.ts';
import { readTail } from './embedded-service.ts';
import type { EmbeddedService } from './embedded-service.ts';
import { findFreePort } from './free-port.ts';

export interface EmbeddedRedisOptions {
  /** Data folder of the deployment; Redis keeps its append-only file and log in `<dataDir>/redis`. */
  dataDir: string;
  log: Logger;
  /** Directories searched for `redis-server`, in PATH syntax. Default: this process's PATH. */
  searchPath?: string;
  /** How long Redis may take to answer PING (it replays its append-only file first), ms. Default 30 000. */
  startTimeoutMs?: number;
}

const missingRedisMessage =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`) ' +
  'or point the system at an existing Redis with REDIS_URL=redis://host:6379.';

/** Another process may grab the port between our probe and Redis binding it; then we pick another. */
const maxPortAttempts = 3;
const stopTimeoutMs = 10_000;

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

const pidFileName = 'redis.pid';

/**
 * The pid of a redis-server still running on `dir` (from an earlier start that was not stopped), if any.
 * Redis does not lock its folder; two servers appending to one file would corrupt it.
 */
async function runningRedisPid(dir: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(join(dir, pidFileName), 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // Stale file: the server died without removing it.
  }
  // Where /proc exists, make sure the pid was not reused by something else.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined || cmdline.includes('redis-server') ? pid : undefined;
}

async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 500,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  client.on('error', () => {
    // Expected while Redis is still starting; the caller polls again.
  });
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    // Refused, or LOADING while the append-only file is replayed.
    return false;
  } finally {
    client.disconnect();
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

type Attempt = { kind: 'ready'; service: EmbeddedService } | { kind: 'port-taken' } | { kind: 'failed'; reason: string };

async function attempt(binary: string, dir: string, opts: EmbeddedRedisOptions): Promise<Attempt> {
  const { log } = opts;
  const port = await findFreePort();
  const logFile = join(dir, 'redis.log');
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    // The embedded Redis is the only copy of driver state, actor mailboxes and timers: keep an append-only file.
    '--appendonly', 'yes',
    '--save', '',
    '--daemonize', 'no',
    '--logfile', logFile,
    '--pidfile', join(dir, pidFileName),
  ];
  // Detached: a Ctrl-C aimed at our process group must not stop Redis before our own shutdown has used it.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString('utf8');
  });
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });
  const exited = waitForExit(child);
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const guard = child.pid === undefined ? undefined : guardChild(child.pid, 'SIGTERM');
  void exited.then(() => guard?.release());

  const kill = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };

  const deadline = performance.now() + (opts.startTimeoutMs ?? 30_000);
  while (!hasExited && spawnError === undefined) {
    if (await answersPing(port)) {
      log.info({ port, dir, redisPid: child.pid }, 'embedded redis started');
      let stopping: Promise<void> | undefined;
      const service: EmbeddedService = {
        url: `redis://127.0.0.1:${port}`,
        stop() {
          stopping ??= (async () => {
            // SIGTERM = a clean SHUTDOWN: the append-only file is flushed before exit.
            child.kill('SIGTERM');
            const timedOut = await Promise.race([exited.then(() => false), sleep(stopTimeoutMs, true, { ref: false })]);
            if (timedOut) {
              log.warn({ redisPid: child.pid }, 'embedded redis ignored SIGTERM; killing it');
              await kill();
            }
            log.info({ port }, 'embedded redis stopped');
          })();
          return stopping;
        },
      };
      return { kind: 'ready', service };
    }
    if (performance.now() > deadline) {
      await kill();
      return { kind: 'failed', reason: `it did not answer PING within ${opts.startTimeoutMs ?? 30_000} ms (log: ${logFile})` };
    }
    await sleep(50);
  }

  // After a spawn error 'exit' may never come, so only wait for it otherwise.
  if (spawnError !== undefined) return { kind: 'failed', reason: `it could not be started (${spawnError.message})` };
  await exited;
  const output = `${stderr}\n${await readTail(logFile, 1500)}`;
  if (/address already in use/i.test(output)) return { kind: 'port-taken' };
  return { kind: 'failed', reason: `it exited during start-up (code ${child.exitCode ?? child.signalCode}). Its output:\n${output.trim()}` };
}

/**
 * Starts a private `redis-server` on a free port of 127.0.0.1 with its files under `<dataDir>/redis`, and
 * waits until it answers PING. The server dies with this process (see `guardChild`). Err (with what to do) if
 * `redis-server` is not installed or does not come up.
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<Result<EmbeddedService, string>> {
  const binary = await findOnPath('redis-server', opts.searchPath ?? process.env.PATH ?? '');
  if (binary === undefined) return err(missingRedisMessage);

  const dir = resolve(opts.dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  const running = await runningRedisPid(dir);
  if (running !== undefined) {
    return err(`Another redis-server (pid ${running}) is already using ${dir}. Stop it, choose another DATA_DIR, or set REDIS_URL.`);
  }

  for (let i = 1; i <= maxPortAttempts; i++) {
    const outcome = await attempt(binary, dir, opts);
    if (outcome.kind === 'ready') return ok(outcome.service);
    if (outcome.kind === 'failed') return err(`The embedded redis-server (${binary}) failed: ${outcome.reason}`);
    opts.log.debug({ attempt: i }, 'embedded redis lost its port to another process; retrying');
  }
  return err(`The embedded redis-server (${binary}) could not bind a free port after ${maxPortAttempts} attempts`);
}
