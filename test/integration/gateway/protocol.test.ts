import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIssuer } from '../../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../../src/auth/keys.ts';
import { systemClock } from '../../../src/shared/clock.ts';
import type { OfferPush } from '../../../machines/dispatch/protocol.ts';
import { ask, client, closeAll, codeOf, connect, connected, nextEvent, record, sleep, startGatewaySystem, type GatewaySystem } from './harness.ts';

/** The reasons a socket was disconnected for, as they happen. */
const watchDisconnects = (socket: Socket) => record<string>(socket, 'disconnect');

describe('gateway protocol: handshake, validation, rate limit, payload size', () => {
  let sys: GatewaySystem;
  let url: string;
  beforeAll(async () => {
    sys = await startGatewaySystem({ workers: 1, gateways: 1 });
    url = sys.gatewayUrl(0);
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await sys?.stop();
  });

  /** The refusal of a handshake: the connect_error's data, and whether the client keeps retrying. */
  const refusal = async (nsp: string, token: string | undefined) => {
    const socket = client(url, nsp, token);
    const error = (await connected(socket).then(
      () => {
        throw new Error('connected, expected a refusal');
      },
      (e: unknown) => e,
    )) as Error & { data?: unknown };
    return { data: error.data, retrying: socket.active };
  };

  it('given no token, an expired one, a forged one or garbage, when connecting, then the handshake is refused UNAUTHENTICATED with the error body', async () => {
    const driver = { sub: 'DRV-1', role: 'driver' as const, driverId: 'DRV-1' };
    const past = createIssuer({ key: await loadOrCreateSigningKey(sys.dataDir), issuer: 'food-delivery-embedded', audience: 'food-delivery', clock: { now: () => systemClock.now() - 3 * 3600_000 } });
    const otherDir = await mkdtemp(join(tmpdir(), 'fd-forger-'));
    try {
      const forger = createIssuer({ key: await loadOrCreateSigningKey(otherDir), issuer: 'food-delivery-embedded', audience: 'food-delivery', clock: systemClock });
      const cases: Array<[string, string | undefined]> = [
        ['none', undefined],
        ['expired', await past.mint(driver, 3600)],
        ['forged', await forger.mint(driver)],
        ['garbage', 'not-a-jwt'],
      ];
      for (const [, token] of cases) {
        const refused = await refusal('/driver', token);
        expect(refused.data).toEqual({ errors: [{ status: '401', code: 'UNAUTHENTICATED', detail: expect.any(String) as string }] });
        expect(refused.retrying).toBe(false);
      }
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('given a valid token of the wrong role, when connecting, then FORBIDDEN at the handshake', async () => {
    const customer = sys.customer();
    for (const nsp of ['/driver', '/restaurant', '/ops']) {
      expect((await refusal(nsp, await customer.token)).data).toEqual({ errors: [{ status: '403', code: 'FORBIDDEN', detail: expect.any(String) as string }] });
    }
    const driverToken = await sys.token({ sub: 'DRV-2', role: 'driver', driverId: 'DRV-2' });
    expect(codeOf((await refusal('/customer', driverToken)).data)).toBe('FORBIDDEN');
  });

  it('given a socket whose token expires, when the expiry passes, then it gets auth:expired and is disconnected by the server (the app must reconnect with a new token)', async () => {
    const driverId = `DRV-EXP-${Math.random().toString(36).slice(2, 8)}`;
    const socket = await connect(url, '/driver', await sys.token({ sub: driverId, role: 'driver', driverId }, 2));
    const expired = new Promise<unknown>((resolve) => socket.once('auth:expired', resolve));
    const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(await expired).toEqual({ errors: [{ status: '401', code: 'UNAUTHENTICATED', detail: expect.stringContaining('expired') as string }] });
    expect(await reason).toBe('io server disconnect');
    expect(socket.active).toBe(false);
  });

  it('given a driver socket that sends a bad event and an unknown one, when the gateway is scraped, then /metrics counts its sockets and each answered event by outcome', async () => {
    const driverId = `DRV-MET-${Math.random().toString(36).slice(2, 8)}`;
    const socket = await connect(url, '/driver', await sys.token({ sub: driverId, role: 'driver', driverId }));
    expect(codeOf(await ask(socket, 'driver:status', { status: 'SLEEPING' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(await ask(socket, 'driver:teleport', {}))).toBe('NOT_FOUND');

    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string, labels: Record<string, string>) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(value('gateway_sockets', { namespace: '/driver' })).toBeGreaterThanOrEqual(1);
    expect(value('gateway_events_total', { namespace: '/driver', event: 'driver:status', outcome: 'VALIDATION_FAILED' })).toBeGreaterThanOrEqual(1);
    expect(value('gateway_events_total', { namespace: '/driver', event: 'other', outcome: 'NOT_FOUND' })).toBeGreaterThanOrEqual(1);
    expect(value('gateway_event_seconds_count', { namespace: '/driver', event: 'driver:status' })).toBeGreaterThanOrEqual(1);
  });

  /** Connected, and never told to go away while the test ran. */

  it('given malformed payloads, unknown events and events without an ack, when sent, then error acks (or nothing), no change, and the socket stays connected', async () => {
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const console = await connect(url, '/restaurant', restaurant.token);
    const disconnects = watchDisconnects(console);
    const soon = new Date(Date.now() + 3600_000).toISOString();

    const malformed: unknown[] = [
      {},
      { orderId: 42, estimatedReadyTime: soon },
      { orderId: order.orderId },
      { orderId: order.orderId, estimatedReadyTime: 'tomorrow-ish' },
      { orderId: order.orderId, estimatedReadyTime: soon, extra: true },
      { orderId: '../../etc/passwd', estimatedReadyTime: soon },
      'ORD-1',
      null,
      [order.orderId, soon],
    ];
    for (const payload of malformed) {
      const ack = await ask(console, 'order:accept', payload);
      expect(codeOf(ack), JSON.stringify(payload)).toBe('VALIDATION_FAILED');
      expect(ack).toEqual({ errors: [{ status: '400', code: 'VALIDATION_FAILED', detail: expect.any(String) as string }] });
    }
    // Two payloads, no payload.
    expect(codeOf(await console.timeout(5_000).emitWithAck('order:accept', { orderId: order.orderId, estimatedReadyTime: soon }, 'second'))).toBe('VALIDATION_FAILED');
    expect(codeOf(await console.timeout(5_000).emitWithAck('order:accept'))).toBe('VALIDATION_FAILED');
    // An event the namespace does not have.
    expect(await ask(console, 'order:teleport', { orderId: order.orderId })).toEqual({ errors: [{ status: '404', code: 'NOT_FOUND', detail: 'No event "order:teleport" on /restaurant' }] });
    // A valid payload without an ack callback is not acted on.
    console.emit('order:accept', { orderId: order.orderId, estimatedReadyTime: soon });
    await sleep(500);

    expect((await sys.view(order.orderId)).status).toBe('CONFIRMED');
    expect(console.connected).toBe(true);
    expect(disconnects).toEqual([]);
    expect(await ask(console, 'order:accept', { orderId: order.orderId, estimatedReadyTime: soon })).toMatchObject({ ok: true, order: { status: 'ACCEPTED' } });
  });

  it('given a socket that floods, when it exceeds its token bucket, then RATE_LIMITED acks, still connected, and served again once it slows down', async () => {
    const customer = sys.customer();
    const socket = await connect(url, '/customer', await customer.token);
    const disconnects = watchDisconnects(socket);

    const acks = await Promise.all(Array.from({ length: 120 }, () => ask(socket, 'order:subscribe', { orderId: 'ORD-none' })));
    const codes = acks.map(codeOf);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(60);
    expect(codes.filter((c) => c === 'NOT_FOUND').length).toBeGreaterThanOrEqual(40);
    expect(acks.find((a) => codeOf(a) === 'RATE_LIMITED')).toEqual({ errors: [{ status: '429', code: 'RATE_LIMITED', detail: expect.any(String) as string }] });
    expect(socket.connected).toBe(true);

    await sleep(1_000);
    expect(codeOf(await ask(socket, 'order:subscribe', { orderId: 'ORD-none' }))).toBe('NOT_FOUND');
    expect(disconnects).toEqual([]);
  });

  it('given a message over the payload limit, when sent, then that connection is dropped and nothing is done; the client reconnects', async () => {
    const restaurant = await sys.seedRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const console = await connect(url, '/restaurant', restaurant.token);
    const disconnects = watchDisconnects(console);

    console.emit('order:reject', { orderId: order.orderId, reason: 'x'.repeat(40_000) }, () => undefined);
    await expect.poll(() => disconnects.length, { timeout: 5_000 }).toBe(1);
    await connected(console);
    expect((await sys.view(order.orderId)).status).toBe('CONFIRMED');
  });
});

describe('gateway and dispatch settings from the environment', () => {
  let sys: GatewaySystem;
  beforeAll(async () => {
    sys = await startGatewaySystem({
      workers: 1,
      gateways: 1,
      env: { GATEWAY_EVENTS_PER_SEC: '1', GATEWAY_EVENT_BURST: '3', GATEWAY_MAX_PAYLOAD_BYTES: '2048', DISPATCH_OFFER_TIMEOUT_MS: '4000' },
    });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await sys?.stop();
  });

  it('given GATEWAY_EVENTS_PER_SEC=1 and GATEWAY_EVENT_BURST=3, when a socket sends 10 events at once, then the first 3 are served and the rest are RATE_LIMITED', async () => {
    const customer = sys.customer();
    const socket = await connect(sys.gatewayUrl(0), '/customer', await customer.token);
    const codes = (await Promise.all(Array.from({ length: 10 }, () => ask(socket, 'order:subscribe', { orderId: 'ORD-none' })))).map(codeOf);
    expect(codes.slice(0, 3)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
    expect(codes.slice(3).every((c) => c === 'RATE_LIMITED')).toBe(true);
  });

  it('given DISPATCH_OFFER_TIMEOUT_MS=4000, when a driver next to the restaurant is offered an order, then the offer expires about 4 s after it arrives (not the default 15 s)', async () => {
    const restaurant = await sys.seedRestaurant();
    const driver = await sys.onlineDriverNextToRestaurant();
    const order = await sys.placeConfirmedOrder(restaurant);
    const offer = nextEvent<OfferPush>(driver.socket, 'offer', (o) => o.orderId === order.orderId, 15_000).then((o) => ({ ...o, arrivedAt: Date.now() }));
    await sys.acceptOrder(restaurant, order.orderId);
    const { expiresAt, arrivedAt } = await offer;
    const windowMs = Date.parse(expiresAt) - arrivedAt;
    expect(windowMs).toBeGreaterThan(2_000);
    expect(windowMs).toBeLessThanOrEqual(4_000);
  });

  it('given GATEWAY_MAX_PAYLOAD_BYTES=2048, when a 4 KB message is sent, then that connection is dropped', async () => {
    const customer = sys.customer();
    const socket = await connect(sys.gatewayUrl(0), '/customer', await customer.token);
    const disconnects = watchDisconnects(socket);
    socket.emit('order:subscribe', { orderId: 'x'.repeat(4_096) }, () => undefined);
    await expect.poll(() => disconnects.length, { timeout: 5_000 }).toBe(1);
  });
});
