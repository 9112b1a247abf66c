import type { SnapshotFrom, StateValue } from 'xstate';
import { initialContext, type OrderContext } from './context.ts';
import { orderMachine } from './machine.ts';
import { ORDER_STATUSES, type OrderStatus } from './types.ts';

/**
 * An order as persisted: the chart's state value and its context (both plain JSON) and the number of events
 * folded in. A fold of the order's events, so it can always be rebuilt from them alone.
 */
export interface OrderState {
  readonly value: StateValue;
  readonly context: OrderContext;
  /** Events applied so far; equals the sequence number of the last event of the order's stream. */
  readonly version: number;
}

export type OrderSnapshot = SnapshotFrom<typeof orderMachine>;

export function initialOrderState(): OrderState {
  return { value: 'notPlaced', context: initialContext(), version: 0 };
}

/**
 * The live chart snapshot of a persisted state (pure; nothing is started). Remembered per state object: states are
 * immutable, and resolving one costs tens of microseconds, which a command would otherwise pay a dozen times (the
 * decision, each folded event, each view of the same state).
 */
export function snapshotOf(state: OrderState): OrderSnapshot {
  let snapshot = snapshots.get(state);
  if (!snapshot) {
    snapshot = orderMachine.resolveState({ value: state.value, context: state.context });
    snapshots.set(state, snapshot);
  }
  return snapshot;
}
const snapshots = new WeakMap<OrderState, OrderSnapshot>();

/** The statuses of the active state nodes: one, or two while the kitchen and the driver tracks run together. */
export function activeStatuses(snapshot: OrderSnapshot): OrderStatus[] {
  return ORDER_STATUSES.filter((status) => snapshot.hasTag(status));
}

/**
 * The status an order reports: the furthest along (latest in ORDER_STATUSES) of its active statuses. Only the
 * fulfilment stage has two: the kitchen's (ACCEPTED, PREPARING, READY_FOR_PICKUP) and, once a driver is
 * assigned, the driver's (ASSIGNED … AT_CUSTOMER), which always wins. The driver search itself has no status.
 * Null before the order is placed: an order that does not exist has no status.
 */
export function reportedStatus(snapshot: OrderSnapshot): OrderStatus | null {
  return activeStatuses(snapshot).at(-1) ?? null;
}
