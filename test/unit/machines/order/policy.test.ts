import { describe, expect, it } from 'vitest';
import { cancellationPolicy, CANCELLATION_POLICY, decide, type CancellationDecision } from '../../../../machines/order/decider.ts';
import type { ItemId } from '../../../../machines/order/types.ts';
import { STEP_MS, TOTAL_CENTS, commandFor, given, story, type FixtureName } from './fixtures.ts';

type Expected =
  | { allowed: true; rule: string; feeCents: number; refundCents: number }
  | { allowed: false; rule: string };

const free = (rule: string, refundCents: number): Expected => ({ allowed: true, rule, feeCents: 0, refundCents });
const fee = (rule: string, feeCents: number, refundCents: number): Expected => ({ allowed: true, rule, feeCents, refundCents });
const denied = (rule: string): Expected => ({ allowed: false, rule });

// Total 2350 cents, authorised on the card unless the fixture is a cash order or not yet authorised.
// ACCEPTED: 10 % = 235; PREPARING: 50 % = 1175; READY_FOR_PICKUP: 100 % = 2350.
const POLICY: readonly [FixtureName, Expected][] = [
  ['not placed', denied('NOT_PLACED')],
  ['PLACED', free('BEFORE_ACCEPTANCE', 0)],
  ['PENDING_PAYMENT', free('BEFORE_ACCEPTANCE', 0)],
  ['CONFIRMED (card)', free('BEFORE_ACCEPTANCE', TOTAL_CENTS)],
  ['CONFIRMED (cash)', free('BEFORE_ACCEPTANCE', 0)],
  ['ACCEPTED, searching for a driver', fee('ACCEPTED', 235, 2115)],
  ['ACCEPTED, dispatch failed', free('DISPATCH_FAILED', TOTAL_CENTS)],
  ['ACCEPTED, dispatch escalated', free('DISPATCH_FAILED', TOTAL_CENTS)],
  ['PREPARING, searching for a driver', fee('PREPARING', 1175, 1175)],
  ['READY_FOR_PICKUP, searching for a driver', fee('READY_FOR_PICKUP', 2350, 0)],
  ['ASSIGNED, kitchen not started', fee('ACCEPTED', 235, 2115)],
  ['ASSIGNED, food ready', fee('READY_FOR_PICKUP', 2350, 0)],
  ['EN_ROUTE_TO_RESTAURANT, food preparing', fee('PREPARING', 1175, 1175)],
  ['AT_RESTAURANT, food preparing', fee('PREPARING', 1175, 1175)],
  ['AT_RESTAURANT, food ready', fee('READY_FOR_PICKUP', 2350, 0)],
  ['PICKED_UP', denied('PICKED_UP')],
  ['EN_ROUTE_TO_CUSTOMER', denied('PICKED_UP')],
  ['AT_CUSTOMER (card)', denied('PICKED_UP')],
  ['AT_CUSTOMER (cash)', denied('PICKED_UP')],
  ['DELIVERED (card)', denied('DELIVERED')],
  ['SETTLED (card)', denied('DELIVERED')],
  ['SETTLED (cash)', denied('DELIVERED')],
  ['REJECTED', denied('REJECTED')],
  ['CANCELLED by the customer while PREPARING', denied('ALREADY_CANCELLED')],
  ['CANCELLED after a declined card', denied('ALREADY_CANCELLED')],
];

function outcome(decision: CancellationDecision): Expected {
  return decision.allowed
    ? { allowed: true, rule: decision.rule, feeCents: decision.feeCents, refundCents: decision.refundCents }
    : { allowed: false, rule: decision.rule };
}

describe('cancellation policy', () => {
  const label = (e: Expected) => (!e.allowed ? 'denied' : e.feeCents === 0 ? 'free' : `a fee of ${e.feeCents} cents`);
  it.each(POLICY.map(([fixture, expected]) => [`given ${fixture}, then cancelling is ${label(expected)} (${expected.rule})`, fixture, expected] as const))(
    '%s',
    (_name, fixture, expected) => {
      const { state, now } = given(fixture);

      const decision = cancellationPolicy(state, now + STEP_MS);

      expect(outcome(decision)).toEqual(expected);
      expect(decision.reason).toMatch(expected.allowed ? (expected.feeCents === 0 ? /^free: / : /^fee: /) : /./);
    },
  );

  it('given an order the restaurant accepted 30 s ago and has not started, then it is free (grace window)', () => {
    const { state } = given('ACCEPTED, searching for a driver');
    const acceptedAt = Date.parse(state.context.acceptedAt ?? '');

    const decision = cancellationPolicy(state, acceptedAt + 30_000);

    expect(decision).toEqual({
      allowed: true,
      rule: 'GRACE_WINDOW',
      feeCents: 0,
      refundCents: TOTAL_CENTS,
      reason: 'free: within 60 s of the restaurant accepting',
    });
  });

  it('given an order the restaurant accepted exactly at the end of the grace window, then the fee applies', () => {
    const { state } = given('ACCEPTED, searching for a driver');
    const acceptedAt = Date.parse(state.context.acceptedAt ?? '');

    const decision = cancellationPolicy(state, acceptedAt + CANCELLATION_POLICY.GRACE_WINDOW_MS);

    expect(outcome(decision)).toEqual(fee('ACCEPTED', 235, 2115));
  });

  it('given the kitchen started within the grace window, then the preparing fee applies anyway', () => {
    const { state } = given('PREPARING, searching for a driver');
    const acceptedAt = Date.parse(state.context.acceptedAt ?? '');

    expect(outcome(cancellationPolicy(state, acceptedAt + 1_000))).toEqual(fee('PREPARING', 1175, 1175));
  });

  it('given a small accepted order, then the fee is the minimum, and never more than the total', () => {
    const small = (unitPriceCents: number) =>
      story('CARD', ['RecordPaymentAuthorized', 'AcceptOrder'], { items: [{ itemId: 'TEA' as ItemId, name: 'Tea', quantity: 1, unitPriceCents }] });

    const s500 = small(500);
    const s150 = small(150);

    expect(outcome(cancellationPolicy(s500.state, s500.now + STEP_MS))).toEqual(fee('ACCEPTED', CANCELLATION_POLICY.MIN_FEE_CENTS, 300));
    expect(outcome(cancellationPolicy(s150.state, s150.now + STEP_MS))).toEqual(fee('ACCEPTED', 150, 0));
  });

  it('given a cash order being prepared, then the fee is recorded and nothing is refunded', () => {
    const { state, now } = story('CASH_ON_DELIVERY', ['AcceptOrder', 'StartPreparing']);

    expect(outcome(cancellationPolicy(state, now + STEP_MS))).toEqual(fee('PREPARING', 1175, 0));
  });

  it('given an order being prepared, when the customer cancels, then OrderCancelled carries the decision and the refund follows', () => {
    const { state, now } = given('PREPARING, searching for a driver');
    const when = now + STEP_MS;
    const decision = cancellationPolicy(state, when);

    const result = decide(state, { type: 'CancelOrder', now: when, reason: 'too slow', by: { role: 'customer', id: 'CUST-123' } });

    expect(result).toEqual({
      ok: true,
      value: [
        {
          type: 'OrderCancelled',
          at: new Date(when).toISOString(),
          data: {
            reason: 'too slow',
            by: { role: 'customer', id: 'CUST-123' },
            policyRule: 'PREPARING',
            policyReason: decision.reason,
            feeCents: 1175,
            refundCents: 1175,
          },
        },
        { type: 'RefundInitiated', at: new Date(when).toISOString(), data: { amountCents: 1175, currency: 'USD', cause: 'ORDER_CANCELLED' } },
      ],
    });
  });

  it('given a picked-up order, when the customer cancels, then CANCELLATION_DENIED with the policy reason', () => {
    const { state, now } = given('PICKED_UP');

    const result = decide(state, commandFor('CancelOrder', state, now + STEP_MS));

    expect(result).toEqual({
      ok: false,
      error: {
        code: 'CANCELLATION_DENIED',
        detail: 'the driver has already picked up the order',
        status: 'PICKED_UP',
        policyRule: 'PICKED_UP',
      },
    });
  });

  it('given a declined card, then the order is cancelled for free by the payment system', () => {
    const { events } = given('CANCELLED after a declined card');

    expect(events.at(-1)).toMatchObject({
      type: 'OrderCancelled',
      data: { reason: 'PAYMENT_DECLINED: insufficient funds', by: { role: 'system', id: 'payments' }, policyRule: 'PAYMENT_FAILED', feeCents: 0, refundCents: 0 },
    });
  });
});
