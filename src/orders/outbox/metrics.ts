import { Counter, Gauge, type Registry } from 'prom-client';
import type { Pool } from '../../db/pool.ts';
import type { Logger } from '../../observability/logger.ts';

export interface OutboxMetrics {
  /** `outbox_backlog`: rows written and not yet published. */
  readonly backlog: Gauge;
  /** `outbox_published_total`: rows published (and marked) by this process's relay. */
  readonly published: Counter;
  /** `outbox_publish_failures_total`: relay batches rolled back (sink or database failure). */
  readonly failures: Counter;
}

interface Entry {
  readonly metrics: OutboxMetrics;
  /** When set, every scrape reads the backlog from here (see `registerOutboxBacklogGauge`). */
  backlogSource?: () => Promise<number>;
  log?: Logger;
}

const entries = new WeakMap<Registry, Entry>();

/**
 * The outbox metrics in `registry`, created on first use: the relay and `registerOutboxBacklogGauge` may both
 * ask for them in one process without registering a metric twice.
 */
export function outboxMetrics(registry: Registry): OutboxMetrics {
  return entryOf(registry).metrics;
}

/**
 * Makes `outbox_backlog` query Postgres on every scrape, so the backlog shows even where no relay runs (no
 * Kafka configured: rows wait in the outbox). For the API's /metrics. A failed query keeps the last value.
 */
export function registerOutboxBacklogGauge(registry: Registry, pool: Pool, log?: Logger): void {
  const entry = entryOf(registry);
  entry.backlogSource = () => outboxBacklog(pool);
  entry.log = log;
}

/** Rows not yet published (counted on the partial index of unpublished rows). */
export async function outboxBacklog(db: Pick<Pool, 'query'>): Promise<number> {
  const { rows } = await db.query<{ backlog: string }>('SELECT count(*) AS backlog FROM outbox WHERE published_at IS NULL');
  return Number(rows[0]?.backlog ?? 0);
}

function entryOf(registry: Registry): Entry {
  const existing = entries.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const entry: Entry = {
    metrics: {
      backlog: new Gauge({
        name: 'outbox_backlog',
        help: 'Outbox rows written and not yet published to Kafka',
        registers,
        async collect() {
          const source = entry.backlogSource;
          if (!source) return;
          try {
            this.set(await source());
          } catch (error) {
            entry.log?.warn({ err: error }, 'outbox_backlog: could not count the backlog; keeping the last value');
          }
        },
      }),
      published: new Counter({ name: 'outbox_published_total', help: 'Outbox rows published to Kafka and marked published', registers }),
      failures: new Counter({ name: 'outbox_publish_failures_total', help: 'Outbox relay batches rolled back (sink or database failure)', registers }),
    },
  };
  entries.set(registry, entry);
  return entry;
}
