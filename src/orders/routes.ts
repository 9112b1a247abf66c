import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { authenticate, principalOf } from '../auth/http.ts';
import type { Verifier } from '../auth/verifier.ts';
import { appError, type AppError } from '../errors/app-error.ts';
import { sendError } from '../errors/http.ts';
import { fromZodError } from '../errors/zod.ts';
import type { Result } from '../shared/result.ts';
import type { DriverStatusStep, OrderService, PlaceOrderRequest, RestaurantAction } from './order-service.ts';

const id = z.string().regex(/^[A-Za-z0-9._~@-]{1,128}$/, 'must be an id of letters, digits and ._~@-');
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const isoTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date-time');

const placeOrderSchema = z
  .object({
    customerId: id,
    restaurantId: id,
    items: z
      .array(z.object({ itemId: id, quantity: z.number().int().min(1).max(50) }).strict())
      .min(1)
      .max(100),
    // Checked on its own below, so that a bad (or missing) address gets INVALID_ADDRESS rather than VALIDATION_FAILED.
    deliveryAddress: z.unknown().optional(),
    paymentMethod: z.enum(['CARD', 'CASH_ON_DELIVERY']),
    specialInstructions: z.string().max(500).optional(),
  })
  .strict();

const addressSchema = z
  .object({
    street: z.string().trim().min(1, 'Street is missing').max(200),
    city: z.string().trim().min(1, 'City is missing').max(100),
    state: z.string().trim().min(1, 'State is missing').max(100),
    zipCode: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/, 'Zip code is missing or malformed'),
    location: z
      .object({
        lat: z.number().min(-90).max(90),
        lng: z.number().min(-180).max(180),
      })
      .strict(),
  })
  .strict();

const cancelSchema = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

const restaurantActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('ACCEPT'), estimatedReadyTime: isoTime }).strict(),
  z.object({ action: z.literal('REJECT'), reason: z.string().trim().min(1).max(500) }).strict(),
  z.object({ action: z.literal('PREPARING') }).strict(),
  z.object({ action: z.literal('READY') }).strict(),
]);

const driverStepSchema = z
  .object({
    status: z.enum(['EN_ROUTE_TO_RESTAURANT', 'AT_RESTAURANT', 'PICKED_UP', 'EN_ROUTE_TO_CUSTOMER', 'AT_CUSTOMER', 'DELIVERED']),
    timestamp: isoTime,
  })
  .strict();

const listQuerySchema = z.object({ customerId: id.optional(), limit: z.coerce.number().int().min(1).max(50).default(20) }).strict();

/** CONTRACT.md "Orders": the REST face of the order service. */
export function orderRoutes(deps: { service: OrderService; verifier: Verifier }): Router {
  const router = Router();
  const auth = authenticate(deps.verifier);
  const { service } = deps;

  router.post('/v1/orders', auth, async (req, res) => {
    const key = req.get('Idempotency-Key');
    if (key === undefined) return sendError(res, appError('VALIDATION_FAILED', 'The Idempotency-Key header is required'));
    if (!uuid.safeParse(key).success) return sendError(res, appError('VALIDATION_FAILED', 'The Idempotency-Key header must be a UUID'));
    const body = placeOrderSchema.safeParse(req.body);
    if (!body.success) return sendError(res, fromZodError(body.error));
    if (body.data.deliveryAddress === undefined) return sendError(res, appError('INVALID_ADDRESS', 'The delivery address is missing'));
    const address = addressSchema.safeParse(body.data.deliveryAddress);
    if (!address.success) return sendError(res, appError('INVALID_ADDRESS', address.error.issues[0]?.message ?? 'The delivery address is malformed'));
    const request: PlaceOrderRequest = { ...body.data, deliveryAddress: address.data } as PlaceOrderRequest;
    const placed = await service.place(principal(res), key, request);
    if (!placed.ok) return sendError(res, placed.error);
    res.status(201).location(`/v1/orders/${placed.value.orderId}`).json(placed.value);
  });

  router.get('/v1/orders', auth, async (req, res) => {
    const query = listQuerySchema.safeParse(req.query);
    if (!query.success) return sendError(res, fromZodError(query.error));
    respond(res, await service.listForCustomer(principal(res), query.data.customerId, query.data.limit), (orders) => ({ orders }));
  });

  router.get('/v1/orders/:orderId', auth, async (req, res) => {
    const orderId = pathId(req, res, 'orderId');
    if (orderId) respond(res, await service.get(principal(res), orderId), (v) => v);
  });

  router.post('/v1/orders/:orderId/cancel', auth, async (req, res) => {
    const orderId = pathId(req, res, 'orderId');
    if (!orderId) return;
    const body = cancelSchema.safeParse(req.body);
    if (!body.success) return sendError(res, fromZodError(body.error));
    respond(res, await service.cancel(principal(res), orderId, body.data.reason), (v) => ({
      orderId: v.orderId,
      status: v.status,
      cancellation: v.cancellation,
      refund: v.refund,
    }));
  });

  router.get('/v1/orders/:orderId/events', auth, async (req, res) => {
    const orderId = pathId(req, res, 'orderId');
    if (orderId) respond(res, await service.events(principal(res), orderId), (events) => ({ orderId, events }));
  });

  router.post('/v1/restaurants/:restaurantId/orders/:orderId', auth, async (req, res) => {
    const restaurantId = pathId(req, res, 'restaurantId');
    const orderId = restaurantId && pathId(req, res, 'orderId');
    if (!restaurantId || !orderId) return;
    const body = restaurantActionSchema.safeParse(req.body);
    if (!body.success) return sendError(res, fromZodError(body.error));
    respond(res, await service.restaurantAction(principal(res), restaurantId, orderId, body.data as RestaurantAction), (v) => ({
      orderId: v.orderId,
      status: v.status,
      ...(body.data.action === 'ACCEPT' ? { acceptedAt: v.acceptedAt, estimatedReadyTime: v.estimatedReadyTime } : {}),
      ...(body.data.action === 'REJECT' ? { rejection: v.rejection } : {}),
    }));
  });

  router.patch('/v1/drivers/:driverId/orders/:orderId', auth, async (req, res) => {
    const driverId = pathId(req, res, 'driverId');
    const orderId = driverId && pathId(req, res, 'orderId');
    if (!driverId || !orderId) return;
    const body = driverStepSchema.safeParse(req.body);
    if (!body.success) return sendError(res, fromZodError(body.error));
    const stepped = await service.driverStep(principal(res), driverId, orderId, body.data.status as DriverStatusStep);
    if (!stepped.ok) return sendError(res, stepped.error);
    res.status(204).end();
  });

  return router;
}

function principal(res: Response) {
  const p = principalOf(res);
  if (!p) throw new Error('route reached without authentication');
  return p;
}

/** A path id, or a 404 already sent (an id that cannot exist names nothing). */
function pathId(req: Request, res: Response, name: string): string | null {
  const value = String(req.params[name] ?? '');
  if (id.safeParse(value).success) return value;
  sendError(res, appError('NOT_FOUND', `No such ${name.replace(/Id$/, '')}`));
  return null;
}

function respond<T>(res: Response, result: Result<T, AppError>, body: (value: T) => unknown): void {
  if (result.ok) res.json(body(result.value));
  else sendError(res, result.error);
}
