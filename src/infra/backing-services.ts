import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { startEmbeddedRedis } from './embedded-redis.ts';
import type { EmbeddedService } from './embedded-service.ts';

export interface BackingServices {
  redisUrl: string;
  databaseUrl: string;
  /** Which of the two this process started itself (and stops in `stop()`). */
  embedded: { redis: boolean; postgres: boolean };
  /** Stops the embedded servers; external ones are left alone. Safe to call twice. */
  stop(): Promise<void>;
}

type ServiceStart = Promise<Result<EmbeddedService, string>>;

/**
 * The Redis and Postgres this deployment uses: REDIS_URL / DATABASE_URL when set, otherwise embedded servers
 * under `config.dataDir` (started in parallel). If one embedded server fails, the other is stopped again and
 * the error says what to do.
 */
export async function resolveBackingServices(
  config: Pick<Config, 'redisUrl' | 'databaseUrl' | 'dataDir'>,
  log: Logger,
): Promise<Result<BackingServices, string>> {
  const external = (url: string): ServiceStart => Promise.resolve(ok({ url, stop: () => Promise.resolve() }));
  const [redisStart, postgresStart] = await Promise.allSettled([
    config.redisUrl === undefined ? startEmbeddedRedis({ dataDir: config.dataDir, log }) : external(config.redisUrl),
    config.databaseUrl === undefined ? startEmbeddedPostgres({ dataDir: config.dataDir, log }) : external(config.databaseUrl),
  ]);
  const started = [redisStart, postgresStart].flatMap((s) => (s.status === 'fulfilled' && s.value.ok ? [s.value.value] : []));
  // A rejection is unexpected (e.g. the data folder cannot be created): stop whatever did start, then rethrow.
  const stopStarted = () => Promise.all(started.map((service) => service.stop()));
  if (redisStart.status === 'rejected') {
    await stopStarted();
    throw redisStart.reason;
  }
  if (postgresStart.status === 'rejected') {
    await stopStarted();
    throw postgresStart.reason;
  }
  const redis = redisStart.value;
  const postgres = postgresStart.value;

  if (!redis.ok || !postgres.ok) {
    await Promise.all([redis.ok ? redis.value.stop() : undefined, postgres.ok ? postgres.value.stop() : undefined]);
    return err([redis.ok ? undefined : redis.error, postgres.ok ? undefined : postgres.error].filter((m) => m !== undefined).join('\n'));
  }

  let stopping: Promise<void> | undefined;
  return ok({
    redisUrl: redis.value.url,
    databaseUrl: postgres.value.url,
    embedded: { redis: config.redisUrl === undefined, postgres: config.databaseUrl === undefined },
    stop() {
      stopping ??= Promise.all([redis.value.stop(), postgres.value.stop()]).then(() => undefined);
      return stopping;
    },
  });
}
