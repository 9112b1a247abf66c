import type { CancellationRule, OrderCancelled } from './events.ts';
import { reportedStatus, snapshotOf, type OrderSnapshot, type OrderState } from './state.ts';

/**
 * The cancellation policy. Whether an order can be cancelled at all is the chart's answer (cancellable anywhere
 * before pickup, never after); this module only prices it:
 *
 * - free before the restaurant accepts (PLACED, PENDING_PAYMENT, CONFIRMED);
 * - free within GRACE_WINDOW_MS of the restaurant accepting, while the kitchen has not started;
 * - free while no driver could be found (dispatch failed or escalated): the platform cannot deliver;
 * - otherwise a fee, a percentage of the order total set by how far the kitchen got (ACCEPTED 10 %,
 *   PREPARING 50 %, READY_FOR_PICKUP 100 %: the food is made), at least MIN_FEE_CENTS, at most the total.
 *   A driver being assigned or on the way does not change the fee.
 * - denied once the driver picked the food up, and for orders already delivered, cancelled or rejected.
 *
 * The refund is what was authorised on the card less the fee; cash orders and cards not yet authorised get no
 * refund (nothing was taken), though the fee is still recorded on the cancellation.
 */
export const CANCELLATION_POLICY = {
  /** After OrderAcceptedByRestaurant, in ms; default 60_000. */
  GRACE_WINDOW_MS: 60_000,
  /** The smallest fee charged, in minor units; default 200. */
  MIN_FEE_CENTS: 200,
  /** Fee as a percentage of the order total, by the kitchen's status. */
  FEE_PERCENT: { ACCEPTED: 10, PREPARING: 50, READY_FOR_PICKUP: 100 },
} as const;

/** Why a cancellation is refused; stable codes, matched structurally. */
export type CancellationDenialRule = 'NOT_PLACED' | 'PICKED_UP' | 'DELIVERED' | 'ALREADY_CANCELLED' | 'REJECTED' | 'NOT_ALLOWED';

export type CancellationDecision =
  | { readonly allowed: true; readonly rule: CancellationRule; readonly feeCents: number; readonly refundCents: number; readonly reason: string }
  | { readonly allowed: false; readonly rule: CancellationDenialRule; readonly reason: string };

/** What cancelling `state` at `now` (ms since the Unix epoch) would cost, or why it is refused. */
export function cancellationPolicy(state: OrderState, now: number): CancellationDecision {
  const snapshot = snapshotOf(state);
  const { details, payment, acceptedAt } = state.context;
  if (details === null) return { allowed: false, rule: 'NOT_PLACED', reason: 'the order does not exist' };
  if (!snapshot.can(cancelProbe)) return denial(snapshot);

  const free = (rule: CancellationRule, reason: string): CancellationDecision => ({
    allowed: true,
    rule,
    feeCents: 0,
    refundCents: payment.authorizedCents,
    reason,
  });
  const kitchen = kitchenStatus(snapshot);
  if (kitchen === null) return free('BEFORE_ACCEPTANCE', 'free: the restaurant has not accepted the order yet');
  if (snapshot.matches({ fulfilment: { driver: { beforePickup: 'dispatchFailed' } } }) || snapshot.matches({ fulfilment: { driver: { beforePickup: 'escalated' } } })) {
    return free('DISPATCH_FAILED', 'free: no driver could be found for this order');
  }
  const sinceAcceptedMs = acceptedAt === null ? Infinity : now - Date.parse(acceptedAt);
  if (kitchen === 'ACCEPTED' && sinceAcceptedMs < CANCELLATION_POLICY.GRACE_WINDOW_MS) {
    return free('GRACE_WINDOW', `free: within ${CANCELLATION_POLICY.GRACE_WINDOW_MS / 1000} s of the restaurant accepting`);
  }
  const percent = CANCELLATION_POLICY.FEE_PERCENT[kitchen];
  const feeCents = Math.min(details.totalCents, Math.max(CANCELLATION_POLICY.MIN_FEE_CENTS, Math.round((details.totalCents * percent) / 100)));
  const what = { ACCEPTED: 'the restaurant has accepted the order', PREPARING: 'the food is being prepared', READY_FOR_PICKUP: 'the food is ready' }[kitchen];
  return {
    allowed: true,
    rule: kitchen,
    feeCents,
    refundCents: Math.max(0, payment.authorizedCents - feeCents),
    reason: `fee: ${what}; ${percent}% of the total, at least ${CANCELLATION_POLICY.MIN_FEE_CENTS} cents`,
  };
}

type KitchenStatus = keyof typeof CANCELLATION_POLICY.FEE_PERCENT;

function kitchenStatus(snapshot: OrderSnapshot): KitchenStatus | null {
  if (snapshot.hasTag('READY_FOR_PICKUP')) return 'READY_FOR_PICKUP';
  if (snapshot.hasTag('PREPARING')) return 'PREPARING';
  if (snapshot.hasTag('ACCEPTED')) return 'ACCEPTED';
  return null;
}

function denial(snapshot: OrderSnapshot): CancellationDecision {
  const status = reportedStatus(snapshot);
  switch (status) {
    case 'PICKED_UP':
    case 'EN_ROUTE_TO_CUSTOMER':
    case 'AT_CUSTOMER':
      return { allowed: false, rule: 'PICKED_UP', reason: 'the driver has already picked up the order' };
    case 'DELIVERED':
    case 'SETTLED':
      return { allowed: false, rule: 'DELIVERED', reason: 'the order has already been delivered' };
    case 'CANCELLED':
      return { allowed: false, rule: 'ALREADY_CANCELLED', reason: 'the order is already cancelled' };
    case 'REJECTED':
      return { allowed: false, rule: 'REJECTED', reason: 'the restaurant rejected the order; it is closed' };
    default:
      return { allowed: false, rule: 'NOT_ALLOWED', reason: `an order cannot be cancelled while ${status ?? 'not placed'}` };
  }
}

/** Asks the chart whether an OrderCancelled could happen now; no guard reads its data. */
const cancelProbe: OrderCancelled = {
  type: 'OrderCancelled',
  at: '1970-01-01T00:00:00.000Z',
  data: { reason: '', by: { role: 'system', id: 'policy' }, policyRule: 'BEFORE_ACCEPTANCE', policyReason: '', feeCents: 0, refundCents: 0 },
};
