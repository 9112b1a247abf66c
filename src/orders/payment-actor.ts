import { z } from 'zod';
import { actorAddress, stableHash } from '../../actors/address.ts';
import type { ActorBehavior } from '../../actors/behavior.ts';
import { err, ok } from '../shared/result.ts';

/**
 * SIMULATED card provider (kind `payment`, one actor per order): stands in for a real payment service provider until
 * one is integrated. It answers after a configurable delay (a durable timer, like a provider's webhook) and declines a
 * configurable share of authorisations — deterministically per order id, so a replay gives the same answer.
 * Results go back to the order as the order chart's payment commands.
 */
export interface SimulatedPaymentConfig {
  /** Answer delay, ms. */
  readonly delayMs: number;
  /** Share of authorisations declined, 0–1. */
  readonly declineRate: number;
}

type Operation = 'Authorize' | 'Capture' | 'Refund';

const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['Authorize', 'Capture', 'Refund']), orderId: z.string().min(1), amountCents: z.number().int().nonnegative(), currency: z.string().length(3) }),
  z.object({ type: z.literal('ProviderAnswered'), operation: z.enum(['Authorize', 'Capture', 'Refund']) }),
]);
type PaymentMessage = z.infer<typeof messageSchema>;

export interface PaymentState {
  readonly orderId: string | null;
  readonly currency: string | null;
  /** Requested and not yet answered, by operation, in cents. */
  readonly requested: Partial<Record<Operation, number>>;
  readonly authorizedCents: number;
  readonly capturedCents: number;
  readonly refundedCents: number;
  readonly declined: boolean;
}

export function simulatedPaymentBehavior(config: SimulatedPaymentConfig): ActorBehavior<PaymentState, PaymentMessage> {
  return {
    kind: 'payment',
    parse: (body) => {
      const parsed = messageSchema.safeParse(body);
      return parsed.success ? ok(parsed.data) : err(parsed.error.issues[0]?.message ?? 'invalid payment message');
    },
    initialState: () => ({ orderId: null, currency: null, requested: {}, authorizedCents: 0, capturedCents: 0, refundedCents: 0, declined: false }),
    describe: (s) => ({ value: s.declined ? 'DECLINED' : s.capturedCents > 0 ? 'CAPTURED' : s.authorizedCents > 0 ? 'AUTHORIZED' : 'PENDING', context: s }),
    decide(state, message) {
      if (message.type !== 'ProviderAnswered') {
        if (state.requested[message.type] !== undefined) return { state, effects: [] };
        return {
          state: { ...state, orderId: message.orderId, currency: message.currency, requested: { ...state.requested, [message.type]: message.amountCents } },
          effects: [{ type: 'schedule', timerId: `provider-${message.type}`, delayMs: config.delayMs, body: { type: 'ProviderAnswered', operation: message.type } }],
        };
      }
      const amount = state.requested[message.operation];
      const orderId = state.orderId;
      if (amount === undefined || orderId === null) return { state, effects: [] };
      const requested = { ...state.requested };
      delete requested[message.operation];
      const order = actorAddress('order', orderId);
      switch (message.operation) {
        case 'Authorize': {
          if (declines(orderId, config.declineRate)) {
            return { state: { ...state, requested, declined: true }, effects: [{ type: 'send', to: order, body: { type: 'RecordPaymentDeclined', reason: 'card declined by the (simulated) issuer' } }] };
          }
          return {
            state: { ...state, requested, authorizedCents: amount },
            effects: [{ type: 'send', to: order, body: { type: 'RecordPaymentAuthorized', authorizationId: `AUTH-${orderId}`, amountCents: amount } }],
          };
        }
        case 'Capture':
          return {
            state: { ...state, requested, capturedCents: amount },
            effects: [{ type: 'send', to: order, body: { type: 'RecordPaymentCaptured', captureId: `CAP-${orderId}`, amountCents: amount } }],
          };
        case 'Refund':
          // The order records the refund when it initiates it; the provider just carries it out.
          return { state: { ...state, requested, refundedCents: state.refundedCents + amount }, effects: [] };
        default: {
          const _exhaustive: never = message.operation;
          return _exhaustive;
        }
      }
    },
  };
}

/** Deterministic per order: the same order is always approved or always declined at a given rate. */
function declines(orderId: string, rate: number): boolean {
  return stableHash(`decline:${orderId}`) / 0x1_0000_0000 < rate;
}
