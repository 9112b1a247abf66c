import { describe, expect, it } from 'vitest';
import { actorAddress } from '../../../actors/address.ts';
import type { MessageMeta } from '../../../actors/behavior.ts';
import type { DispatchMessage } from '../../../machines/dispatch/protocol.ts';
import { initialDispatchState, type DispatchState, type DispatchStateValue } from '../../../machines/dispatch/state.ts';
import { dispatchSettings } from '../../../src/dispatch/config.ts';
import { dispatchBehavior } from '../../../src/dispatch/dispatch-behavior.ts';

const T0 = Date.parse('2024-05-01T12:00:00Z');
const pickup = { lat: 37.7749, lng: -122.4194 };
const behavior = dispatchBehavior(dispatchSettings());
const meta = (n: number): MessageMeta => ({ self: actorAddress('dispatch', 'ORD-1'), messageId: `m-${n}`, now: T0 + n, isAsk: false });
const finished = (state: DispatchState) => behavior.finished?.(state) ?? false;

describe('when a search actor may leave memory', () => {
  it.each<[DispatchStateValue, boolean]>([
    ['idle', false],
    ['searching', false],
    ['reserving', false],
    ['offered', false],
    ['assigned', true],
    ['failed', true],
    ['cancelled', true],
  ])('given a search %s, then finished is %s', (value, expected) => {
    expect(finished({ ...initialDispatchState('ORD-1'), value })).toBe(expected);
  });

  it('given a running search, when the order cancels it, then the actor is finished', () => {
    const find: DispatchMessage = { type: 'FindDriver', orderId: 'ORD-1', restaurantId: 'REST-1', attempt: 1, pickup, dropoff: pickup, requestedAt: new Date(T0).toISOString() };
    const searching = behavior.decide(initialDispatchState('ORD-1'), find, meta(1)).state;
    expect(finished(searching)).toBe(false);
    const cancelled = behavior.decide(searching, { type: 'CancelSearch', orderId: 'ORD-1' }, meta(2)).state;
    expect(cancelled.value).toBe('cancelled');
    expect(finished(cancelled)).toBe(true);
  });
});
