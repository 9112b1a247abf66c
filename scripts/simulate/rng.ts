import { seededRandom } from '../../src/shared/seeded-random.ts';
/** A source of uniform numbers in [0, 1). Every random choice of the simulation goes through one, so a seed replays them. */
export type Rng = () => number;

export const seededRng: (seed: number) => Rng = seededRandom;

/** An integer in [min, max]. */
export const intBetween = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));

/** One element of a non-empty list. */
export function pick<T>(rng: Rng, list: readonly T[]): T {
  const value = list[Math.floor(rng() * list.length)];
  if (value === undefined) throw new RangeError('pick from an empty list');
  return value;
}
