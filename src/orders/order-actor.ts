import { actorAddress } from '../../actors/address.ts';
import type { ActorBehavior, Effect } from '../../actors/behavior.ts';
import type { OrderCommand } from '../../machines/order/commands.ts';
import { decide, evolve, initialOrderState, view, type OrderState, type OrderView } from '../../machines/order/decider.ts';
import type { OrderEvent } from '../../machines/order/events.ts';
import { restaurantSees } from '../../machines/order/restaurant-statuses.ts';
import { err, ok } from '../shared/result.ts';
import { orderMessageSchema, type OrderMessage, type OrderReply } from './order-messages.ts';

/** The events one command produced, not yet appended; the order store appends them with the command's id. */
export interface PendingAppend {
  readonly causationId: string;
  readonly events: readonly OrderEvent[];
}

/** The order actor's state: the decider's state (a fold of the events) plus what awaits the store. */
export interface OrderActorState {
  readonly order: OrderState;
  readonly pending: PendingAppend | null;
}

export interface OrderActorConfig {
  /** An unpaid card order is cancelled after this long, ms. */
  readonly paymentTimeoutMs: number;
  /** A failed driver search is retried after this long, ms. */
  readonly dispatchRetryMs: number;
  /** Searches before the order is escalated to ops. */
  readonly dispatchMaxAttempts: number;
}

const PAYMENT_TIMEOUT = 'payment-timeout';

/**
 * The order actor (kind `order`): event-sourced. Each message is one command: the decider (the order chart) turns it
 * into events, which become the new state and — once the store has appended them — the effects: replies to the API,
 * messages to payment and dispatch, timers, and pushes to the customer's, restaurant's and driver's sockets.
 */
export function orderBehavior(config: OrderActorConfig): ActorBehavior<OrderActorState, OrderMessage> {
  return {
    kind: 'order',
    // One command per commit: each command's events are appended under its own causation id.
    maxBatch: 1,
    parse(body) {
      const parsed = orderMessageSchema.safeParse(body);
      if (parsed.success) return ok(parsed.data);
      const issue = parsed.error.issues[0];
      return err(issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid order message');
    },
    initialState: () => ({ order: initialOrderState(), pending: null }),
    settle: (state) => ({ ...state, pending: null }),
    describe: (state) => {
      const v = view(state.order);
      return { value: v?.status ?? 'NOT_PLACED', context: v };
    },
    decide(state, message, meta) {
      const placed = state.order.context.details;
      if (message.type === 'PlaceOrder' && placed) {
        // A retried POST (same Idempotency-Key and body) gets the first response; another body under that key is refused.
        if (message.requestHash !== undefined && placed.requestHash === message.requestHash) return { state, effects: [replyWith(state.order, [])] };
        return {
          state,
          effects: [{ type: 'reply', body: refusal('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different order request') }],
        };
      }
      const decided = decide(state.order, { ...message, now: meta.now } as unknown as OrderCommand);
      if (!decided.ok) {
        const { code, detail, policyRule } = decided.error;
        return { state, effects: [{ type: 'reply', body: refusal(code, detail, policyRule) }] };
      }
      const events = decided.value;
      const before = state.order;
      const order = events.reduce(evolve, before);
      return {
        state: { order, pending: { causationId: meta.messageId, events } },
        effects: [replyWith(order, events), ...consequences(before, order, events, config)],
      };
    },
  };
}

function replyWith(order: OrderState, events: readonly OrderEvent[]): Effect {
  return { type: 'reply', body: { ok: true, view: view(order), events: events.map((e) => e.type) } satisfies OrderReply };
}

function refusal(code: string, detail: string, policyRule?: string): OrderReply {
  return { ok: false, error: { code, detail, ...(policyRule ? { policyRule } : {}) } };
}

/** What the world must hear about these events. */
function consequences(before: OrderState, after: OrderState, events: readonly OrderEvent[], config: OrderActorConfig): Effect[] {
  const v = view(after);
  if (!v) return [];
  const orderId = v.orderId;
  const payment = actorAddress('payment', orderId);
  const effects: Effect[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'PaymentAuthorizationRequested':
        effects.push(
          { type: 'send', to: payment, body: { type: 'Authorize', orderId, amountCents: event.data.amountCents, currency: event.data.currency } },
          { type: 'schedule', timerId: PAYMENT_TIMEOUT, delayMs: config.paymentTimeoutMs, body: { type: 'TimeOutPayment' } },
        );
        break;
      case 'PaymentAuthorized':
      case 'PaymentDeclined':
        effects.push({ type: 'cancel', timerId: PAYMENT_TIMEOUT });
        break;
      case 'OrderConfirmed':
        effects.push({ type: 'push', namespace: '/restaurant', rooms: [`restaurant:${v.restaurantId}`], event: 'order:new', data: v });
        break;
      case 'DriverSearchStarted':
        effects.push({
          type: 'send',
          to: actorAddress('dispatch', orderId),
          body: {
            type: 'FindDriver',
            orderId,
            restaurantId: event.data.restaurantId,
            attempt: event.data.attempt,
            pickup: event.data.pickup,
            dropoff: event.data.dropoff,
            requestedAt: event.at,
          },
        });
        break;
      case 'DispatchFailed':
        effects.push(
          event.data.attempt < config.dispatchMaxAttempts
            ? { type: 'schedule', timerId: `dispatch-retry-${event.data.attempt}`, delayMs: config.dispatchRetryMs, body: { type: 'RetryDispatch' } }
            : { type: 'send', to: actorAddress('order', orderId), body: { type: 'EscalateDispatch', reason: `no driver after ${event.data.attempt} searches: ${event.data.reason}` } },
        );
        break;
      case 'DriverAssigned': {
        // Only now, with the assignment recorded, may the driver start the trip: its first step is accepted.
        const details = after.context.details;
        if (!details) break;
        effects.push({
          type: 'push',
          namespace: '/driver',
          rooms: [`driver:${event.data.driverId}`],
          event: 'assignment',
          data: {
            ...(event.data.offerId ? { offerId: event.data.offerId } : {}),
            orderId,
            restaurant: { restaurantId: details.restaurantId, location: details.restaurantLocation },
            dropoff: { location: details.deliveryAddress.location },
          },
        });
        break;
      }
      case 'OrderDelivered':
        if (event.data.paymentMethod === 'CARD') {
          effects.push({ type: 'send', to: payment, body: { type: 'Capture', orderId, amountCents: v.totalCents, currency: v.currency } });
        }
        effects.push({ type: 'send', to: actorAddress('driver', event.data.driverId), body: { type: 'TripEnded', orderId } });
        break;
      case 'OrderCancelled':
        if (v.driverId) effects.push({ type: 'send', to: actorAddress('driver', v.driverId), body: { type: 'TripEnded', orderId } });
        else if (before.context.acceptedAt !== null) effects.push({ type: 'send', to: actorAddress('dispatch', orderId), body: { type: 'CancelSearch', orderId } });
        effects.push({ type: 'cancel', timerId: PAYMENT_TIMEOUT });
        break;
      case 'RefundInitiated':
        effects.push({ type: 'send', to: payment, body: { type: 'Refund', orderId, amountCents: event.data.amountCents, currency: event.data.currency } });
        break;
      default:
        break;
    }
  }
  if (statusChanged(before, after)) effects.push(...viewPushes(v));
  return effects;
}

function statusChanged(before: OrderState, after: OrderState): boolean {
  return view(before)?.status !== view(after)?.status || view(before)?.driverId !== view(after)?.driverId;
}

/** `order:update` to everyone following this order: its customer room, the restaurant once paid, the driver. */
function viewPushes(v: OrderView): Effect[] {
  const pushes: Effect[] = [{ type: 'push', namespace: '/customer', rooms: [`order:${v.orderId}`], event: 'order:update', data: v }];
  if (restaurantSees(v.status)) {
    pushes.push({ type: 'push', namespace: '/restaurant', rooms: [`restaurant:${v.restaurantId}`], event: 'order:update', data: v });
  }
  if (v.driverId) pushes.push({ type: 'push', namespace: '/driver', rooms: [`driver:${v.driverId}`], event: 'order:update', data: v });
  return pushes;
}
