import { describe, expect, it } from 'vitest';
import { cellOf } from '../../../machines/dispatch/geo.ts';
import type { DriverMessage, Outbound, ReserveDriver } from '../../../machines/dispatch/protocol.ts';
import { decideDriver } from '../../../machines/driver/decider.ts';
import { initialDriverState, type DriverState } from '../../../machines/driver/state.ts';
import { dispatchSettings, driverConfigOf } from '../../../src/dispatch/config.ts';

const settings = dispatchSettings();
const config = driverConfigOf(settings);
const T0 = Date.parse('2024-05-01T12:00:00Z');
const HERE = { lat: 37.7749, lng: -122.4194 };
/** About 2 km east: another res-8 cell. */
const THERE = { lat: 37.7749, lng: -122.3967 };

const iso = (ms: number) => new Date(ms).toISOString();
const ping = (at: { lat: number; lng: number }, atMs: number, extra: Partial<Record<'heading' | 'speedKph', unknown>> = {}): DriverMessage => ({
  type: 'Ping',
  lat: at.lat,
  lng: at.lng,
  ...extra,
  at: iso(atMs),
});
const reserve = (offerId: string, extra: Partial<ReserveDriver> = {}): ReserveDriver => ({
  type: 'ReserveDriver',
  offerId,
  orderId: `ORD-${offerId}`,
  restaurant: { restaurantId: 'REST-1', location: HERE },
  dropoff: { location: THERE },
  offerTimeoutMs: settings.offerTimeoutMs,
  cell: null,
  ...extra,
});

/** Folds messages into a driver, each handled `stepMs` after the previous one. */
function given(messages: readonly DriverMessage[], start = T0, stepMs = 1_000): { state: DriverState; now: number } {
  let state = initialDriverState('DRV-1');
  let now = start;
  for (const m of messages) {
    state = decideDriver(state, m, { now, config }).state;
    now += stepMs;
  }
  return { state, now };
}

const when = (state: DriverState, message: DriverMessage, now: number) => decideDriver(state, message, { now, config });
const replyOf = (effects: readonly Outbound[]) => effects.find((e) => e.type === 'reply')?.body;
const cellMessages = (effects: readonly Outbound[]) => effects.filter((e) => e.type === 'toCell');
const online = (): DriverMessage[] => [{ type: 'SetStatus', status: 'ONLINE' }, ping(HERE, T0 + 1_000)];

describe('driver: going online and pinging', () => {
  it('given a driver that never went online, when it goes ONLINE and pings, then it is AVAILABLE and listed in the cell of its position', () => {
    const { state, now } = given([{ type: 'SetStatus', status: 'ONLINE' }]);
    const decision = when(state, ping(HERE, now), now);
    expect(decision.state.value).toBe('available');
    expect(replyOf(decision.effects)).toEqual({ ok: true, status: 'AVAILABLE', cell: cellOf(HERE, 8) });
    expect(cellMessages(decision.effects)).toEqual([
      { type: 'toCell', cell: cellOf(HERE, 8), body: expect.objectContaining({ type: 'DriverEntered', driverId: 'DRV-1', lat: HERE.lat, lng: HERE.lng, load: 0, seenAt: now }) },
    ]);
  });

  it('given an available driver, when it crosses into another cell, then the old cell is told "left" and the new one "entered", versions growing', () => {
    const { state, now } = given(online());
    const decision = when(state, ping(THERE, now), now);
    const [left, entered] = cellMessages(decision.effects);
    expect(left).toMatchObject({ cell: cellOf(HERE, 8), body: { type: 'DriverLeft', driverId: 'DRV-1' } });
    expect(entered).toMatchObject({ cell: cellOf(THERE, 8), body: { type: 'DriverEntered', lat: THERE.lat } });
    const v = (o: Outbound | undefined) => (o?.type === 'toCell' && 'version' in o.body ? o.body.version : NaN);
    expect(v(left)).toBeGreaterThan(state.context.version);
    expect(v(entered)).toBeGreaterThan(v(left));
    expect(decision.state.context.cell).toBe(cellOf(THERE, 8));
  });

  it('given a listed driver, when it pings the same spot again soon, then its cell is not told again (throttled), but after the refresh period it is', () => {
    const { state, now } = given(online());
    expect(cellMessages(when(state, ping(HERE, now), now).effects)).toEqual([]);
    const later = now + settings.cellRefreshMs;
    expect(cellMessages(when(state, ping(HERE, later), later).effects)).toHaveLength(1);
  });

  it('given a listed driver, when it goes OFFLINE, then it leaves its cell', () => {
    const { state, now } = given(online());
    const decision = when(state, { type: 'SetStatus', status: 'OFFLINE' }, now);
    expect(decision.state.value).toBe('offline');
    expect(cellMessages(decision.effects)).toEqual([{ type: 'toCell', cell: cellOf(HERE, 8), body: expect.objectContaining({ type: 'DriverLeft' }) }]);
    expect(replyOf(decision.effects)).toEqual({ ok: true, status: 'OFFLINE', cell: null });
  });
});

describe('driver: bad pings are refused and change nothing', () => {
  const { state, now } = given(online());
  const cases: [string, DriverMessage, string, DriverState?][] = [
    ['NaN latitude (null on the wire)', { type: 'Ping', lat: null, lng: HERE.lng, at: iso(now) }, 'VALIDATION_FAILED'],
    ['latitude above 90', ping({ lat: 91, lng: 0 }, now), 'VALIDATION_FAILED'],
    ['longitude below -180', ping({ lat: 0, lng: -180.5 }, now), 'VALIDATION_FAILED'],
    ['a string for a number', { type: 'Ping', lat: '37.7', lng: HERE.lng, at: iso(now) }, 'VALIDATION_FAILED'],
    ['a negative speed', ping(HERE, now, { speedKph: -3 }), 'VALIDATION_FAILED'],
    ['a heading of 400°', ping(HERE, now, { heading: 400 }), 'VALIDATION_FAILED'],
    ['a timestamp 31 s in the future', ping(HERE, now + 31_000), 'VALIDATION_FAILED'],
    ['a timestamp 5 min 1 s old', ping(HERE, now - 301_000), 'VALIDATION_FAILED'],
    ['a timestamp that is not ISO-8601', { type: 'Ping', lat: HERE.lat, lng: HERE.lng, at: 'yesterday' }, 'VALIDATION_FAILED'],
    ['a driver that never went online', ping(HERE, now), 'NOT_FOUND', initialDriverState('DRV-1')],
  ];
  for (const [what, message, code, from] of cases) {
    it(`given ${from ? 'a driver that never went online' : 'an available driver'}, when it sends a ping with ${what}, then ${code} and nothing changes`, () => {
      const before = from ?? state;
      const decision = when(before, message, now);
      expect(replyOf(decision.effects)).toEqual({ ok: false, error: { code, detail: expect.any(String) } });
      expect(decision.effects).toHaveLength(1);
      expect(decision.state).toBe(before);
    });
  }

  it('given an accepted ping, when an older fix arrives, then it is acknowledged but ignored', () => {
    const decision = when(state, ping(THERE, now - 10_000), now);
    expect(replyOf(decision.effects)).toMatchObject({ ok: true, status: 'AVAILABLE', ignored: expect.any(String) });
    expect(decision.state).toBe(state);
  });
});

describe('driver: reservations and offers', () => {
  const reservedAt = T0 + 2_000;
  const offered = () => given([...online(), reserve('OFR-1')]);

  it('given an available driver, when a dispatcher reserves it, then it is OFFERED, leaves its cell, pushes the offer and tells the dispatcher', () => {
    const { state, now } = given(online());
    const decision = when(state, reserve('OFR-1'), now);
    expect(decision.state.value).toBe('offered');
    expect(decision.effects).toEqual([
      {
        type: 'pushDriver',
        driverId: 'DRV-1',
        push: {
          event: 'offer',
          data: { offerId: 'OFR-1', orderId: 'ORD-OFR-1', restaurant: { restaurantId: 'REST-1', location: HERE }, dropoff: { location: THERE }, expiresAt: iso(now + 15_000) },
        },
      },
      { type: 'toDispatch', orderId: 'ORD-OFR-1', body: { type: 'DriverReserved', offerId: 'OFR-1', driverId: 'DRV-1', expiresAt: now + 15_000 } },
      { type: 'toCell', cell: cellOf(HERE, 8), body: expect.objectContaining({ type: 'DriverLeft' }) },
    ]);
  });

  it('given an OFFERED driver, when a second dispatcher reserves it, then it refuses atomically and keeps the first offer', () => {
    const { state, now } = offered();
    const decision = when(state, reserve('OFR-2'), now);
    expect(decision.state.context.offer?.offerId).toBe('OFR-1');
    expect(decision.effects).toEqual([{ type: 'toDispatch', orderId: 'ORD-OFR-2', body: { type: 'DriverRefused', offerId: 'OFR-2', driverId: 'DRV-1', reason: 'driver is OFFERED' } }]);
  });

  it('given a driver found in a cell it has left, when it is reserved, then it refuses and evicts itself from that cell', () => {
    const { state, now } = given([...online(), { type: 'SetStatus', status: 'OFFLINE' }]);
    const ghost = cellOf(THERE, 8);
    const decision = when(state, reserve('OFR-9', { cell: ghost }), now);
    expect(decision.effects).toContainEqual({ type: 'toCell', cell: ghost, body: { type: 'DriverLeft', driverId: 'DRV-1', version: expect.any(Number) } });
    expect(decision.effects).toContainEqual(expect.objectContaining({ type: 'toDispatch', body: expect.objectContaining({ type: 'DriverRefused' }) }));
  });

  it('given a driver silent for longer than the silence timeout, when it is reserved, then it refuses', () => {
    const { state } = given(online());
    const late = T0 + 1_000 + settings.silenceMs + 1;
    const decision = when(state, reserve('OFR-1'), late);
    expect(decision.state.value).toBe('available');
    expect(decision.effects).toContainEqual(expect.objectContaining({ body: expect.objectContaining({ type: 'DriverRefused' }) }));
  });

  it('given an OFFERED driver, when it accepts in time, then it is ASSIGNED and tells the dispatcher, leaving the assignment push to the order', () => {
    const { state, now } = offered();
    const decision = when(state, { type: 'AcceptOffer', offerId: 'OFR-1' }, now);
    expect(decision.state.value).toBe('assigned');
    expect(replyOf(decision.effects)).toEqual({ ok: true, status: 'ASSIGNED', cell: null, orderId: 'ORD-OFR-1', offerId: 'OFR-1' });
    expect(decision.effects.filter((e) => e.type === 'pushDriver')).toEqual([]);
    expect(decision.effects).toContainEqual({ type: 'toDispatch', orderId: 'ORD-OFR-1', body: { type: 'OfferAccepted', offerId: 'OFR-1', driverId: 'DRV-1' } });
  });

  it('given an ASSIGNED driver, when a dispatcher tries to reserve it, then it refuses: never assigned twice', () => {
    const { state, now } = given([...online(), reserve('OFR-1'), { type: 'AcceptOffer', offerId: 'OFR-1' }]);
    const decision = when(state, reserve('OFR-2'), now);
    expect(decision.state).toBe(state);
    expect(decision.effects).toEqual([expect.objectContaining({ body: expect.objectContaining({ type: 'DriverRefused', reason: 'driver is ASSIGNED' }) })]);
  });

  const refusals: [string, () => { state: DriverState; now: number }, DriverMessage, string][] = [
    ['an expired offer', () => ({ ...offered(), now: reservedAt + 15_000 + settings.acceptGraceMs + 1 }), { type: 'AcceptOffer', offerId: 'OFR-1' }, 'CONFLICT'],
    ["someone else's offer", offered, { type: 'AcceptOffer', offerId: 'OFR-OTHER' }, 'CONFLICT'],
    ['an offer when none is pending', () => given(online()), { type: 'AcceptOffer', offerId: 'OFR-1' }, 'INVALID_TRANSITION'],
    ["a decline of someone else's offer", offered, { type: 'DeclineOffer', offerId: 'OFR-OTHER' }, 'CONFLICT'],
    ['an accept to a driver that never went online', () => ({ state: initialDriverState('DRV-1'), now: T0 }), { type: 'AcceptOffer', offerId: 'OFR-1' }, 'NOT_FOUND'],
    ['a decline to a driver that never went online', () => ({ state: initialDriverState('DRV-1'), now: T0 }), { type: 'DeclineOffer', offerId: 'OFR-1' }, 'NOT_FOUND'],
  ];
  for (const [what, setup, message, code] of refusals) {
    it(`given ${what}, when the app sends ${message.type}, then ${code} and nothing changes`, () => {
      const { state, now } = setup();
      const decision = when(state, message, now);
      expect(decision.state).toBe(state);
      expect(decision.effects).toEqual([{ type: 'reply', body: { ok: false, error: { code, detail: expect.any(String) } } }]);
    });
  }

  it('given an OFFERED driver, when it declines, then it is AVAILABLE again, back in its cell, and the dispatcher is told', () => {
    const { state, now } = offered();
    const decision = when(state, { type: 'DeclineOffer', offerId: 'OFR-1' }, now);
    expect(decision.state.value).toBe('available');
    expect(decision.effects).toContainEqual({ type: 'toDispatch', orderId: 'ORD-OFR-1', body: { type: 'OfferReleased', offerId: 'OFR-1', driverId: 'DRV-1', reason: 'declined' } });
    expect(cellMessages(decision.effects)).toEqual([expect.objectContaining({ cell: cellOf(HERE, 8), body: expect.objectContaining({ type: 'DriverEntered' }) })]);
  });

  it('given an OFFERED driver, when the dispatcher withdraws on timeout, then the offer is released; after an accept, a timeout withdraw changes nothing', () => {
    const { state, now } = offered();
    const withdrawn = when(state, { type: 'WithdrawOffer', offerId: 'OFR-1', orderId: 'ORD-OFR-1', reason: 'timeout' }, now);
    expect(withdrawn.state.value).toBe('available');
    expect(withdrawn.effects).toContainEqual(expect.objectContaining({ body: expect.objectContaining({ type: 'OfferReleased', reason: 'expired' }) }));

    const accepted = when(state, { type: 'AcceptOffer', offerId: 'OFR-1' }, now).state;
    const late = when(accepted, { type: 'WithdrawOffer', offerId: 'OFR-1', orderId: 'ORD-OFR-1', reason: 'timeout' }, now);
    expect(late).toEqual({ state: accepted, effects: [] });
  });

  it('given an ASSIGNED driver, when the search is cancelled, then the trip is withdrawn and the driver is AVAILABLE', () => {
    const { state, now } = given([...online(), reserve('OFR-1'), { type: 'AcceptOffer', offerId: 'OFR-1' }]);
    const decision = when(state, { type: 'WithdrawOffer', offerId: 'OFR-1', orderId: 'ORD-OFR-1', reason: 'cancelled' }, now);
    expect(decision.state.value).toBe('available');
    expect(decision.effects).toContainEqual(expect.objectContaining({ type: 'pushDriver', push: expect.objectContaining({ event: 'assignment:withdrawn' }) }));
  });

  it('given an offer whose dispatcher died, when the driver pings after the lapse, then the reservation is released and the driver is listed again', () => {
    const { state } = offered();
    const lapse = reservedAt + 15_000 + settings.acceptGraceMs + settings.reservationLapseMs + 1;
    const decision = when(state, ping(HERE, lapse), lapse);
    expect(decision.state.value).toBe('available');
    expect(decision.effects).toContainEqual(expect.objectContaining({ body: expect.objectContaining({ type: 'OfferReleased', reason: 'lapsed' }) }));
    expect(cellMessages(decision.effects)).toHaveLength(1);
  });

  it('given an ASSIGNED driver, when its order ends the trip, then it is AVAILABLE with a load of one', () => {
    const { state, now } = given([...online(), reserve('OFR-1'), { type: 'AcceptOffer', offerId: 'OFR-1' }]);
    const decision = when(state, { type: 'TripEnded', orderId: 'ORD-OFR-1' }, now);
    expect(decision.state.value).toBe('available');
    expect(cellMessages(decision.effects)).toEqual([expect.objectContaining({ body: expect.objectContaining({ type: 'DriverEntered', load: 1 }) })]);
    expect(when(state, { type: 'TripEnded', orderId: 'ORD-OTHER' }, now).state).toBe(state);
  });

  it('given an ASSIGNED driver, when it tries to go OFFLINE, then INVALID_TRANSITION', () => {
    const { state, now } = given([...online(), reserve('OFR-1'), { type: 'AcceptOffer', offerId: 'OFR-1' }]);
    const decision = when(state, { type: 'SetStatus', status: 'OFFLINE' }, now);
    expect(decision.state).toBe(state);
    expect(replyOf(decision.effects)).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSITION' } });
  });
});

describe('driver location for the customer', () => {
  const onTrip = () => given([...online(), reserve('OFR-9'), { type: 'AcceptOffer', offerId: 'OFR-9' }]);
  const locationPushes = (effects: readonly Outbound[]) => effects.filter((e) => e.type === 'pushOrderFollowers');

  it('given a driver on a trip, when it pings, then the customers following the order get its position', () => {
    const { state, now } = onTrip();
    const decision = when(state, ping(THERE, now), now);
    expect(locationPushes(decision.effects)).toEqual([
      { type: 'pushOrderFollowers', orderId: 'ORD-OFR-9', location: { orderId: 'ORD-OFR-9', lat: THERE.lat, lng: THERE.lng, at: iso(now) } },
    ]);
  });

  it('given pings faster than the push interval, then at most one position is pushed per interval', () => {
    const { state, now } = onTrip();
    const start = Math.ceil(now / config.locationPushIntervalMs) * config.locationPushIntervalMs;
    let s = state;
    let pushed = 0;
    for (let t = start; t < start + 10 * config.locationPushIntervalMs; t += 250) {
      const d = when(s, ping(THERE, t), t);
      pushed += locationPushes(d.effects).length;
      s = d.state;
    }
    expect(pushed).toBe(10);
  });

  it('given an available driver, when it pings, then no position is pushed to anyone', () => {
    const { state, now } = given(online());
    expect(locationPushes(when(state, ping(THERE, now), now).effects)).toEqual([]);
  });
});

describe('driver: what a reconnecting app is shown again (GetCurrentWork)', () => {
  const query: DriverMessage = { type: 'GetCurrentWork' };
  const accepted = (): DriverMessage[] => [...online(), reserve('OFR-1'), { type: 'AcceptOffer', offerId: 'OFR-1' }];

  it('given an OFFERED driver, when asked within the offer window, then it answers with the `offer` push as first sent, and nothing changes', () => {
    const { state: available, now: reservedAt } = given(online());
    const reserved = when(available, reserve('OFR-1'), reservedAt);
    const pushed = reserved.effects.find((e) => e.type === 'pushDriver')?.push.data;
    const now = reservedAt + settings.offerTimeoutMs - 1;
    const decision = when(reserved.state, query, now);
    expect(decision.state).toBe(reserved.state);
    expect(decision.effects).toEqual([{ type: 'reply', body: { ok: true, status: 'OFFERED', cell: null, offer: pushed, trip: null } }]);
    expect(pushed).toEqual({ offerId: 'OFR-1', orderId: 'ORD-OFR-1', restaurant: { restaurantId: 'REST-1', location: HERE }, dropoff: { location: THERE }, expiresAt: iso(reservedAt + settings.offerTimeoutMs) });
  });

  it('given an OFFERED driver whose offer window has closed, when asked, then no offer is shown (it can no longer be taken), and nothing changes', () => {
    const { state, now: reservedAt } = given(online());
    const offered = when(state, reserve('OFR-1'), reservedAt).state;
    const decision = when(offered, query, reservedAt + settings.offerTimeoutMs);
    expect(decision.state).toBe(offered);
    expect(decision.effects).toEqual([{ type: 'reply', body: { ok: true, status: 'OFFERED', cell: null, offer: null, trip: null } }]);
  });

  it('given an ASSIGNED driver, when asked, then it answers with the trip in the shape of the `assignment` push, and nothing changes', () => {
    const { state, now } = given(accepted());
    const decision = when(state, query, now);
    expect(decision.state).toBe(state);
    expect(decision.effects).toEqual([
      {
        type: 'reply',
        body: {
          ok: true,
          status: 'ASSIGNED',
          cell: null,
          offer: null,
          trip: { offerId: 'OFR-1', orderId: 'ORD-OFR-1', restaurant: { restaurantId: 'REST-1', location: HERE }, dropoff: { location: THERE } },
        },
      },
    ]);
  });

  const idle: [string, () => { state: DriverState; now: number }, string][] = [
    ['an AVAILABLE driver', () => given(online()), 'AVAILABLE'],
    ['an OFFLINE driver', () => given([...online(), { type: 'SetStatus', status: 'OFFLINE' }]), 'OFFLINE'],
    ['a driver whose trip ended', () => given([...accepted(), { type: 'TripEnded', orderId: 'ORD-OFR-1' }]), 'AVAILABLE'],
    ['a driver that never went online (or was forgotten)', () => ({ state: initialDriverState('DRV-1'), now: T0 }), 'OFFLINE'],
  ];
  for (const [what, setup, status] of idle) {
    it(`given ${what}, when asked, then nothing is pending and nothing changes`, () => {
      const { state, now } = setup();
      const decision = when(state, query, now);
      expect(decision.state).toBe(state);
      expect(decision.effects).toEqual([{ type: 'reply', body: { ok: true, status, cell: state.context.cell, offer: null, trip: null } }]);
    });
  }
});
