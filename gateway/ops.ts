import type { Namespace } from 'socket.io';
import { z } from 'zod';
import { parseAddress, type ActorAddress } from '../actors/address.ts';
import type { ActorClient } from '../actors/client.ts';
import type { ActorInspection } from '../actors/envelope.ts';
import type { WorkerRegistry } from '../actors/registry.ts';
import { appError, toErrorBody, type AppError } from '../src/errors/app-error.ts';
import { clusterView } from '../src/http/ops.ts';
import type { Logger } from '../src/observability/logger.ts';
import { err, ok, type Result } from '../src/shared/result.ts';
import { failure, onEvent, type EventContext, type EventTable } from './events.ts';
import { rooms } from './rooms.ts';

export interface OpsDeps {
  readonly actors: ActorClient;
  readonly workers: WorkerRegistry;
  readonly shardCount: number;
  readonly log: Logger;
  /** How long one inspection may take, ms. */
  readonly inspectTimeoutMs: number;
  /** Actors one socket may watch at once. */
  readonly maxWatches: number;
}

const addressSchema = z.object({ address: z.string().max(200) }).strict();

/**
 * `/ops` (ops, admin), the dashboard's live inspector: `actor:watch { address }` answers with the actor's inspection
 * and puts the socket in the actor's watch room, which then gets `actor` (the inspection) every tick until
 * `actor:unwatch` (or `actor:error` `{ address, errors }` for a tick whose inspection failed).
 */
export function opsEvents(deps: OpsDeps): EventTable {
  return {
    'actor:watch': onEvent(addressSchema, async (input, { socket }) => {
      const parsed = parseAddress(input.address);
      if (!parsed) return failure(appError('VALIDATION_FAILED', 'An actor address is kind:id, e.g. order:ORD-1 or driver:DRV-1'));
      const room = rooms.watch(parsed.address);
      const watching = [...socket.rooms].filter((r) => r.startsWith(rooms.watch(''))).length;
      if (!socket.rooms.has(room) && watching >= deps.maxWatches) {
        return failure(appError('CONFLICT', `A connection watches at most ${deps.maxWatches} actors; unwatch one first`));
      }
      const first = await inspect(deps, parsed.address, parsed.kind);
      if (!first.ok) return failure(first.error);
      if (!first.value.active && first.value.state === null) return failure(appError('NOT_FOUND', `No actor ${parsed.address}`));
      if (!socket.connected) return failure(appError('UNAVAILABLE', 'The connection closed'));
      await socket.join(room);
      return { ok: true, actor: first.value };
    }),
    'actor:unwatch': onEvent(addressSchema, async (input, { socket }) => {
      await socket.leave(rooms.watch(input.address));
      return { ok: true, address: input.address };
    }),
  };
}

/**
 * The timers that feed this gateway's own `/ops` sockets (local emits: through the adapter every gateway would repeat
 * them): `cluster` every `clusterIntervalMs` (and at once on connect), and `actor` for each watched actor every
 * `watchIntervalMs` — one inspection per actor and tick, however many sockets watch it.
 */
export function opsFeeds(nsp: Namespace, deps: OpsDeps, intervals: { clusterIntervalMs: number; watchIntervalMs: number }) {
  const cluster = setInterval(() => {
    if (nsp.sockets.size === 0) return;
    clusterView(deps.workers, deps.shardCount).then(
      (view) => nsp.local.emit('cluster', view),
      (e: unknown) => deps.log.warn({ err: e }, 'cluster view failed'),
    );
  }, intervals.clusterIntervalMs);

  const busy = new Set<string>();
  const watch = setInterval(() => {
    for (const room of nsp.adapter.rooms.keys()) {
      const address = room.startsWith(rooms.watch('')) ? parseAddress(room.slice(rooms.watch('').length)) : null;
      if (!address || busy.has(room)) continue;
      busy.add(room);
      void inspect(deps, address.address, address.kind)
        .then((answer) => {
          if (answer.ok) nsp.to(room).local.emit('actor', answer.value);
          else nsp.to(room).local.emit('actor:error', { address: address.address, ...toErrorBody(answer.error) });
        })
        .finally(() => busy.delete(room));
    }
  }, intervals.watchIntervalMs);

  return {
    async onConnect({ socket }: EventContext): Promise<void> {
      socket.emit('cluster', await clusterView(deps.workers, deps.shardCount));
    },
    stop(): void {
      clearInterval(cluster);
      clearInterval(watch);
    },
  };
}

async function inspect(deps: OpsDeps, address: ActorAddress, kind: string): Promise<Result<ActorInspection, AppError>> {
  const answer = await deps.actors.inspect(address, { timeoutMs: deps.inspectTimeoutMs });
  if (answer.ok) return ok(answer.value);
  return err(
    answer.error.code === 'DEAD_LETTER' ? appError('NOT_FOUND', `No actor kind "${kind}"`) : appError('UNAVAILABLE', 'The owning worker did not answer in time'),
  );
}
