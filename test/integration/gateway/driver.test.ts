import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actorAddress, allShards } from '../../../actors/address.ts';
import { createActorClient, type ActorClient } from '../../../actors/client.ts';
import { runtimeKeys } from '../../../actors/keys.ts';
import { leaseOwners } from '../../../actors/lease.ts';
import { redisWorkerRegistry } from '../../../actors/registry.ts';
import { attachGateway, type DriverPing, type Gateway } from '../../../gateway/server.ts';
import { createIssuer, type Issuer } from '../../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../../src/auth/keys.ts';
import { createVerifier } from '../../../src/auth/verifier.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { forkWorker, type ForkedWorker } from '../../../src/processes/fork.ts';
import { systemClock } from '../../../src/shared/clock.ts';
import { TEST_REDIS_URL, testCluster, waitFor } from '../../support/cluster.ts';
import { TEST_DATABASE_ADMIN_URL } from '../../support/database.ts';
import { ask, closeAll, codeOf, connect, nextEvent, randomId } from './harness.ts';

const SHARDS = 8;
const stubWorkerEntry = fileURLToPath(new URL('./stub-driver-worker.ts', import.meta.url));

/**
 * A gateway in this process on a namespace whose workers the test chose, with the deps the tests look into: the
 * actor client and the onPingAccepted hook.
 */
async function gatewayOn(namespace: string, onPingAccepted?: (driverId: string, ping: DriverPing) => void) {
  const dataDir = await mkdtemp(join(tmpdir(), 'fd-gw-driver-'));
  const issuer: Issuer = createIssuer({ key: await loadOrCreateSigningKey(dataDir), issuer: 'food-delivery-embedded', audience: 'food-delivery', clock: systemClock });
  const verifier = createVerifier({ jwks: issuer.jwks(), issuer: issuer.issuer, audience: issuer.audience, clock: systemClock });
  const keys = runtimeKeys(namespace);
  const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
  const actors: ActorClient = createActorClient({ redis, keys, shardCount: SHARDS, clock: systemClock });
  const server = createServer();
  const gateway: Gateway = attachGateway(server, {
    redisUrl: TEST_REDIS_URL,
    // Driver events never read orders: the pool stays unconnected.
    databaseUrl: TEST_DATABASE_ADMIN_URL,
    namespace,
    verifier,
    workers: redisWorkerRegistry(redis, keys, systemClock, 3_000),
    actors,
    shardCount: SHARDS,
    log: createLogger({ name: 'gateway-test', level: 'silent' }),
    askTimeoutMs: 3_000,
    ...(onPingAccepted ? { onPingAccepted } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    actors,
    keys,
    redis,
    driverToken: (driverId: string) => issuer.mint({ sub: driverId, role: 'driver', driverId }),
    async stop() {
      await gateway.close();
      server.closeAllConnections();
      await actors.close();
      redis.disconnect();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const ping = (over: Partial<DriverPing> = {}): DriverPing => ({ lat: 37.7749, lng: -122.4194, heading: 90, speedKph: 32.5, at: new Date().toISOString(), ...over });

describe('gateway /driver against a driver actor', () => {
  const namespace = `t-${randomUUID().slice(0, 8)}`;
  let worker: ForkedWorker;
  let gw: Awaited<ReturnType<typeof gatewayOn>>;
  const accepted: Array<{ driverId: string; ping: DriverPing }> = [];

  beforeAll(async () => {
    worker = await forkWorker(stubWorkerEntry, {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      NAMESPACE: namespace,
      SHARDS: String(SHARDS),
      LEASE_TTL_MS: '3000',
      HEARTBEAT_MS: '250',
      LOG_LEVEL: 'warn',
    });
    gw = await gatewayOn(namespace, (driverId, p) => accepted.push({ driverId, ping: p }));
    await waitFor(async () => (await leaseOwners(gw.redis, gw.keys, allShards(SHARDS))).every((o) => o !== null), 20_000, 'every shard to be owned');
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.exited;
    if (gw) {
      const found = await gw.redis.keys(gw.keys.pattern());
      if (found.length > 0) await gw.redis.del(...found);
      await gw.stop();
    }
  });

  it('given an online driver, when it sends a location, then the ack comes once its actor applied the ping, and the hook sees it', async () => {
    const driverId = randomId('DRV');
    const socket = await connect(gw.url, '/driver', await gw.driverToken(driverId));
    expect(await ask(socket, 'driver:status', { status: 'ONLINE' })).toEqual({ ok: true, status: 'ONLINE' });

    const fix = ping();
    expect(await ask(socket, 'driver:location', fix)).toEqual({ ok: true, pings: 1 });
    const inspected = await gw.actors.inspect(actorAddress('driver', driverId));
    expect(inspected).toMatchObject({ ok: true, value: { state: 'ONLINE', context: { pings: 1, last: fix } } });
    expect(accepted.filter((a) => a.driverId === driverId)).toEqual([{ driverId, ping: fix }]);
  });

  it('given an offline driver, when it sends a location, then the actor’s refusal is the error ack and the hook is not called', async () => {
    const driverId = randomId('DRV');
    const socket = await connect(gw.url, '/driver', await gw.driverToken(driverId));
    expect(await ask(socket, 'driver:location', ping())).toEqual({
      errors: [{ status: '409', code: 'INVALID_TRANSITION', detail: 'Go online before sending locations' }],
    });
    expect(accepted.filter((a) => a.driverId === driverId)).toEqual([]);
  });

  it('given malformed locations and statuses, when sent, then VALIDATION_FAILED and the actor never hears of them', async () => {
    const driverId = randomId('DRV');
    const socket = await connect(gw.url, '/driver', await gw.driverToken(driverId));
    await ask(socket, 'driver:status', { status: 'ONLINE' });
    const bad: unknown[] = [
      ping({ lat: 91 }),
      ping({ lng: -181 }),
      ping({ heading: 361 }),
      { ...ping(), at: '2024-05-01T12:00:00' },
      ping({ speedKph: -1 }),
      { ...ping(), at: 'yesterday' },
      { lat: 1, lng: 2 },
      { ...ping(), driverId: 'DRV-someone-else' },
      { lat: '37.7', lng: -122.4, at: new Date().toISOString() },
    ];
    for (const payload of bad) expect(codeOf(await ask(socket, 'driver:location', payload)), JSON.stringify(payload)).toBe('VALIDATION_FAILED');
    expect(codeOf(await ask(socket, 'driver:status', { status: 'BUSY' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(await ask(socket, 'offer:accept', { offerId: '' }))).toBe('VALIDATION_FAILED');

    const inspected = await gw.actors.inspect(actorAddress('driver', driverId));
    expect(inspected).toMatchObject({ ok: true, value: { context: { pings: 0 } } });
    expect(socket.connected).toBe(true);
  });

  it('given an offer pushed to the driver’s room from another process, when the driver accepts or declines, then the actor’s answers are the acks', async () => {
    const driverId = randomId('DRV');
    const socket = await connect(gw.url, '/driver', await gw.driverToken(driverId));
    const offered = nextEvent<{ offerId: string }>(socket, 'offer');
    // What dispatch does from a worker: a push through the Redis emitter to room driver:<id>.
    const publisher = gw.redis.duplicate();
    new Emitter(publisher, { key: gw.keys.socketIoPrefix() }).of('/driver').to(`driver:${driverId}`).emit('offer', { offerId: 'OFR-OK-1', orderId: 'ORD-offered' });
    expect((await offered).offerId).toBe('OFR-OK-1');
    publisher.disconnect();

    expect(await ask(socket, 'offer:accept', { offerId: 'OFR-OK-1' })).toEqual({ ok: true, offerId: 'OFR-OK-1', orderId: 'ORD-offered' });
    expect(await ask(socket, 'offer:accept', { offerId: 'OFR-gone' })).toEqual({ errors: [{ status: '404', code: 'NOT_FOUND', detail: 'No offer OFR-gone' }] });
    expect(await ask(socket, 'offer:decline', { offerId: 'OFR-OK-2' })).toEqual({ ok: true, offerId: 'OFR-OK-2' });
  });
});

describe('gateway /driver while no worker hosts the driver kind', () => {
  const cluster = testCluster({ shards: SHARDS });
  let gw: Awaited<ReturnType<typeof gatewayOn>>;
  beforeAll(async () => {
    await cluster.spawnWorker();
    gw = await gatewayOn(cluster.namespace);
    await waitFor(async () => (await cluster.owners()).every((o) => o !== null), 20_000, 'every shard to be owned');
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw?.stop();
    await cluster.close();
  });

  it('given the runtime dead-letters the ask, when a driver sends any event, then UNAVAILABLE and the socket stays connected', async () => {
    const socket = await connect(gw.url, '/driver', await gw.driverToken(randomId('DRV')));
    const unavailable = { errors: [{ status: '503', code: 'UNAVAILABLE', detail: expect.any(String) as string }] };
    expect(await ask(socket, 'driver:status', { status: 'ONLINE' })).toEqual(unavailable);
    expect(await ask(socket, 'driver:location', ping())).toEqual(unavailable);
    expect(await ask(socket, 'offer:decline', { offerId: 'OFR-1' })).toEqual(unavailable);
    expect(socket.connected).toBe(true);
  });
});
