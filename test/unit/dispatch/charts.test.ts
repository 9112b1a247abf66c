import { transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { DispatchFact } from '../../../machines/dispatch/facts.ts';
import { applyDispatchFacts, dispatchMachine } from '../../../machines/dispatch/machine.ts';
import { initialDispatchState, type DispatchState, type DispatchStateValue } from '../../../machines/dispatch/state.ts';
import type { DriverFact } from '../../../machines/driver/facts.ts';
import { applyDriverFacts, driverMachine } from '../../../machines/driver/machine.ts';
import { initialDriverState, type DriverState, type DriverStateValue } from '../../../machines/driver/state.ts';

const HERE = { lat: 37.77, lng: -122.42 };
const offer = { offerId: 'O1', orderId: 'R1', restaurant: { restaurantId: 'REST', location: HERE }, dropoff: { location: HERE }, reservedAt: 1, expiresAt: 2 };
const candidate = { driverId: 'D1', cell: 'c', lat: 0, lng: 0, distanceKm: 1, score: 1, load: 0, version: 1 };

describe('the fast chart step equals XState transition()', () => {
  it('given every driver state and fact, then the step refuses exactly what the chart cannot take and otherwise lands where transition() does', () => {
    const base = initialDriverState('D1').context;
    const context = { ...base, offer, trip: { ...offer, assignedAt: 3 } };
    const values: DriverStateValue[] = ['unknown', 'offline', 'available', 'offered', 'assigned'];
    const facts: DriverFact[] = [
      { type: 'WentOnline', at: 1 },
      { type: 'WentOffline', at: 1 },
      { type: 'Pinged', position: { ...HERE, heading: null, speedKph: null, at: 1 }, at: 1 },
      { type: 'OfferReserved', offer: { ...offer, offerId: 'O2' } },
      { type: 'OfferAccepted', offerId: 'O1', at: 5, loadWindowMs: 10 },
      { type: 'OfferAccepted', offerId: 'O2', at: 5, loadWindowMs: 10 },
      { type: 'OfferReleased', offerId: 'O1', reason: 'declined' },
      { type: 'TripEnded', orderId: 'R1' },
      { type: 'TripEnded', orderId: 'R9' },
      { type: 'CellSynced', cell: 'c', version: 9, listedAt: 1, listedPosition: HERE },
    ];
    for (const value of values) {
      for (const fact of facts) {
        const state: DriverState = { value, context };
        const snapshot = driverMachine.resolveState({ value, context });
        const ours = applyDriverFacts(state, [fact]);
        expect(ours.ok, `${value} + ${fact.type}`).toBe(snapshot.can(fact));
        if (!ours.ok) continue;
        const [next] = transition(driverMachine, snapshot, fact);
        expect(ours.state, `${value} + ${fact.type}`).toEqual({ value: next.value, context: next.context });
      }
    }
  });

  it('given every dispatch state and fact, then likewise', () => {
    const base = initialDispatchState('R1').context;
    const context = { ...base, current: { offerId: 'O1', candidate, expiresAt: 5, timedOut: false } };
    const values: DispatchStateValue[] = ['idle', 'searching', 'reserving', 'offered', 'assigned', 'failed', 'cancelled'];
    const facts: DispatchFact[] = [
      { type: 'SearchStarted', order: { orderId: 'R1', restaurantId: 'REST', attempt: 2, pickup: HERE, dropoff: HERE, requestedAt: 1 } },
      { type: 'ReservationRequested', offer: { offerId: 'O2', candidate, expiresAt: null, timedOut: false } },
      { type: 'ReservationRefused', offerId: 'O1', driverId: 'D1' },
      { type: 'ReservationRefused', offerId: 'O9', driverId: 'D1' },
      { type: 'OfferOut', offerId: 'O1', expiresAt: 9 },
      { type: 'OfferTimedOut', offerId: 'O1' },
      { type: 'OfferEnded', offerId: 'O1', driverId: 'D1', reason: 'declined' },
      { type: 'DriverAssigned', assignment: { driverId: 'D1', offerId: 'O1', eta: null, at: 1 } },
      { type: 'DriverAssigned', assignment: { driverId: 'D1', offerId: 'O9', eta: null, at: 1 } },
      { type: 'SearchFailed', reason: 'X' },
      { type: 'SearchCancelled' },
      { type: 'WatchdogArmed', watchId: 'w' },
      { type: 'WatchdogDisarmed' },
    ];
    for (const value of values) {
      for (const fact of facts) {
        const state: DispatchState = { value, context };
        const snapshot = dispatchMachine.resolveState({ value, context });
        const ours = applyDispatchFacts(state, [fact]);
        expect(ours.ok, `${value} + ${fact.type}`).toBe(snapshot.can(fact));
        if (!ours.ok) continue;
        const [next] = transition(dispatchMachine, snapshot, fact);
        expect(ours.state, `${value} + ${fact.type}`).toEqual({ value: next.value, context: next.context });
      }
    }
  });
});
