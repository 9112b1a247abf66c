import { Router } from 'express';
import type { Redis } from 'ioredis';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { RuntimeKeys } from '../../actors/keys.ts';
import type { WorkerRegistry } from '../../actors/registry.ts';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** `GET /metrics` of a process without the API (a gateway): its own registry only; the API serves the workers'. */
export function localMetricsRoutes(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

/**
 * `GET /metrics` in Prometheus text format: this process's registry merged with what every live worker last
 * published to Redis (each series carries its `worker` label, so nothing is summed across workers by accident).
 */
export function metricsRoutes(deps: { redis: Redis; keys: RuntimeKeys; workers: WorkerRegistry; registry: Registry }): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const ids = (await deps.workers.live()).sort();
    const published = await Promise.all(ids.map((id) => deps.redis.get(deps.keys.workerMetrics(id))));
    const all: MetricsJson[] = [(await deps.registry.getMetricsAsJSON()) as MetricsJson];
    for (const raw of published) if (raw) all.push(JSON.parse(raw) as MetricsJson);
    const merged = AggregatorRegistry.aggregate(all);
    res.type(merged.contentType).send(await merged.metrics());
  });
  return router;
}
