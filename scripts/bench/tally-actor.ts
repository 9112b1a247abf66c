import type { ActorBehavior } from '../../actors/behavior.ts';
import { err, ok } from '../../src/shared/result.ts';

/** The benchmark's actor: counts increments. As small as an actor gets, so the runtime's cost is what shows. */
export const tallyBehavior: ActorBehavior<{ count: number }, { type: 'inc' }> = {
  kind: 'tally',
  parse: (body) =>
    typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'inc' ? ok({ type: 'inc' }) : err('expected { type: "inc" }'),
  initialState: () => ({ count: 0 }),
  decide: (state) => ({ state: { count: state.count + 1 }, effects: [] }),
};
