import { describe, expect, it } from 'vitest';
import type { FindDriver } from '../../../machines/dispatch/protocol.ts';
import { cellOf } from '../../../machines/dispatch/geo.ts';
import { pureWorld } from './world.ts';

const PICKUP = { lat: 37.7749, lng: -122.4194 };
const DROPOFF = { lat: 37.7849, lng: -122.4094 };
const NEAR = { lat: 37.7752, lng: -122.4194 };
const FAR = { lat: 37.7771, lng: -122.4194 };

function findDriver(orderId: string, now: number, attempt = 1): FindDriver {
  return { type: 'FindDriver', orderId, restaurantId: 'REST-1', attempt, pickup: PICKUP, dropoff: DROPOFF, requestedAt: new Date(now).toISOString() };
}

/** Two drivers online, A nearer the restaurant than B, and an order asking. */
function givenAnOrderAndTwoDrivers(overrides = {}) {
  const world = pureWorld(overrides);
  world.online('A', NEAR);
  world.online('B', FAR);
  world.tell({ kind: 'dispatch', id: 'ORD-1' }, findDriver('ORD-1', world.now()));
  return world;
}

describe('offers', () => {
  it('given two available drivers, when an order asks, then the nearer one gets the contract offer and a durable timer named after the offer', () => {
    const world = givenAnOrderAndTwoDrivers();
    const offer = world.lastOffer();
    expect(offer).toEqual({
      driverId: 'A',
      offerId: 'OFR-ORD-1-1-1',
      orderId: 'ORD-1',
      restaurant: { restaurantId: 'REST-1', location: PICKUP },
      dropoff: { location: DROPOFF },
      expiresAt: new Date(world.now() + 15_000).toISOString(),
    });
    expect(world.drivers.get('A')?.value).toBe('offered');
    expect([...world.timers.keys()].filter((t) => t.includes('offer-timeout'))).toEqual(['dispatch:ORD-1/offer-timeout:OFR-ORD-1-1-1']);
    expect(world.dispatches.get('ORD-1')?.value).toBe('offered');
  });

  it('given an offer to A, when A declines, then B is offered next (another timer), and when B accepts the order is assigned B', () => {
    const world = givenAnOrderAndTwoDrivers();
    expect(world.driver('A', { type: 'DeclineOffer', offerId: 'OFR-ORD-1-1-1' })).toMatchObject({ ok: true, status: 'AVAILABLE' });
    const second = world.lastOffer();
    expect(second).toMatchObject({ driverId: 'B', offerId: 'OFR-ORD-1-1-2' });
    expect([...world.timers.keys()].filter((t) => t.includes('offer-timeout'))).toEqual(['dispatch:ORD-1/offer-timeout:OFR-ORD-1-1-2']);

    expect(world.driver('B', { type: 'AcceptOffer', offerId: 'OFR-ORD-1-1-2' })).toMatchObject({ ok: true, status: 'ASSIGNED', orderId: 'ORD-1' });
    expect(world.orders.get('ORD-1')).toEqual([{ type: 'AssignDriver', driverId: 'B', offerId: 'OFR-ORD-1-1-2', eta: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
    // The `assignment` push is the order's to make, once it has recorded the driver: dispatch and the driver make none.
    expect(world.pushes.map((p) => p.push.event)).not.toContain('assignment');
    expect(world.timers.size).toBe(0);
    expect(world.drivers.get('A')?.value).toBe('available');
  });

  it('given an offer to A, when it times out, then A is released and B offered; A accepting afterwards is refused', () => {
    const world = givenAnOrderAndTwoDrivers();
    world.advance(15_000 + world.settings.acceptGraceMs);
    expect(world.drivers.get('A')?.value).toBe('available');
    expect(world.lastOffer()).toMatchObject({ driverId: 'B' });
    expect(world.pushes).toContainEqual({ driverId: 'A', push: { event: 'offer:withdrawn', data: { offerId: 'OFR-ORD-1-1-1', orderId: 'ORD-1', reason: 'timeout' } } });
    expect(world.driver('A', { type: 'AcceptOffer', offerId: 'OFR-ORD-1-1-1' })).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSITION' } });
  });

  it('given an offer to A, when A accepts within the grace after the window, then the accept wins over the timer', () => {
    const world = givenAnOrderAndTwoDrivers();
    world.advance(15_000 + world.settings.acceptGraceMs - 1);
    expect(world.driver('A', { type: 'AcceptOffer', offerId: 'OFR-ORD-1-1-1' })).toMatchObject({ ok: true });
    world.advance(10_000);
    expect(world.orders.get('ORD-1')).toEqual([expect.objectContaining({ type: 'AssignDriver', driverId: 'A' })]);
    expect(world.drivers.get('A')?.value).toBe('assigned');
    expect(world.drivers.get('B')?.value).toBe('available');
  });

  it('given offers that keep being declined, when the offer bound is reached, then the order is told OFFERS_EXHAUSTED', () => {
    const world = givenAnOrderAndTwoDrivers({ maxOffers: 2 });
    world.driver('A', { type: 'DeclineOffer', offerId: 'OFR-ORD-1-1-1' });
    world.driver('B', { type: 'DeclineOffer', offerId: 'OFR-ORD-1-1-2' });
    expect(world.orders.get('ORD-1')).toEqual([{ type: 'ReportDispatchFailed', reason: 'OFFERS_EXHAUSTED: 2 offer(s) declined or timed out' }]);
    expect(world.dispatches.get('ORD-1')?.value).toBe('failed');
  });

  it('given every driver declined, when no one else is near, then the order is told NO_DRIVER_ACCEPTED', () => {
    const world = givenAnOrderAndTwoDrivers();
    world.driver('A', { type: 'DeclineOffer', offerId: 'OFR-ORD-1-1-1' });
    world.driver('B', { type: 'DeclineOffer', offerId: 'OFR-ORD-1-1-2' });
    expect(world.orders.get('ORD-1')).toEqual([{ type: 'ReportDispatchFailed', reason: expect.stringMatching(/^NO_DRIVER_ACCEPTED: 2 offer\(s\) declined/) }]);
  });

  it('given a search, when the same FindDriver arrives again, then nothing happens; a higher attempt withdraws the offer and starts over', () => {
    const world = givenAnOrderAndTwoDrivers();
    const before = world.delivered.length;
    world.tell({ kind: 'dispatch', id: 'ORD-1' }, findDriver('ORD-1', world.now()));
    expect(world.delivered.length).toBe(before + 1);

    world.tell({ kind: 'dispatch', id: 'ORD-1' }, findDriver('ORD-1', world.now(), 2));
    expect(world.pushes).toContainEqual({ driverId: 'A', push: { event: 'offer:withdrawn', data: expect.objectContaining({ offerId: 'OFR-ORD-1-1-1', reason: 'superseded' }) } });
    // A was still leaving its offer while the new round asked the cells: B, the next best, is offered.
    expect(world.lastOffer()).toMatchObject({ driverId: 'B', offerId: 'OFR-ORD-1-2-1' });
    expect(world.drivers.get('A')?.value).toBe('available');
  });

  it('given an offer out, when the order cancels the search, then the driver is released and nothing more is offered', () => {
    const world = givenAnOrderAndTwoDrivers();
    world.tell({ kind: 'dispatch', id: 'ORD-1' }, { type: 'CancelSearch', orderId: 'ORD-1' });
    expect(world.dispatches.get('ORD-1')?.value).toBe('cancelled');
    expect(world.drivers.get('A')?.value).toBe('available');
    expect(world.timers.size).toBe(0);
    world.advance(60_000);
    expect(world.pushes.filter((p) => p.push.event === 'offer')).toHaveLength(1);
    expect(world.orders.get('ORD-1')).toBeUndefined();
  });

  it('given an assigned driver, when the order cancels the search before it took the assignment, then the driver is freed', () => {
    const world = givenAnOrderAndTwoDrivers();
    world.driver('A', { type: 'AcceptOffer', offerId: 'OFR-ORD-1-1-1' });
    world.tell({ kind: 'dispatch', id: 'ORD-1' }, { type: 'CancelSearch', orderId: 'ORD-1' });
    expect(world.drivers.get('A')?.value).toBe('available');
  });

  it('given two orders at once and one driver, then only one is offered it; the other gives up with the driver counted busy', () => {
    const world = pureWorld();
    world.online('A', NEAR);
    world.tell({ kind: 'dispatch', id: 'ORD-1' }, findDriver('ORD-1', world.now()));
    world.tell({ kind: 'dispatch', id: 'ORD-2' }, findDriver('ORD-2', world.now()));
    expect(world.pushes.filter((p) => p.push.event === 'offer').map((p) => p.push.data)).toEqual([expect.objectContaining({ orderId: 'ORD-1' })]);
    expect(world.orders.get('ORD-2')).toEqual([{ type: 'ReportDispatchFailed', reason: expect.stringMatching(/^NO_DRIVER_AVAILABLE/) }]);
  });

  it('given a cell that never answers, when the query timeout passes, then the watchdog closes the wave and the search goes on', () => {
    const world = pureWorld();
    world.online('A', NEAR);
    world.online('B', { lat: 37.7749, lng: -122.4094 }); // about 0.9 km east, another cell
    const silent = cellOf(PICKUP, 8);
    world.drop((e) => e.to.kind === 'cell' && e.to.id === silent && (e.body as { type: string }).type === 'FindCandidates');
    world.tell({ kind: 'dispatch', id: 'ORD-1' }, findDriver('ORD-1', world.now()));
    expect(world.lastOffer()).toBeUndefined();
    world.advance(world.settings.queryTimeoutMs);
    expect(world.lastOffer()).toMatchObject({ driverId: 'B', orderId: 'ORD-1' });
  });

  it('given an offer whose dispatcher never withdraws it, then a reservation from another order succeeds once it lapsed', () => {
    const world = pureWorld();
    world.online('A', NEAR);
    world.tell({ kind: 'dispatch', id: 'ORD-1' }, findDriver('ORD-1', world.now()));
    world.timers.clear(); // the holder "died": its timer never fires
    world.advance(15_000 + world.settings.acceptGraceMs + world.settings.reservationLapseMs + 1);
    world.driver('A', { type: 'Ping', lat: NEAR.lat, lng: NEAR.lng, at: new Date(world.now()).toISOString() });
    world.tell({ kind: 'dispatch', id: 'ORD-2' }, findDriver('ORD-2', world.now()));
    expect(world.lastOffer()).toMatchObject({ driverId: 'A', orderId: 'ORD-2' });
  });
});
