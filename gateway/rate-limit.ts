import type { Clock } from '../src/shared/clock.ts';

export interface RateLimit {
  /** Sustained events per second a socket may send. @default 20 */
  readonly eventsPerSecond: number;
  /** Events a socket may send at once before the sustained rate applies (the bucket's size). @default 40 */
  readonly burst: number;
}

export const defaultRateLimit: RateLimit = { eventsPerSecond: 20, burst: 40 };

/** One socket's token bucket: full at first, refilled continuously at `eventsPerSecond`, never above `burst`. */
export interface TokenBucket {
  /** Takes one token; false when the bucket is empty (the event is over the limit). */
  take(): boolean;
}

export function tokenBucket(limit: RateLimit, clock: Clock): TokenBucket {
  let tokens = limit.burst;
  let refilledAt = clock.now();
  return {
    take() {
      const now = clock.now();
      tokens = Math.min(limit.burst, tokens + ((now - refilledAt) / 1000) * limit.eventsPerSecond);
      refilledAt = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
