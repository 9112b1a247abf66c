import { z } from 'zod';
import { parseAddress, type ActorAddress } from '../actors/address.ts';
import type { ActorClient, AskError } from '../actors/client.ts';
import type { GetCurrentWork } from '../machines/dispatch/protocol.ts';
import type { OrderService } from '../src/orders/order-service.ts';
import { currentWorkReplySchema } from '../src/dispatch/schemas.ts';
import { appError } from '../src/errors/app-error.ts';
import { isErrorCode } from '../src/errors/registry.ts';
import type { Logger } from '../src/observability/logger.ts';
import type { Result } from '../src/shared/result.ts';
import { failure, onEvent, type Ack, type EventContext, type EventTable } from './events.ts';
import { id, zonedTime } from './schemas.ts';

const statusSchema = z.object({ status: z.enum(['ONLINE', 'OFFLINE']) }).strict();

const locationSchema = z
  .object({
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    /** Degrees clockwise from north. */
    heading: z.number().min(0).max(360).optional(),
    speedKph: z.number().min(0).max(400).optional(),
    /** When the device took the fix, with its zone. */
    at: zonedTime,
  })
  .strict();

const offerSchema = z.object({ offerId: id }).strict();

/** A location fix as the driver app sent it (validated), after the driver actor applied it. */
export type DriverPing = z.output<typeof locationSchema>;

/** Called once the driver actor applied a ping (e.g. to feed a tracking stream). Must not throw; must be quick. */
export type PingHook = (driverId: string, ping: DriverPing) => void;

export interface DriverEventsDeps {
  readonly actors: ActorClient;
  /** How long an event waits for the driver actor's answer, ms. */
  readonly askTimeoutMs: number;
  readonly onPingAccepted: PingHook;
  readonly log: Logger;
}

/**
 * `/driver` (role driver): each event is one ask of the driver's own actor, `driver:<driverId from the token>`, and
 * the ack is its answer — so a `driver:location` ack means the actor has applied the ping.
 */
export function driverEvents(deps: DriverEventsDeps): EventTable {
  const ask = async (ctx: EventContext, body: Record<string, unknown>): Promise<Ack> => {
    const self = driverAddress(ctx);
    if (!self) return failure(appError('FORBIDDEN', 'This token names no usable driver id'));
    return answerOf(await deps.actors.ask(self, body, { timeoutMs: deps.askTimeoutMs }), deps.log);
  };
  return {
    'driver:status': onEvent(statusSchema, (input, ctx) => ask(ctx, { type: 'SetStatus', status: input.status })),
    'driver:location': onEvent(locationSchema, async (ping, ctx) => {
      const ack = await ask(ctx, { type: 'Ping', ...ping });
      if ('ok' in ack && ctx.principal.driverId !== undefined) {
        try {
          deps.onPingAccepted(ctx.principal.driverId, ping);
        } catch (e) {
          deps.log.warn({ err: e }, 'onPingAccepted hook failed');
        }
      }
      return ack;
    }),
    'offer:accept': onEvent(offerSchema, (input, ctx) => ask(ctx, { type: 'AcceptOffer', offerId: input.offerId })),
    'offer:decline': onEvent(offerSchema, (input, ctx) => ask(ctx, { type: 'DeclineOffer', offerId: input.offerId })),
  };
}

/**
 * `/driver` on connect, once the socket is in its room `driver:<id>`: asks the driver's actor what it holds and
 * sends it to this socket again — the pending offer as `offer`, the trip (once its order recorded it) as
 * `assignment`, the payloads of the original pushes — so an app that reconnected (or restarted) learns of pushes
 * made while it was away. Joining the room first means a push made meanwhile still arrives: the app may get the
 * same offer or assignment twice (pushes carry state, not increments). Never rejects — the gateway closes a
 * connection whose `onConnect` fails, and a reconnect must never fail because of this: no answer in time, a dead
 * letter or an odd answer is logged, and the socket simply gets no replay.
 */
export async function replayCurrentWork(
  deps: Pick<DriverEventsDeps, 'actors' | 'askTimeoutMs' | 'log'> & { readonly orders: Pick<OrderService, 'get'> },
  ctx: EventContext,
): Promise<void> {
  const self = driverAddress(ctx);
  if (!self) return;
  try {
    const query: GetCurrentWork = { type: 'GetCurrentWork' };
    const answer = await deps.actors.ask(self, query, { timeoutMs: deps.askTimeoutMs });
    if (!answer.ok) {
      deps.log.warn({ driver: self, code: answer.error.code, detail: answer.error.detail }, 'driver current work not replayed on connect: no answer');
      return;
    }
    const work = currentWorkReplySchema.safeParse(answer.value);
    if (!work.success) {
      deps.log.warn({ driver: self, reply: answer.value }, 'driver current work not replayed on connect: unexpected answer');
      return;
    }
    const { offer, trip } = work.data;
    if (offer) ctx.socket.emit('offer', offer);
    // A trip the order has not recorded yet (the driver accepted a moment ago) is not replayed: the order pushes
    // `assignment` once it has — to the room this socket is already in — and an app told earlier would start a trip
    // whose first step the order still refuses. The order's view names the driver from that commit on.
    if (trip) {
      const order = await deps.orders.get(ctx.principal, trip.orderId);
      if (order.ok && order.value.driverId === ctx.principal.driverId) ctx.socket.emit('assignment', trip);
    }
  } catch (e) {
    deps.log.warn({ err: e, driver: self }, 'driver current work not replayed on connect');
  }
}

function driverAddress(ctx: EventContext): ActorAddress | null {
  const id = ctx.principal.driverId;
  return id === undefined ? null : (parseAddress(`driver:${id}`)?.address ?? null);
}

/**
 * The ack for a driver actor's answer: its `{ ok: true, … }` as is, its `{ ok: false, error }` in the contract's error
 * shape; no answer in time → TIMEOUT; a dead letter (the kind is not hosted, or the message was refused) → UNAVAILABLE.
 */
function answerOf(answer: Result<unknown, AskError>, log: Logger): Ack {
  if (!answer.ok) {
    return answer.error.code === 'TIMEOUT'
      ? failure(appError('TIMEOUT', 'The driver service did not answer in time; retry'))
      : failure(appError('UNAVAILABLE', 'The driver service is unavailable; retry shortly'));
  }
  const body = answer.value as { ok?: unknown; error?: { code?: unknown; detail?: unknown } } | null;
  if (body?.ok === true) return { ...(body as object), ok: true };
  if (body?.ok === false) {
    const code = isErrorCode(body.error?.code) ? body.error.code : 'CONFLICT';
    const detail = typeof body.error?.detail === 'string' ? body.error.detail : 'The driver refused this';
    return failure(appError(code, detail));
  }
  log.error({ reply: body }, 'driver actor answered with an unexpected body');
  return failure(appError('INTERNAL', 'Something went wrong on our side; please try again'));
}
