import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../observability/logger.ts';

/** The schema's migrations: SQL files in `migrations/`, applied in name order, each once (node-pg-migrate). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Brings the database up to the latest schema. Safe to call from several processes at once: node-pg-migrate
 * takes an advisory lock, so one applies and the others find nothing left to do.
 */
export async function migrateUp(databaseUrl: string, log: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    log: (message) => log.debug({ migrate: message }),
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) log.info({ migrations: names }, 'database migrated');
  return names;
}
