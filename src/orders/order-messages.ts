import { z } from 'zod';
import { ACTOR_ROLES, PAYMENT_METHODS } from '../../machines/order/types.ts';

/**
 * What an order actor's inbox accepts: every command of the order chart without its `now` (the host adds the time it
 * handles the message). Shapes are checked here; meaning (totals, transitions, who may) by the decider.
 */
export type OrderMessage = z.infer<typeof orderMessageSchema>;

/** Ids travel as plain strings; the decider's branded types are applied when a message becomes a command. */
const id = z.string().min(1).max(128);
const text = z.string().min(1).max(1_000);
const iso = z.string().min(1).max(64);
const point = z.object({ lat: z.number().finite(), lng: z.number().finite() });
const driverStep = { driverId: id };

export const orderMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('PlaceOrder'),
    orderId: id,
    customerId: id,
    restaurantId: id,
    restaurantLocation: point,
    items: z
      .array(z.object({ itemId: id, name: text, quantity: z.number().int().positive(), unitPriceCents: z.number().int().nonnegative() }))
      .min(1)
      .max(100),
    currency: z.string().length(3),
    deliveryAddress: z.object({ street: text, city: text, state: z.string().max(100), zipCode: z.string().max(20), location: point }),
    paymentMethod: z.enum(PAYMENT_METHODS),
    specialInstructions: z.string().max(1_000).optional(),
    requestHash: z.string().max(128).optional(),
  }),
  z.object({ type: z.literal('RecordPaymentAuthorized'), authorizationId: id, amountCents: z.number().int() }),
  z.object({ type: z.literal('RecordPaymentDeclined'), reason: text }),
  z.object({ type: z.literal('TimeOutPayment') }),
  z.object({ type: z.literal('AcceptOrder'), estimatedReadyTime: iso }),
  z.object({ type: z.literal('RejectOrder'), reason: text }),
  z.object({ type: z.literal('StartPreparing') }),
  z.object({ type: z.literal('MarkReady') }),
  z.object({ type: z.literal('AssignDriver'), driverId: id, offerId: id.optional(), eta: iso.optional() }),
  z.object({ type: z.literal('ReportDispatchFailed'), reason: text }),
  z.object({ type: z.literal('RetryDispatch') }),
  z.object({ type: z.literal('EscalateDispatch'), reason: text }),
  z.object({ type: z.literal('StartTripToRestaurant'), ...driverStep, eta: iso.optional() }),
  z.object({ type: z.literal('ArriveAtRestaurant'), ...driverStep }),
  z.object({ type: z.literal('PickUpOrder'), ...driverStep }),
  z.object({ type: z.literal('StartTripToCustomer'), ...driverStep, eta: iso.optional() }),
  z.object({ type: z.literal('ArriveAtCustomer'), ...driverStep }),
  z.object({ type: z.literal('DeliverOrder'), ...driverStep }),
  z.object({ type: z.literal('RecordPaymentCaptured'), captureId: id, amountCents: z.number().int() }),
  z.object({ type: z.literal('CancelOrder'), reason: text, by: z.object({ role: z.enum(ACTOR_ROLES), id }) }),
]);

/** The answer to an ask of an order actor. */
export type OrderReply =
  | { ok: true; view: unknown; events: string[] }
  | { ok: false; error: { code: string; detail: string; policyRule?: string } };
