import { describe, expect, it } from 'vitest';
import { ORDER_COMMAND_TYPES, type OrderCommand } from '../../../../machines/order/commands.ts';
import { decide, evolve, initialOrderState, statusOf, view, type OrderState } from '../../../../machines/order/decider.ts';
import type { OrderEvent } from '../../../../machines/order/events.ts';
import { ORDER_STATUSES, type OrderStatus } from '../../../../machines/order/types.ts';
import { commandFor, placeOrder, prng, T0 } from './fixtures.ts';

const SEQUENCES = 300;
const MAX_STEPS = 40;
const TERMINAL: readonly OrderStatus[] = ['CANCELLED', 'REJECTED'];

interface Run {
  readonly live: OrderState;
  readonly events: readonly OrderEvent[];
  readonly statuses: readonly OrderStatus[];
  /** Refused commands tried, and how many of them changed the state (must be none). */
  readonly refusalsTried: number;
  readonly refusalsThatChangedState: number;
}

/**
 * One random walk: at each step every command type is tried (well-formed for the current order), and one of
 * those the decider accepts is applied. The live state is persisted and restored (a JSON round trip) after
 * every step, as the actor host does.
 */
function walk(seed: number): Run {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  let now = T0;
  let live = initialOrderState();
  const events: OrderEvent[] = [];
  const statuses: OrderStatus[] = [];
  let refusalsTried = 0;
  let refusalsThatChangedState = 0;

  for (let step = 0; step < MAX_STEPS; step++) {
    now += Math.floor(random() * 5 * 60_000); // 0–5 min: sometimes inside the grace window
    const candidates: OrderCommand[] = ORDER_COMMAND_TYPES.map((type) =>
      type === 'PlaceOrder' ? placeOrder(random() < 0.5 ? 'CARD' : 'CASH_ON_DELIVERY', { now }) : commandFor(type, live, now),
    );
    const accepted = candidates.filter((c) => decide(live, c).ok);
    const refused = candidates.filter((c) => !accepted.includes(c));
    if (accepted.length === 0) break;

    // A refused command must leave the state as it was.
    if (refused.length > 0) {
      const before = JSON.stringify(live);
      refusalsTried++;
      if (decide(live, pick(refused)).ok || JSON.stringify(live) !== before) refusalsThatChangedState++;
    }

    // Cancelling ends most walks, so it is chosen rarely to let the others reach delivery.
    const nonCancel = accepted.filter((c) => c.type !== 'CancelOrder');
    const command = nonCancel.length > 0 && random() > 0.08 ? pick(nonCancel) : pick(accepted);
    const result = decide(live, command);
    if (!result.ok) throw new Error(`accepted once, refused now: ${command.type}`);
    events.push(...result.value);
    live = JSON.parse(JSON.stringify(result.value.reduce(evolve, live))) as OrderState;
    const status = statusOf(live);
    if (status !== null) statuses.push(status);
  }
  return { live, events, statuses, refusalsTried, refusalsThatChangedState };
}

describe('order decider: random valid command sequences', () => {
  const runs = Array.from({ length: SEQUENCES }, (_, seed) => ({ seed, ...walk(seed) }));

  it(`given ${SEQUENCES} random walks, when the events are replayed from the initial state, then the rebuilt state equals the live one`, () => {
    for (const run of runs) {
      const rebuilt = run.events.reduce(evolve, initialOrderState());
      expect(rebuilt, `seed ${run.seed}`).toEqual(run.live);
    }
  });

  it(`given ${SEQUENCES} random walks, then the view's version is the number of events`, () => {
    for (const run of runs) {
      expect(view(run.live)?.version, `seed ${run.seed}`).toBe(run.events.length);
    }
  });

  it(`given ${SEQUENCES} random walks, then every status reported along the way is one of the 16 names`, () => {
    for (const run of runs) {
      for (const status of run.statuses) expect(ORDER_STATUSES, `seed ${run.seed}`).toContain(status);
      expect(run.statuses.length, `seed ${run.seed}`).toBeGreaterThan(0);
    }
  });

  it(`given ${SEQUENCES} random walks, then the reported status never moves backwards`, () => {
    const rank = (s: OrderStatus) => (TERMINAL.includes(s) ? Infinity : ORDER_STATUSES.indexOf(s));
    for (const run of runs) {
      const backwards = run.statuses.filter((s, i) => i > 0 && rank(s) < rank(run.statuses[i - 1] as OrderStatus));
      expect(backwards, `seed ${run.seed}: ${run.statuses.join(' → ')}`).toEqual([]);
    }
  });

  it(`given ${SEQUENCES} random walks, then every event is JSON and stamped with an ISO-8601 UTC time`, () => {
    for (const run of runs) {
      for (const event of run.events) {
        expect(JSON.parse(JSON.stringify(event))).toEqual(event);
        expect(new Date(event.at).toISOString()).toBe(event.at);
      }
    }
  });

  it('given the random walks, then refused commands never changed the state, and the walks reached every status', () => {
    expect(runs.reduce((n, r) => n + r.refusalsTried, 0)).toBeGreaterThan(SEQUENCES);
    expect(runs.reduce((n, r) => n + r.refusalsThatChangedState, 0)).toBe(0);
    const seen = new Set(runs.flatMap((r) => r.statuses));
    // PLACED is only ever the first step of a placement (it moves on in the same decision), so a walk never rests there.
    expect(ORDER_STATUSES.filter((s) => s !== 'PLACED' && !seen.has(s))).toEqual([]);
  });
});
