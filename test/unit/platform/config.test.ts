import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import type { Config } from '../../../src/config/config.ts';

function valid(env: Record<string, string | undefined>): Config {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.error}`);
  return result.value;
}

function invalid(env: Record<string, string | undefined>): string {
  const result = loadConfig(env);
  if (result.ok) throw new Error(`expected an invalid config, got: ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('loadConfig', () => {
  it('given an empty environment, when loaded, then every default applies', () => {
    expect(valid({})).toEqual({
      port: 3000,
      workers: 2,
      dataDir: '.data',
      redisUrl: undefined,
      databaseUrl: undefined,
      kafkaBrokers: [],
      namespace: 'fd',
      shardCount: 64,
      leaseTtlMs: 10_000,
      heartbeatMs: 1000,
      passivateAfterMs: 300_000,
      inboxReads: 'combined',
      reclaimAfterMs: 30_000,
      authDevTokens: true,
      authJwksUrl: undefined,
      authIssuer: 'food-delivery-embedded',
      authAudience: 'food-delivery',
      authAlgorithms: ['ES256'],
      logLevel: 'info',
      paymentSimDelayMs: 300,
      paymentSimDeclineRate: 0,
      paymentTimeoutMs: 30_000,
      dispatchRetryMs: 30_000,
      dispatchMaxAttempts: 3,
      dispatch: { maxRings: 4, k: 10, offerTimeoutMs: 15_000, maxOffers: 5, silenceMs: 30_000, cellDirectory: true },
      demoCity: false,
      gatewayAskTimeoutMs: 5_000,
      gatewayEventsPerSecond: 20,
      gatewayEventBurst: 40,
      gatewayMaxPayloadBytes: 16_384,
    });
  });

  it('given every variable set, when loaded, then each lands in its field', () => {
    const config = valid({
      PORT: '8080',
      WORKERS: '4',
      DATA_DIR: '/var/lib/fd',
      REDIS_URL: 'redis://10.0.0.1:6379',
      DATABASE_URL: 'postgresql://u:p@db:5432/fd',
      KAFKA_BROKERS: ' k1:9092 , k2:9092,',
      NAMESPACE: 'fd_test-1',
      SHARDS: '128',
      LEASE_TTL_MS: '15000',
      HEARTBEAT_MS: '2000',
      PASSIVATE_AFTER_MS: '60000',
      INBOX_READS: 'per-shard',
      RECLAIM_AFTER_MS: '45000',
      GATEWAY_ASK_TIMEOUT_MS: '8000',
      GATEWAY_EVENTS_PER_SEC: '5',
      GATEWAY_EVENT_BURST: '10',
      GATEWAY_MAX_PAYLOAD_BYTES: '4096',
      DISPATCH_MAX_RINGS: '6',
      DISPATCH_CANDIDATES_PER_CELL: '20',
      DISPATCH_OFFER_TIMEOUT_MS: '20000',
      DISPATCH_MAX_OFFERS: '8',
      DRIVER_SILENCE_MS: '45000',
      DISPATCH_CELL_DIRECTORY: '0',
      AUTH_DEV_TOKENS: 'true',
      AUTH_AUDIENCE: 'api',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      workers: 4,
      dataDir: '/var/lib/fd',
      redisUrl: 'redis://10.0.0.1:6379',
      databaseUrl: 'postgresql://u:p@db:5432/fd',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      namespace: 'fd_test-1',
      shardCount: 128,
      leaseTtlMs: 15_000,
      heartbeatMs: 2000,
      passivateAfterMs: 60_000,
      inboxReads: 'per-shard',
      reclaimAfterMs: 45_000,
      gatewayAskTimeoutMs: 8_000,
      gatewayEventsPerSecond: 5,
      gatewayEventBurst: 10,
      gatewayMaxPayloadBytes: 4_096,
      dispatch: { maxRings: 6, k: 20, offerTimeoutMs: 20_000, maxOffers: 8, silenceMs: 45_000, cellDirectory: false },
      authDevTokens: true,
      authAudience: 'api',
      logLevel: 'debug',
    });
  });

  it('given empty or blank values, when loaded, then they count as unset', () => {
    const config = valid({ PORT: '', REDIS_URL: '  ', KAFKA_BROKERS: '' });
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBeUndefined();
    expect(config.kafkaBrokers).toEqual([]);
  });

  it.each([
    ['PORT', 'http', 'PORT must be an integer from 0 to 65535 (got "http")'],
    ['PORT', '65536', 'PORT must be an integer from 0 to 65535 (got "65536")'],
    ['WORKERS', 'abc', 'WORKERS must be an integer from 1 to 64 (got "abc")'],
    ['WORKERS', '0', 'WORKERS must be an integer from 1 to 64 (got "0")'],
    ['WORKERS', '2.5', 'WORKERS must be an integer from 1 to 64 (got "2.5")'],
    ['REDIS_URL', 'localhost:6379', 'REDIS_URL must be a URL starting with redis:// or rediss://'],
    ['DATABASE_URL', 'mysql://db/fd', 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    ['KAFKA_BROKERS', 'k1:9092,k2', 'KAFKA_BROKERS must be a comma-separated list of host:port (got "k1:9092,k2")'],
    ['NAMESPACE', 'Food', 'NAMESPACE must be 1 to 32 characters of a-z, 0-9, _ and - (got "Food")'],
    ['NAMESPACE', 'a'.repeat(33), 'NAMESPACE must be 1 to 32 characters'],
    ['SHARDS', '4097', 'SHARDS must be an integer from 1 to 4096 (got "4097")'],
    ['LEASE_TTL_MS', '999', 'LEASE_TTL_MS must be an integer of at least 1000 (got "999")'],
    ['HEARTBEAT_MS', '-5', 'HEARTBEAT_MS must be an integer of at least 100 (got "-5")'],
    ['PASSIVATE_AFTER_MS', '1e6', 'PASSIVATE_AFTER_MS must be an integer of at least 1000 (got "1e6")'],
    ['INBOX_READS', 'cluster', 'INBOX_READS must be combined or per-shard'],
    ['RECLAIM_AFTER_MS', '10', 'RECLAIM_AFTER_MS must be an integer of at least 1000 (got "10")'],
    ['AUTH_DEV_TOKENS', 'yes', 'AUTH_DEV_TOKENS must be 1, 0, true or false (got "yes")'],
    ['AUTH_JWKS_URL', 'ftp://idp/jwks', 'AUTH_JWKS_URL must be a URL starting with https:// or http://'],
    ['AUTH_ALGORITHMS', 'ES256,HS256', 'AUTH_ALGORITHMS must be a comma-separated list of ES256'],
    ['DISPATCH_MAX_RINGS', '11', 'DISPATCH_MAX_RINGS must be an integer from 0 to 10 (got "11")'],
    ['DISPATCH_CANDIDATES_PER_CELL', '0', 'DISPATCH_CANDIDATES_PER_CELL must be an integer from 1 to 100 (got "0")'],
    ['DISPATCH_OFFER_TIMEOUT_MS', '500', 'DISPATCH_OFFER_TIMEOUT_MS must be an integer from 1000 to 600000 (got "500")'],
    ['DISPATCH_MAX_OFFERS', 'all', 'DISPATCH_MAX_OFFERS must be an integer from 1 to 100 (got "all")'],
    ['DRIVER_SILENCE_MS', '10000', 'DRIVER_SILENCE_MS must be above 10000 (how often a listed driver\'s cell is refreshed)'],
    ['DISPATCH_CELL_DIRECTORY', 'off', 'DISPATCH_CELL_DIRECTORY must be 1, 0, true or false (got "off")'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
  ])('given %s=%j, when loaded, then the error names it and what is expected', (name, value, expected) => {
    expect(invalid({ [name]: value })).toContain(expected);
  });

  it('given several bad variables, when loaded, then the error lists each on its own line', () => {
    const message = invalid({ WORKERS: 'many', PORT: '-1', LOG_LEVEL: 'loud' });
    const lines = message.split('\n');
    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines.filter((l) => l.startsWith('  - ')).map((l) => l.split(' ')[3])).toEqual(['PORT', 'WORKERS', 'LOG_LEVEL']);
  });

  it('given a gateway burst below its sustained rate, or a payload limit under 1 KiB, when loaded, then the variable is refused', () => {
    expect(invalid({ GATEWAY_EVENTS_PER_SEC: '50', GATEWAY_EVENT_BURST: '10' })).toContain('GATEWAY_EVENT_BURST must be at least GATEWAY_EVENTS_PER_SEC (50)');
    expect(invalid({ GATEWAY_MAX_PAYLOAD_BYTES: '100' })).toContain('GATEWAY_MAX_PAYLOAD_BYTES must be an integer from 1024 to 10485760');
  });

  it('given a heartbeat longer than a third of the lease, when loaded, then HEARTBEAT_MS is refused', () => {
    expect(invalid({ LEASE_TTL_MS: '3000', HEARTBEAT_MS: '1001' })).toContain('HEARTBEAT_MS must be at most a third of LEASE_TTL_MS');
    expect(valid({ LEASE_TTL_MS: '3000', HEARTBEAT_MS: '1000' }).heartbeatMs).toBe(1000);
  });

  describe('the dev-token default', () => {
    it.each([
      [{}, true],
      [{ REDIS_URL: 'redis://r:6379' }, false],
      [{ DATABASE_URL: 'postgres://p/fd' }, false],
      [{ REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://p/fd' }, false],
    ])('given %j, when AUTH_DEV_TOKENS is unset, then dev tokens are %s', (env, expected) => {
      expect(valid(env).authDevTokens).toBe(expected);
    });

    it('given external services, when AUTH_DEV_TOKENS=1, then dev tokens are on', () => {
      expect(valid({ REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://p/fd', AUTH_DEV_TOKENS: '1' }).authDevTokens).toBe(true);
    });

    it('given the embedded default, when AUTH_DEV_TOKENS=0, then dev tokens are off', () => {
      expect(valid({ AUTH_DEV_TOKENS: '0' }).authDevTokens).toBe(false);
    });

    it('given an external issuer, when AUTH_DEV_TOKENS is unset, then dev tokens are off', () => {
      expect(valid({ AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: 'https://idp.example/' }).authDevTokens).toBe(false);
    });
  });

  describe('an external issuer', () => {
    it('given AUTH_JWKS_URL without AUTH_ISSUER, when loaded, then AUTH_ISSUER is demanded', () => {
      expect(invalid({ AUTH_JWKS_URL: 'https://idp.example/jwks' })).toContain('AUTH_ISSUER must be set when AUTH_JWKS_URL is set');
    });

    it('given AUTH_JWKS_URL and AUTH_ISSUER, when loaded, then RS256 is expected from that issuer', () => {
      const config = valid({ AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: 'https://idp.example/' });
      expect(config).toMatchObject({
        authJwksUrl: 'https://idp.example/jwks',
        authIssuer: 'https://idp.example/',
        authAudience: 'food-delivery',
        authAlgorithms: ['RS256'],
      });
    });

    it('given AUTH_JWKS_URL and AUTH_DEV_TOKENS=1, when loaded, then the contradiction is refused', () => {
      const message = invalid({ AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: 'x', AUTH_DEV_TOKENS: '1' });
      expect(message).toContain('AUTH_DEV_TOKENS cannot be on with AUTH_JWKS_URL');
    });

    it('given the embedded issuer, when AUTH_ALGORITHMS lacks ES256, then it is refused', () => {
      expect(invalid({ AUTH_ALGORITHMS: 'RS256' })).toContain('AUTH_ALGORITHMS must include ES256');
    });
  });
});
