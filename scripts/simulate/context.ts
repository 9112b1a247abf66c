// What every simulated app of one process shares.
import { setTimeout as delay } from 'node:timers/promises';
import type { HttpClient } from './http.ts';
import type { SimOptions } from './options.ts';
import type { Rng } from './rng.ts';
import type { StatsRecorder } from './stats.ts';
import { TokenError, type Identity, type TokenSource } from './tokens.ts';

export interface SimContext {
  readonly options: SimOptions;
  readonly http: HttpClient;
  readonly tokens: TokenSource;
  readonly stats: StatsRecorder;
  readonly rng: Rng;
  /** True once the run is finishing: connections dropped and work cut short from then on are not errors. */
  readonly stopping: boolean;
  /** Aborted when the run is finishing. */
  readonly signal: AbortSignal;
}

/** A token for `who`, or null with the failure counted as an error (first connections and renewals alike). */
export async function tokenFor(ctx: SimContext, who: Identity): Promise<string | null> {
  try {
    return await ctx.tokens.token(who);
  } catch (e) {
    ctx.stats.error(e instanceof TokenError ? e.code : 'TOKEN_FAILED', 'token', (e as Error).message);
    return null;
  }
}

/** Waits `ms`; false when `signal` aborted first (no throw: stopping is not an error). */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
