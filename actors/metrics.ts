import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The runtime's Prometheus metrics, registered in the worker's registry (labelled with its worker id). */
export function createRuntimeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    handled: new Counter({
      name: 'actor_messages_handled_total',
      help: 'Inbox messages settled by actors, by kind and outcome (applied, duplicate, dead-letter)',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    handlingSeconds: new Histogram({
      name: 'actor_message_handling_seconds',
      help: 'From reading a message off the inbox to its commit (state persisted and acknowledged)',
      labelNames: ['kind'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    deadLetters: new Counter({
      name: 'actor_dead_letters_total',
      help: 'Messages parked in the dead-letter stream, by reason class',
      labelNames: ['reason'] as const,
      registers,
    }),
    fenced: new Counter({
      name: 'actor_fenced_commits_total',
      help: 'Commits refused because this worker no longer held the shard lease (zombie writes stopped)',
      registers,
    }),
    streamLag: new Gauge({
      name: 'actor_stream_lag',
      help: 'Entries in a shard inbox not yet delivered to the consumer group',
      labelNames: ['shard'] as const,
      registers,
    }),
    streamPending: new Gauge({
      name: 'actor_stream_pending',
      help: 'Entries of a shard inbox delivered but not yet acknowledged',
      labelNames: ['shard'] as const,
      registers,
    }),
    actors: new Gauge({ name: 'actor_active', help: 'Activated actors in memory, by kind', labelNames: ['kind'] as const, registers }),
    leases: new Gauge({ name: 'actor_leases_held', help: 'Shard leases this worker holds', registers }),
  };
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;
