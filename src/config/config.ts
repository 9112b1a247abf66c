import { z } from 'zod';
import { DEFAULT_DISPATCH_SETTINGS, type DispatchSettings } from '../dispatch/config.ts';
import { logLevels } from '../observability/logger.ts';
import type { LogLevel } from '../observability/logger.ts';
import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';

/** JWS algorithms a JWKS (public keys) can verify; shared-secret HS* algorithms are deliberately absent. */
export const jwksAlgorithms = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'] as const;
export type JwksAlgorithm = (typeof jwksAlgorithms)[number];

/** Everything a process reads from its environment, validated once at start-up (CONTRACT.md "Running it"). */
export interface Config {
  /** HTTP port of the API/gateway; 0 lets the OS choose (tests). Default 3000. */
  port: number;
  /** Worker processes started by `npm start`. Default 2. */
  workers: number;
  /** Folder of the embedded Postgres, Redis and signing key, relative to the working directory. Default `.data`. */
  dataDir: string;
  /** External Redis; unset = start an embedded `redis-server`. */
  redisUrl?: string;
  /** External Postgres; unset = start an embedded Postgres. */
  databaseUrl?: string;
  /** `host:port` entries; empty = no Kafka (the outbox keeps its rows). */
  kafkaBrokers: string[];
  /** Prefix of every Redis key and consumer group. Default `fd`. */
  namespace: string;
  /** Virtual shards S, fixed for the life of a deployment. Default 64. */
  shardCount: number;
  /** Shard lease time to live, ms. Default 10 000. */
  leaseTtlMs: number;
  /** Worker heartbeat and lease renewal interval, ms; at most a third of the lease TTL. Default 1000. */
  heartbeatMs: number;
  /** An idle actor is passivated (persisted and dropped from memory) after this many ms. Default 300 000. */
  passivateAfterMs: number;
  /**
   * How a worker reads its shards' inboxes: `combined`, one blocking XREADGROUP over all of them (one Redis node);
   * `per-shard`, one reader per shard (Redis Cluster, where each shard's keys have a slot of their own). Default combined.
   */
  inboxReads: 'combined' | 'per-shard';
  /** Inbox entries pending this long under any consumer are claimed again by the shard's owner, ms. Default 30 000. */
  reclaimAfterMs: number;
  /** Whether `POST /v1/auth/dev-tokens` mints tokens. Default on only in the fully embedded setup. */
  authDevTokens: boolean;
  /** JWKS of an external issuer; unset = the system is its own issuer. */
  authJwksUrl?: string;
  /** Expected `iss`. Default `food-delivery-embedded` (own issuer); required with AUTH_JWKS_URL. */
  authIssuer: string;
  /** Expected `aud`. Default `food-delivery`. */
  authAudience: string;
  /** Accepted JWS algorithms. Default ES256 for the own issuer, RS256 for an external one. */
  authAlgorithms: JwksAlgorithm[];
  logLevel: LogLevel;
  /** The simulated card provider (until a real one is wired): answer delay, ms. Default 300. */
  paymentSimDelayMs: number;
  /** The simulated card provider: share of authorisations declined, 0–1. Default 0. */
  paymentSimDeclineRate: number;
  /** An order whose card is not authorised within this long is cancelled, ms. Default 30 000. */
  paymentTimeoutMs: number;
  /** After a failed driver search the order searches again this much later, ms. Default 30 000. */
  dispatchRetryMs: number;
  /** Driver searches per order before it is escalated to ops. Default 3. */
  dispatchMaxAttempts: number;
  /**
   * The dispatch knobs an operator tunes (the rest keep DEFAULT_DISPATCH_SETTINGS): search radius in H3 rings
   * (`DISPATCH_MAX_RINGS`, 4), candidates per cell (`DISPATCH_CANDIDATES_PER_CELL`, 10), the driver's time to
   * accept (`DISPATCH_OFFER_TIMEOUT_MS`, 15 000), offers per search (`DISPATCH_MAX_OFFERS`, 5) and how long a driver
   * without a ping stays matchable (`DRIVER_SILENCE_MS`, 30 000), and whether searches use the zones' directory of
   * occupied cells (`DISPATCH_CELL_DIRECTORY`, on).
   */
  dispatch: Pick<DispatchSettings, 'maxRings' | 'k' | 'offerTimeoutMs' | 'maxOffers' | 'silenceMs' | 'cellDirectory'>;
  /** `npm start` also runs a small simulated city (drivers, customers, restaurants) against itself. Default off. */
  demoCity: boolean;
  /** Gateway: how long a socket event waits for the actor's answer before its ack is TIMEOUT, ms. Default 5 000. */
  gatewayAskTimeoutMs: number;
  /** Gateway: sustained events per second one socket may send (token bucket). Default 20. */
  gatewayEventsPerSecond: number;
  /** Gateway: events one socket may send at once before the sustained rate applies. Default 40. */
  gatewayEventBurst: number;
  /** Gateway: largest inbound socket message, bytes; a bigger one closes that connection. Default 16 384. */
  gatewayMaxPayloadBytes: number;
}

export const embeddedIssuer = 'food-delivery-embedded';

/**
 * Each variable's rule. The `error` text is the "what is expected" half of the message; the variable name and
 * the offending value are added when the message is formatted.
 */
function integer(min: number, max?: number) {
  const expected = max === undefined ? `must be an integer of at least ${min}` : `must be an integer from ${min} to ${max}`;
  const bounded = z.number().int({ error: expected }).min(min, { error: expected });
  return z
    .string()
    .regex(/^\d+$/, { error: expected })
    .transform(Number)
    .pipe(max === undefined ? bounded : bounded.max(max, { error: expected }));
}

function url(protocols: readonly string[], example: string) {
  const expected = `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}, e.g. ${example}`;
  return z.string().refine(
    (raw) => {
      if (!URL.canParse(raw)) return false;
      const parsed = new URL(raw);
      return protocols.includes(parsed.protocol) && parsed.hostname !== '';
    },
    { error: expected },
  );
}

const fraction = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { error: 'must be a number from 0 to 1, e.g. 0.05' })
  .transform(Number);

const boolean = z
  .enum(['1', '0', 'true', 'false'], { error: 'must be 1, 0, true or false' })
  .transform((raw) => raw === '1' || raw === 'true');

/** Comma-separated; blanks around items and empty items are ignored. `item` carries its own error text. */
function list<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .string()
    .transform((raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .pipe(z.array(item));
}

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: 'must be a comma-separated list of host:port' });

const envSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  WORKERS: integer(1, 64).default(2),
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://user:pass@127.0.0.1:5432/food_delivery').optional(),
  KAFKA_BROKERS: list(hostPort).default([]),
  NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, { error: 'must be 1 to 32 characters of a-z, 0-9, _ and -' })
    .default('fd'),
  SHARDS: integer(1, 4096).default(64),
  LEASE_TTL_MS: integer(1000).default(10_000),
  HEARTBEAT_MS: integer(100).default(1000),
  PASSIVATE_AFTER_MS: integer(1000).default(300_000),
  INBOX_READS: z.enum(['combined', 'per-shard'], { error: 'must be combined or per-shard' }).default('combined'),
  RECLAIM_AFTER_MS: integer(1000).default(30_000),
  AUTH_DEV_TOKENS: boolean.optional(),
  AUTH_JWKS_URL: url(['https:', 'http:'], 'https://issuer.example.com/.well-known/jwks.json').optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().default('food-delivery'),
  AUTH_ALGORITHMS: list(z.enum(jwksAlgorithms, { error: `must be a comma-separated list of ${jwksAlgorithms.join(', ')}` })).optional(),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('info'),
  PAYMENT_SIM_DELAY_MS: integer(0, 600_000).default(300),
  PAYMENT_SIM_DECLINE_RATE: fraction.default(0),
  PAYMENT_TIMEOUT_MS: integer(1000).default(30_000),
  DISPATCH_RETRY_MS: integer(100).default(30_000),
  DISPATCH_MAX_ATTEMPTS: integer(1, 100).default(3),
  DISPATCH_MAX_RINGS: integer(0, 10).default(DEFAULT_DISPATCH_SETTINGS.maxRings),
  DISPATCH_CANDIDATES_PER_CELL: integer(1, 100).default(DEFAULT_DISPATCH_SETTINGS.k),
  DISPATCH_OFFER_TIMEOUT_MS: integer(1_000, 600_000).default(DEFAULT_DISPATCH_SETTINGS.offerTimeoutMs),
  DISPATCH_MAX_OFFERS: integer(1, 100).default(DEFAULT_DISPATCH_SETTINGS.maxOffers),
  DRIVER_SILENCE_MS: integer(1_000, 3_600_000).default(DEFAULT_DISPATCH_SETTINGS.silenceMs),
  DISPATCH_CELL_DIRECTORY: boolean.default(DEFAULT_DISPATCH_SETTINGS.cellDirectory),
  DEMO_CITY: boolean.default(false),
  GATEWAY_ASK_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  GATEWAY_EVENTS_PER_SEC: integer(1, 100_000).default(20),
  GATEWAY_EVENT_BURST: integer(1, 100_000).default(40),
  GATEWAY_MAX_PAYLOAD_BYTES: integer(1_024, 10_485_760).default(16_384),
});

type Env = z.output<typeof envSchema>;

/** Rules that involve more than one variable; each names the variable to blame. */
function crossChecks(env: Env): Array<{ name: string; message: string }> {
  const problems: Array<{ name: string; message: string }> = [];
  if (env.AUTH_JWKS_URL !== undefined && env.AUTH_ISSUER === undefined) {
    problems.push({ name: 'AUTH_ISSUER', message: 'must be set when AUTH_JWKS_URL is set (the expected "iss" of the external issuer)' });
  }
  if (env.AUTH_JWKS_URL !== undefined && env.AUTH_DEV_TOKENS === true) {
    problems.push({ name: 'AUTH_DEV_TOKENS', message: 'cannot be on with AUTH_JWKS_URL (dev tokens are signed by the embedded issuer)' });
  }
  if (env.AUTH_JWKS_URL === undefined && env.AUTH_ALGORITHMS !== undefined && !env.AUTH_ALGORITHMS.includes('ES256')) {
    problems.push({ name: 'AUTH_ALGORITHMS', message: 'must include ES256 when the system is its own issuer (no AUTH_JWKS_URL)' });
  }
  if (env.GATEWAY_EVENT_BURST < env.GATEWAY_EVENTS_PER_SEC) {
    problems.push({ name: 'GATEWAY_EVENT_BURST', message: `must be at least GATEWAY_EVENTS_PER_SEC (${env.GATEWAY_EVENTS_PER_SEC}): a socket must be able to send a second's worth at once` });
  }
  if (env.DRIVER_SILENCE_MS <= DEFAULT_DISPATCH_SETTINGS.cellRefreshMs) {
    problems.push({
      name: 'DRIVER_SILENCE_MS',
      message: `must be above ${DEFAULT_DISPATCH_SETTINGS.cellRefreshMs} (how often a listed driver's cell is refreshed), or listed drivers would fall silent`,
    });
  }
  if (env.HEARTBEAT_MS * 3 > env.LEASE_TTL_MS) {
    problems.push({ name: 'HEARTBEAT_MS', message: `must be at most a third of LEASE_TTL_MS (${env.LEASE_TTL_MS}) so a lease is renewed well before it expires` });
  }
  return problems;
}

function describe(name: string, message: string, raw: string | undefined): string {
  return raw === undefined ? `${name} ${message}` : `${name} ${message} (got ${JSON.stringify(raw)})`;
}

/**
 * Reads the configuration from environment variables (pass `process.env`). Empty values count as unset.
 * On failure the error is a message for humans listing every bad variable, one per line.
 */
export function loadConfig(env: Record<string, string | undefined>): Result<Config, string> {
  const present: Record<string, string> = {};
  for (const name of Object.keys(envSchema.shape)) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') present[name] = raw.trim();
  }

  const parsed = envSchema.safeParse(present);
  const problems = new Map<string, string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (!problems.has(name)) problems.set(name, describe(name, issue.message, present[name]));
    }
  } else {
    for (const { name, message } of crossChecks(parsed.data)) {
      if (!problems.has(name)) problems.set(name, describe(name, message, present[name]));
    }
  }
  if (!parsed.success || problems.size > 0) {
    return err(`Invalid configuration:\n${[...problems.values()].map((p) => `  - ${p}`).join('\n')}`);
  }

  const e = parsed.data;
  const external = e.AUTH_JWKS_URL !== undefined;
  return ok({
    port: e.PORT,
    workers: e.WORKERS,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    kafkaBrokers: e.KAFKA_BROKERS,
    namespace: e.NAMESPACE,
    shardCount: e.SHARDS,
    leaseTtlMs: e.LEASE_TTL_MS,
    heartbeatMs: e.HEARTBEAT_MS,
    passivateAfterMs: e.PASSIVATE_AFTER_MS,
    inboxReads: e.INBOX_READS,
    reclaimAfterMs: e.RECLAIM_AFTER_MS,
    // Dev tokens are a convenience of the all-embedded setup; anything pointing at real infrastructure opts in.
    authDevTokens: e.AUTH_DEV_TOKENS ?? (e.REDIS_URL === undefined && e.DATABASE_URL === undefined && !external),
    authJwksUrl: e.AUTH_JWKS_URL,
    authIssuer: e.AUTH_ISSUER ?? embeddedIssuer,
    authAudience: e.AUTH_AUDIENCE,
    authAlgorithms: e.AUTH_ALGORITHMS ?? (external ? ['RS256'] : ['ES256']),
    logLevel: e.LOG_LEVEL,
    paymentSimDelayMs: e.PAYMENT_SIM_DELAY_MS,
    paymentSimDeclineRate: e.PAYMENT_SIM_DECLINE_RATE,
    paymentTimeoutMs: e.PAYMENT_TIMEOUT_MS,
    dispatchRetryMs: e.DISPATCH_RETRY_MS,
    dispatchMaxAttempts: e.DISPATCH_MAX_ATTEMPTS,
    dispatch: {
      maxRings: e.DISPATCH_MAX_RINGS,
      k: e.DISPATCH_CANDIDATES_PER_CELL,
      offerTimeoutMs: e.DISPATCH_OFFER_TIMEOUT_MS,
      maxOffers: e.DISPATCH_MAX_OFFERS,
      silenceMs: e.DRIVER_SILENCE_MS,
      cellDirectory: e.DISPATCH_CELL_DIRECTORY,
    },
    demoCity: e.DEMO_CITY,
    gatewayAskTimeoutMs: e.GATEWAY_ASK_TIMEOUT_MS,
    gatewayEventsPerSecond: e.GATEWAY_EVENTS_PER_SEC,
    gatewayEventBurst: e.GATEWAY_EVENT_BURST,
    gatewayMaxPayloadBytes: e.GATEWAY_MAX_PAYLOAD_BYTES,
  });
}
