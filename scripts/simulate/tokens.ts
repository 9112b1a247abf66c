// Where the simulator's tokens come from: the system's dev-token endpoint (the embedded default and tests), or a shell
// command that asks a real issuer (any deployment). Either way one token per identity, fetched once.
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { HttpClient } from './http.ts';
import { isTransient } from './wire.ts';

export type SimRole = 'admin' | 'driver' | 'customer' | 'restaurant';

export interface Identity {
  readonly role: SimRole;
  readonly driverId?: string;
  readonly customerId?: string;
  readonly restaurantId?: string;
}

export class TokenError extends Error {
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'TokenError';
  }
}

export interface TokenSource {
  /** A token for `who`; rejects with a TokenError. */
  token(who: Identity): Promise<string>;
}

/** `POST /v1/auth/dev-tokens` (CONTRACT.md "Auth"). */
export function devTokens(http: HttpClient): TokenSource {
  return {
    async token(who) {
      const res = await http.request('POST', '/v1/auth/dev-tokens', { body: who });
      if (!res.ok) {
        const hint = res.status === 404 ? ' (dev tokens are off there: pass --token-command)' : '';
        throw new TokenError(res.code, `dev token for ${describe(who)}: ${res.detail}${hint}`);
      }
      const token = (res.body as { token?: unknown } | null)?.token;
      if (typeof token !== 'string' || token === '') throw new TokenError('MALFORMED_TOKEN', 'the dev-token endpoint answered without a token');
      return token;
    },
  };
}

/**
 * A shell command that prints a token on stdout, told who by environment: SIM_ROLE, SIM_SUB and, as applicable,
 * SIM_DRIVER_ID, SIM_CUSTOMER_ID, SIM_RESTAURANT_ID. At most `concurrency` run at once.
 */
export function commandTokens(command: string, { concurrency = 8, timeoutMs = 30_000 } = {}): TokenSource {
  let running = 0;
  const queue: Array<() => void> = [];
  const slot = async () => {
    if (running >= concurrency) await new Promise<void>((resolve) => queue.push(resolve));
    else running += 1;
  };
  const free = () => {
    const next = queue.shift();
    if (next) next();
    else running -= 1;
  };
  return {
    async token(who) {
      await slot();
      try {
        const env = {
          ...process.env,
          SIM_ROLE: who.role,
          SIM_SUB: who.driverId ?? who.customerId ?? who.restaurantId ?? `sim-${who.role}`,
          SIM_DRIVER_ID: who.driverId ?? '',
          SIM_CUSTOMER_ID: who.customerId ?? '',
          SIM_RESTAURANT_ID: who.restaurantId ?? '',
        };
        const out = await new Promise<string>((resolve, reject) => {
          execFile('/bin/sh', ['-c', command], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
            if (error) reject(new TokenError('TOKEN_COMMAND_FAILED', `--token-command for ${describe(who)}: ${(stderr || error.message).trim().slice(0, 300)}`));
            else resolve(stdout);
          });
        });
        const token = out.trim().split('\n').at(-1)?.trim() ?? '';
        if (token === '') throw new TokenError('TOKEN_COMMAND_FAILED', `--token-command printed no token for ${describe(who)}`);
        return token;
      } finally {
        free();
      }
    },
  };
}

/** Tries again, a moment later, when getting a token failed for a transient reason (the issuer busy or restarting). */
export function retrying(source: TokenSource, attempts = 4, backoffMs = 500): TokenSource {
  return {
    async token(who) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await source.token(who);
        } catch (e) {
          if (!(e instanceof TokenError) || !isTransient(e.code) || attempt >= attempts) throw e;
          await delay(backoffMs * attempt);
        }
      }
    },
  };
}

const describe = (who: Identity) => [who.role, who.driverId ?? who.customerId ?? who.restaurantId].filter(Boolean).join(' ');
