import { createHash } from 'node:crypto';
import { actorAddress } from '../../actors/address.ts';
import type { ActorClient } from '../../actors/client.ts';
import type { OrderView } from '../../machines/order/view.ts';
import type { Principal } from '../auth/principal.ts';
import type { CatalogPricing } from '../catalog/catalog-store.ts';
import { appError, type AppError } from '../errors/app-error.ts';
import { isErrorCode } from '../errors/registry.ts';
import { err, ok, type Result } from '../shared/result.ts';
import type { EventStore } from './event-store/index.ts';
import type { OrderMessage, OrderReply } from './order-messages.ts';
import type { OrderReadModel } from './read-model.ts';

/** How long the API waits for an order actor's answer, ms. */
const ASK_TIMEOUT_MS = 5_000;

export interface PlaceOrderRequest {
  readonly customerId: string;
  readonly restaurantId: string;
  readonly items: readonly { itemId: string; quantity: number }[];
  readonly deliveryAddress: { street: string; city: string; state: string; zipCode: string; location: { lat: number; lng: number } };
  readonly paymentMethod: 'CARD' | 'CASH_ON_DELIVERY';
  readonly specialInstructions?: string;
}

export type RestaurantAction =
  | { action: 'ACCEPT'; estimatedReadyTime: string }
  | { action: 'REJECT'; reason: string }
  | { action: 'PREPARING' }
  | { action: 'READY' };

export type DriverStatusStep = 'EN_ROUTE_TO_RESTAURANT' | 'AT_RESTAURANT' | 'PICKED_UP' | 'EN_ROUTE_TO_CUSTOMER' | 'AT_CUSTOMER' | 'DELIVERED';

const STAFF = new Set(['admin', 'support', 'ops']);

/**
 * The order use cases behind REST (and the sockets): who may do what to which order, then one ask of the order
 * actor, whose chart has the last word. Every expected failure is a returned AppError.
 */
export interface OrderService {
  place(p: Principal, idempotencyKey: string, request: PlaceOrderRequest): Promise<Result<{ orderId: string; status: 'PLACED'; createdAt: string }, AppError>>;
  get(p: Principal, orderId: string): Promise<Result<OrderView, AppError>>;
  listForCustomer(p: Principal, customerId: string | undefined, limit: number): Promise<Result<OrderView[], AppError>>;
  cancel(p: Principal, orderId: string, reason: string): Promise<Result<OrderView, AppError>>;
  events(p: Principal, orderId: string): Promise<Result<unknown[], AppError>>;
  restaurantAction(p: Principal, restaurantId: string, orderId: string, action: RestaurantAction): Promise<Result<OrderView, AppError>>;
  driverStep(p: Principal, driverId: string, orderId: string, status: DriverStatusStep): Promise<Result<OrderView, AppError>>;
}

export function createOrderService(deps: { actors: ActorClient; readModel: OrderReadModel; catalog: CatalogPricing; events: EventStore }): OrderService {
  const ask = async (orderId: string, message: OrderMessage): Promise<Result<OrderView, AppError>> => {
    const answer = await deps.actors.ask(actorAddress('order', orderId), message, { timeoutMs: ASK_TIMEOUT_MS });
    if (!answer.ok) {
      return err(answer.error.code === 'TIMEOUT' ? appError('TIMEOUT', 'The order did not answer in time; retry') : appError('UNAVAILABLE', 'Orders are unavailable'));
    }
    const reply = answer.value as OrderReply;
    if (reply.ok) return ok(reply.view as OrderView);
    const code = isErrorCode(reply.error.code) ? reply.error.code : 'CONFLICT';
    return err(appError(code, reply.error.detail));
  };

  /** The view, if this principal may see the order; a stranger's order is FORBIDDEN, a missing one NOT_FOUND. */
  const visible = async (p: Principal, orderId: string): Promise<Result<OrderView, AppError>> => {
    const v = await deps.readModel.get(orderId);
    if (!v) return err(appError('NOT_FOUND', `No order ${orderId}`));
    const mine =
      STAFF.has(p.role) ||
      (p.role === 'customer' && p.customerId === v.customerId) ||
      (p.role === 'restaurant' && p.restaurantId === v.restaurantId) ||
      (p.role === 'driver' && v.driverId !== null && p.driverId === v.driverId);
    return mine ? ok(v) : err(appError('FORBIDDEN', 'This order is not yours'));
  };

  return {
    async place(p, idempotencyKey, request) {
      if (p.role !== 'customer' || p.customerId !== request.customerId) return err(appError('FORBIDDEN', 'Customers place orders for themselves only'));
      // Both reads at once: one wait instead of two (an unknown restaurant fails both the same way).
      const [restaurant, priced] = await Promise.all([
        deps.catalog.getRestaurant(request.restaurantId),
        deps.catalog.priceItems(request.restaurantId, request.items),
      ]);
      if (!restaurant) return err(appError('NOT_FOUND', `No restaurant ${request.restaurantId}`));
      if (!priced.ok) return err(priced.error);
      // The order id is derived from the customer and the key: every retry, however concurrent, reaches one actor,
      // which places once and answers the rest from what it stored.
      const orderId = `ORD-${digest(`${request.customerId}\n${idempotencyKey}`).slice(0, 20)}`;
      const placed = await ask(orderId, {
        type: 'PlaceOrder',
        orderId,
        customerId: request.customerId,
        restaurantId: request.restaurantId,
        restaurantLocation: restaurant.location,
        items: priced.value.items,
        currency: priced.value.currency,
        deliveryAddress: request.deliveryAddress,
        paymentMethod: request.paymentMethod,
        ...(request.specialInstructions !== undefined ? { specialInstructions: request.specialInstructions } : {}),
        requestHash: digest(canonicalJson(request)),
      } as OrderMessage);
      if (!placed.ok) return placed;
      return ok({ orderId, status: 'PLACED', createdAt: placed.value.createdAt });
    },

    get: (p, orderId) => visible(p, orderId),

    async listForCustomer(p, customerId, limit) {
      const whose = p.role === 'customer' ? p.customerId : customerId;
      if (p.role === 'customer' && customerId !== undefined && customerId !== p.customerId) return err(appError('FORBIDDEN', 'Customers see their own orders only'));
      if (!STAFF.has(p.role) && p.role !== 'customer') return err(appError('FORBIDDEN', 'Only customers and staff list orders by customer'));
      if (!whose) return err(appError('VALIDATION_FAILED', 'customerId is required'));
      return ok(await deps.readModel.recentOfCustomer(whose, limit));
    },

    async cancel(p, orderId, reason) {
      if (p.role !== 'customer' && !STAFF.has(p.role)) return err(appError('FORBIDDEN', 'Only the customer or support can cancel an order'));
      const v = await visible(p, orderId);
      if (!v.ok) return v;
      return ask(orderId, { type: 'CancelOrder', reason, by: { role: p.role, id: p.role === 'customer' ? (p.customerId ?? p.sub) : p.sub } });
    },

    async events(p, orderId) {
      if (!STAFF.has(p.role)) return err(appError('FORBIDDEN', 'The event log is for support, admin and ops'));
      const events = await deps.events.read(orderId);
      if (events.length === 0) return err(appError('NOT_FOUND', `No order ${orderId}`));
      return ok(events.map((e) => ({ seq: e.seq, eventId: e.eventId, eventType: e.type, occurredAt: e.occurredAt, causationId: e.causationId, data: e.data })));
    },

    async restaurantAction(p, restaurantId, orderId, action) {
      if (!(p.role === 'restaurant' && p.restaurantId === restaurantId) && p.role !== 'admin') return err(appError('FORBIDDEN', 'Not this restaurant'));
      const v = await deps.readModel.get(orderId);
      if (!v || v.restaurantId !== restaurantId) return err(appError('NOT_FOUND', `No order ${orderId} at restaurant ${restaurantId}`));
      switch (action.action) {
        case 'ACCEPT':
          return ask(orderId, { type: 'AcceptOrder', estimatedReadyTime: action.estimatedReadyTime });
        case 'REJECT':
          return ask(orderId, { type: 'RejectOrder', reason: action.reason });
        case 'PREPARING':
          return ask(orderId, { type: 'StartPreparing' });
        case 'READY':
          return ask(orderId, { type: 'MarkReady' });
        default: {
          const _exhaustive: never = action;
          return _exhaustive;
        }
      }
    },

    async driverStep(p, driverId, orderId, status) {
      if (!(p.role === 'driver' && p.driverId === driverId)) return err(appError('FORBIDDEN', 'Drivers report their own steps only'));
      const v = await deps.readModel.get(orderId);
      if (!v) return err(appError('NOT_FOUND', `No order ${orderId}`));
      if (v.driverId !== driverId) return err(appError('FORBIDDEN', 'This order is not assigned to you'));
      return ask(orderId, { type: DRIVER_STEPS[status], driverId } as OrderMessage);
    },
  };
}

const DRIVER_STEPS = {
  EN_ROUTE_TO_RESTAURANT: 'StartTripToRestaurant',
  AT_RESTAURANT: 'ArriveAtRestaurant',
  PICKED_UP: 'PickUpOrder',
  EN_ROUTE_TO_CUSTOMER: 'StartTripToCustomer',
  AT_CUSTOMER: 'ArriveAtCustomer',
  DELIVERED: 'DeliverOrder',
} as const satisfies Record<DriverStatusStep, string>;

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').replace(/[-_]/g, 'x');
}

/** JSON with object keys sorted, so the same request body always has the same fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
