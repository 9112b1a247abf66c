import type { Ping } from '../dispatch/protocol.ts';
import type { DriverPosition } from './state.ts';

/** Limits on a ping's device time relative to the host clock. */
export interface PingLimits {
  /** A fix further in the future than this is refused (device clock wrong), ms. @default 30_000 */
  readonly maxFutureMs: number;
  /** A fix older than this is refused (queued offline for too long to mean anything), ms. @default 300_000 */
  readonly maxAgeMs: number;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks a ping from the app: the position it stands for, or the problem as a sentence the app can show.
 * NaN and infinities arrive as `null` through JSON and are refused like any other non-number.
 */
export function validatePing(ping: Ping, now: number, limits: PingLimits): { ok: true; position: DriverPosition } | { ok: false; detail: string } {
  const bad = (detail: string) => ({ ok: false as const, detail });
  const { lat, lng, heading, speedKph, at } = ping;
  if (!isFiniteNumber(lat) || lat < -90 || lat > 90) return bad('lat must be a number from -90 to 90');
  if (!isFiniteNumber(lng) || lng < -180 || lng > 180) return bad('lng must be a number from -180 to 180');
  // Heading and speed are optional; null (what NaN becomes in JSON) means the device does not know them.
  if (heading != null && (!isFiniteNumber(heading) || heading < 0 || heading > 360)) return bad('heading must be a number of degrees from 0 to 360');
  if (speedKph != null && (!isFiniteNumber(speedKph) || speedKph < 0 || speedKph > 400)) return bad('speedKph must be a number from 0 to 400');
  if (typeof at !== 'string' || !ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) return bad('at must be an ISO-8601 time with a zone, e.g. 2024-05-01T12:00:00Z');
  const atMs = Date.parse(at);
  if (atMs > now + limits.maxFutureMs) return bad(`at is ${Math.round((atMs - now) / 1000)} s in the future; at most ${limits.maxFutureMs / 1000} s is accepted`);
  if (atMs < now - limits.maxAgeMs) return bad(`at is ${Math.round((now - atMs) / 1000)} s old; pings older than ${limits.maxAgeMs / 1000} s are refused`);
  return {
    ok: true,
    position: {
      lat,
      lng,
      heading: isFiniteNumber(heading) ? heading % 360 : null,
      speedKph: isFiniteNumber(speedKph) ? speedKph : null,
      at: atMs,
    },
  };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
