import type { ActorBehavior } from '../../actors/behavior.ts';
import type { DriverMessage } from '../../machines/dispatch/protocol.ts';
import { decideDriver } from '../../machines/driver/decider.ts';
import { initialDriverState, statusOf, type DriverState } from '../../machines/driver/state.ts';
import { driverConfigOf, type DispatchSettings } from './config.ts';
import { runtimeEffects } from './effects.ts';
import { driverMessageSchema, parserOf } from './schemas.ts';

/**
 * Kind `driver`, id = the driver id. Asked by the gateway (`SetStatus`, `Ping`, `AcceptOffer`, `DeclineOffer`:
 * the reply is the socket ack; `GetCurrentWork` when a socket connects), told by dispatch (`ReserveDriver`,
 * `WithdrawOffer`) and by the order (`TripEnded`). Ephemeral: the state expires after `driverStateTtlMs` without messages.
 */
export function driverBehavior(settings: DispatchSettings): ActorBehavior<DriverState, DriverMessage> {
  const config = driverConfigOf(settings);
  return {
    kind: 'driver',
    parse: parserOf(driverMessageSchema),
    initialState: (id) => initialDriverState(id),
    decide(state, message, meta) {
      const decision = decideDriver(state, message, { now: meta.now, config });
      return { state: decision.state, effects: runtimeEffects(decision.effects, meta) };
    },
    stateTtlMs: settings.driverStateTtlMs,
    describe(state) {
      const { context: c } = state;
      return {
        value: statusOf(state.value) ?? 'UNKNOWN',
        context: {
          driverId: c.driverId,
          cell: c.cell,
          position: c.position,
          lastPingAt: c.lastPingAt === null ? null : new Date(c.lastPingAt).toISOString(),
          version: c.version,
          offer: c.offer && { offerId: c.offer.offerId, orderId: c.offer.orderId, expiresAt: new Date(c.offer.expiresAt).toISOString() },
          trip: c.trip && { offerId: c.trip.offerId, orderId: c.trip.orderId, assignedAt: new Date(c.trip.assignedAt).toISOString() },
          recentTrips: c.recentTrips.length,
        },
      };
    },
  };
}
