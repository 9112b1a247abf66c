import { z } from 'zod';
import type { CellMessage, CurrentWork, DispatchMessage, DriverMessage, ZoneMessage } from '../../machines/dispatch/protocol.ts';
import { err, ok, type Result } from '../shared/result.ts';

/**
 * Shapes of every message the dispatch kinds accept (machines/dispatch/protocol.ts says what they mean). A body
 * that fails its schema is dead-lettered by the host. Messages from the driver app are the exception by design:
 * the ping's fields are checked by the driver's decider instead, so that a bad ping is answered with
 * VALIDATION_FAILED (and changes nothing) rather than parked where the app never hears of it.
 */
/** Ids end up in actor addresses (`driver:<id>`, `dispatch:<orderId>`, `cell:<h3>`): the address alphabet. */
const id = z.string().regex(/^[A-Za-z0-9._~@-]{1,128}$/, { error: 'must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ @ -' });
const point = z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });
const ms = z.number().int().nonnegative();
const count = z.number().int().nonnegative();
const nullableNumber = z.number().nullable();

const scoreParams = z.object({ speedKph: z.number().positive(), loadWeightS: z.number().nonnegative(), headingWeightS: z.number().nonnegative() });

const candidate = z.object({
  driverId: id,
  cell: id,
  lat: z.number(),
  lng: z.number(),
  distanceKm: z.number().nonnegative(),
  score: z.number(),
  load: count,
  version: ms,
});

const offerDetails = {
  offerId: id,
  orderId: id,
  restaurant: z.object({ restaurantId: id, location: point }),
  dropoff: z.object({ location: point }),
};

const releaseReason = z.enum(['declined', 'expired', 'withdrawn', 'lapsed', 'offline']);

export const driverMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('SetStatus'), status: z.enum(['ONLINE', 'OFFLINE']) }),
  z.object({ type: z.literal('Ping'), lat: z.unknown().optional(), lng: z.unknown().optional(), heading: z.unknown().optional(), speedKph: z.unknown().optional(), at: z.unknown().optional() }),
  z.object({ type: z.literal('AcceptOffer'), offerId: id }),
  z.object({ type: z.literal('DeclineOffer'), offerId: id }),
  z.object({ type: z.literal('GetCurrentWork') }),
  z.object({ type: z.literal('TripEnded'), orderId: id }),
  z.object({ type: z.literal('ReserveDriver'), ...offerDetails, offerTimeoutMs: z.number().int().positive(), cell: id.nullable() }),
  z.object({ type: z.literal('WithdrawOffer'), offerId: id, orderId: id, reason: z.enum(['timeout', 'cancelled', 'superseded']) }),
]);

const currentWork = z.object({
  offer: z.object({ ...offerDetails, expiresAt: z.string().min(1).max(64) }).nullable(),
  trip: z.object(offerDetails).nullable(),
});

/**
 * The driver's answer to GetCurrentWork as its asker (the gateway) reads it: it crosses processes, so it is checked,
 * and fields beyond the `offer` / `assignment` payloads are dropped before anything reaches a socket.
 */
export const currentWorkReplySchema = currentWork.extend({ ok: z.literal(true) });

export const cellMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('DriverEntered'),
    driverId: id,
    version: ms,
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    heading: nullableNumber,
    speedKph: nullableNumber,
    load: count,
    seenAt: ms,
  }),
  z.object({ type: z.literal('DriverLeft'), driverId: id, version: ms }),
  z.object({ type: z.literal('FindCandidates'), queryId: id, pickup: point, k: z.number().int().min(0).max(1_000), exclude: z.array(id).max(10_000), score: scoreParams }),
]);

export const zoneMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CellOccupancy'), cell: id, occupied: z.boolean() }),
  z.object({ type: z.literal('FindOccupiedCells'), queryId: id }),
]);

export const dispatchMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('FindDriver'),
    orderId: id,
    restaurantId: id,
    attempt: z.number().int().positive(),
    pickup: point,
    dropoff: point,
    requestedAt: z.string().min(1).max(64),
  }),
  z.object({ type: z.literal('CancelSearch'), orderId: id }),
  z.object({ type: z.literal('Candidates'), queryId: id, cell: id, candidates: z.array(candidate).max(1_000), truncated: z.boolean() }),
  z.object({ type: z.literal('OccupiedCells'), queryId: id, zone: id, cells: z.array(id).max(10_000) }),
  z.object({ type: z.literal('DriverReserved'), offerId: id, driverId: id, expiresAt: ms }),
  z.object({ type: z.literal('DriverRefused'), offerId: id, driverId: id, reason: z.string().max(1_000) }),
  z.object({ type: z.literal('OfferAccepted'), offerId: id, driverId: id }),
  z.object({ type: z.literal('OfferReleased'), offerId: id, driverId: id, reason: releaseReason }),
  z.object({ type: z.literal('OfferTimedOut'), offerId: id }),
  z.object({ type: z.literal('SearchWatchdog'), watchId: z.string().min(1).max(256) }),
]);

// The schemas must accept exactly the protocol's types: these fail to compile when the two drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _driverShapes: Same<z.output<typeof driverMessageSchema>, Mutable<DriverMessage>> = true;
const _cellShapes: Same<z.output<typeof cellMessageSchema>, Mutable<CellMessage>> = true;
const _zoneShapes: Same<z.output<typeof zoneMessageSchema>, Mutable<ZoneMessage>> = true;
const _dispatchShapes: Same<z.output<typeof dispatchMessageSchema>, Mutable<DispatchMessage>> = true;
const _currentWorkShapes: Same<z.output<typeof currentWork>, Mutable<CurrentWork>> = true;
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;

/** A zod schema as a behaviour's `parse`: the first issue, with its path, is the dead letter's reason. */
export function parserOf<T>(schema: z.ZodType<T>): (body: unknown) => Result<T, string> {
  return (body) => {
    const parsed = schema.safeParse(body);
    if (parsed.success) return ok(parsed.data);
    const issue = parsed.error.issues[0];
    return err(issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid');
  };
}
