import { Router } from 'express';
import { parseAddress } from '../../actors/address.ts';
import type { ActorClient } from '../../actors/client.ts';
import type { WorkerRegistry } from '../../actors/registry.ts';
import { appError } from '../errors/app-error.ts';
import { sendError } from '../errors/http.ts';
import { authenticate, requireRole } from '../auth/http.ts';
import type { Verifier } from '../auth/verifier.ts';

/** The actor kinds every cluster view reports, present with 0 when a worker hosts none. */
const REPORTED_KINDS = ['order', 'driver', 'cell'] as const;

export interface ClusterView {
  shardCount: number;
  workers: { workerId: string; pid: number; startedAt: string; shards: number[]; actors: Record<string, number> }[];
}

export async function clusterView(workers: WorkerRegistry, shardCount: number): Promise<ClusterView> {
  const live = await workers.describeLive();
  return {
    shardCount,
    workers: live.map((w) => ({
      workerId: w.workerId,
      pid: w.pid,
      startedAt: w.startedAt,
      shards: [...w.shards],
      actors: { ...Object.fromEntries(REPORTED_KINDS.map((k) => [k, 0])), ...w.actors },
    })),
  };
}

/**
 * `GET /v1/ops/cluster` (ops, admin): the workers, the shards each owns and the actors each hosts.
 * `GET /v1/ops/actors/{address}` (ops, admin): one actor's live state, asked of the worker that owns it.
 */
export function opsRoutes(deps: { verifier: Verifier; workers: WorkerRegistry; shardCount: number; actors: ActorClient }): Router {
  const router = Router();
  const opsOnly = [authenticate(deps.verifier), requireRole('ops', 'admin')];
  router.get('/v1/ops/cluster', ...opsOnly, async (_req, res) => {
    res.json(await clusterView(deps.workers, deps.shardCount));
  });
  router.get('/v1/ops/actors/:address', ...opsOnly, async (req, res) => {
    const address = parseAddress(String(req.params.address));
    if (!address) return sendError(res, appError('VALIDATION_FAILED', 'An actor address is kind:id, e.g. order:ORD-1 or driver:DRV-1'));
    const answer = await deps.actors.inspect(address.address, { timeoutMs: INSPECT_TIMEOUT_MS });
    if (!answer.ok) {
      return sendError(
        res,
        answer.error.code === 'DEAD_LETTER' ? appError('NOT_FOUND', `No actor kind "${address.kind}"`) : appError('UNAVAILABLE', 'The owning worker did not answer in time'),
      );
    }
    if (!answer.value.active && answer.value.state === null) return sendError(res, appError('NOT_FOUND', `No actor ${address.address}`));
    res.json(answer.value);
  });
  return router;
}

const INSPECT_TIMEOUT_MS = 3_000;
