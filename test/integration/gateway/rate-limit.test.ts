import { describe, expect, it } from 'vitest';
import { tokenBucket } from '../../../gateway/rate-limit.ts';
import { manualClock } from '../../../src/shared/clock.ts';

describe('per-socket token bucket', () => {
  it('given a full bucket, when a burst arrives, then exactly `burst` events pass and the rest wait for the refill', () => {
    const clock = manualClock(1_000);
    const bucket = tokenBucket({ eventsPerSecond: 10, burst: 5 }, clock);
    const burst = Array.from({ length: 8 }, () => bucket.take());
    expect(burst).toEqual([true, true, true, true, true, false, false, false]);

    clock.advance(100); // one token at 10/s
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  });

  it('given a long idle time, when events arrive, then the bucket holds no more than `burst`', () => {
    const clock = manualClock(0);
    const bucket = tokenBucket({ eventsPerSecond: 10, burst: 3 }, clock);
    clock.advance(60_000);
    expect(Array.from({ length: 5 }, () => bucket.take())).toEqual([true, true, true, false, false]);
  });

  it('given a steady client within its rate, then it is never limited', () => {
    const clock = manualClock(0);
    const bucket = tokenBucket({ eventsPerSecond: 2, burst: 1 }, clock);
    for (let i = 0; i < 100; i++) {
      expect(bucket.take()).toBe(true);
      clock.advance(500);
    }
  });
});
