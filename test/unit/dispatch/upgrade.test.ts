import { describe, expect, it } from 'vitest';
import { actorAddress } from '../../../actors/address.ts';
import type { MessageMeta } from '../../../actors/behavior.ts';
import { decideDispatch } from '../../../machines/dispatch/decider.ts';
import type { DispatchState } from '../../../machines/dispatch/state.ts';
import { initialDispatchState } from '../../../machines/dispatch/state.ts';
import { dispatchSettings, searchConfigOf } from '../../../src/dispatch/config.ts';
import { dispatchBehavior } from '../../../src/dispatch/dispatch-behavior.ts';

const T0 = Date.parse('2024-05-01T12:00:00Z');
const pickup = { lat: 37.7749, lng: -122.4194 };

describe('a search persisted before the directory of occupied cells', () => {
  it('given a stored search without the zone fields, when its cell answers, then the search goes on (widening to every cell of ring 1)', () => {
    const settings = dispatchSettings();
    const started = decideDispatch(
      initialDispatchState('ORD-OLD'),
      { type: 'FindDriver', orderId: 'ORD-OLD', restaurantId: 'REST-1', attempt: 1, pickup, dropoff: pickup, requestedAt: new Date(T0).toISOString() },
      { now: T0, config: { ...searchConfigOf(settings), cellDirectory: false } },
    ).state;
    const search = started.context.search;
    if (!search) throw new Error('no search');
    const { pendingZones: _z, empty: _e, directoryRings: _r, ...old } = search;
    const stored = JSON.parse(JSON.stringify({ ...started, context: { ...started.context, search: old } })) as DispatchState;

    const meta: MessageMeta = { self: actorAddress('dispatch', 'ORD-OLD'), messageId: 'm-1', from: actorAddress('cell', old.pickupCell), now: T0 + 5, isAsk: false };
    const decision = dispatchBehavior(settings).decide(stored, { type: 'Candidates', queryId: old.queryId, cell: old.pickupCell, candidates: [], truncated: false }, meta);
    expect(decision.state.context.search?.ring).toBe(1);
    expect(decision.effects.filter((e) => e.type === 'send' && (e.body as { type: string }).type === 'FindCandidates')).toHaveLength(6);
  });
});
