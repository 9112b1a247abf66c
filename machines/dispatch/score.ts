import { bearingDegFrom, distanceKm, type GeoPoint } from './geo.ts';

/**
 * How a candidate driver is scored for one order: an estimated cost in seconds, lower is better.
 *
 *   score = ETA to the pickup                         distance / travel speed
 *         + loadWeightS × load                         fairness: spreads work over drivers
 *         + headingWeightS × (1 − cos θ) / 2           a moving driver heading away must turn around
 *
 * - ETA, not raw distance, so every term is in seconds and the weights read as "worth this many seconds".
 *   The travel speed is one assumed city speed: a driver's instantaneous speed (0 at a red light) predicts
 *   nothing about the trip.
 * - load: trips the driver accepted within the load window (with one order per driver, an AVAILABLE driver's
 *   current load is its recent workload). The weight shrinks as the order ages towards its SLA (`urgency`): a late
 *   order takes the fastest driver, fairness or not.
 * - θ: angle between the driver's heading and the bearing to the pickup, counted only for drivers moving at
 *   ≥ 5 km/h and more than 50 m away.
 *
 * Every term but the ETA is ≥ 0, so `etaSeconds(d)` is a lower bound of the score of any driver d km away: what
 * lets the ring-by-ring search stop early and still match a brute-force choice.
 */
export interface ScoreParams {
  /** Assumed travel speed to the pickup, km/h. */
  readonly speedKph: number;
  /** Seconds added per unit of load (already scaled by the order's urgency). */
  readonly loadWeightS: number;
  /** Seconds added for a driver moving straight away from the pickup. */
  readonly headingWeightS: number;
}

/** What the score needs to know of a driver. */
export interface ScoredDriver extends GeoPoint {
  readonly heading: number | null;
  readonly speedKph: number | null;
  readonly load: number;
}

/** Below this speed a heading means nothing (GPS jitter at a standstill), km/h. */
export const MOVING_KPH = 5;
/** Closer than this the heading does not matter, km. */
const HEADING_MIN_KM = 0.05;
const DEG = Math.PI / 180;

export function etaSeconds(distanceKm: number, speedKph: number): number {
  return (distanceKm / speedKph) * 3600;
}

/** The least score any driver `distanceKm` from the pickup can have. */
export function scoreLowerBound(distanceKm: number, params: ScoreParams): number {
  return etaSeconds(distanceKm, params.speedKph);
}

/** The score of a driver at a known distance from the pickup (the cell's inner loop computes the distance). */
export function scoreAt(pickup: GeoPoint, driver: ScoredDriver, distance: number, params: ScoreParams): number {
  return scoreOf(pickup, driver.lat, driver.lng, driver.heading ?? Number.NaN, driver.speedKph ?? 0, driver.load, distance, params);
}

/**
 * `scoreAt` on a driver's fields (heading NaN: none; speed 0: unknown): what a cell's index scores from its columns
 * without touching the driver's object. The one formula of the score.
 */
export function scoreOf(pickup: GeoPoint, lat: number, lng: number, heading: number, speedKph: number, load: number, distance: number, params: ScoreParams): number {
  let score = etaSeconds(distance, params.speedKph) + params.loadWeightS * load;
  if (params.headingWeightS > 0 && !Number.isNaN(heading) && speedKph >= MOVING_KPH && distance > HEADING_MIN_KM) {
    const theta = (bearingDegFrom(lat, lng, pickup) - heading) * DEG;
    score += (params.headingWeightS * (1 - Math.cos(theta))) / 2;
  }
  return score;
}

export function scoreDriver(pickup: GeoPoint, driver: ScoredDriver, params: ScoreParams): { distanceKm: number; score: number } {
  const d = distanceKm(pickup, driver);
  return { distanceKm: d, score: scoreAt(pickup, driver, d, params) };
}

/** Orders are ranked (score, then driver id): a total order, so every implementation picks the same driver. */
export function compareCandidates(a: { score: number; driverId: string }, b: { score: number; driverId: string }): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.driverId < b.driverId ? -1 : a.driverId > b.driverId ? 1 : 0;
}

/** Weights of the score, before the order's urgency is applied. */
export interface ScoreWeights {
  readonly travelSpeedKph: number;
  readonly loadWeightS: number;
  readonly headingWeightS: number;
  /** Age at which an order is fully urgent (load stops counting), ms. */
  readonly slaMs: number;
}

/** The score parameters for an order `ageMs` old: urgency = age / SLA (clamped to [0, 1]) fades the load term. */
export function scoreParamsFor(weights: ScoreWeights, ageMs: number): ScoreParams {
  const urgency = weights.slaMs <= 0 ? 1 : Math.min(1, Math.max(0, ageMs / weights.slaMs));
  return { speedKph: weights.travelSpeedKph, loadWeightS: weights.loadWeightS * (1 - urgency), headingWeightS: weights.headingWeightS };
}
