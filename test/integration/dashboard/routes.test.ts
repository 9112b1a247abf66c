import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorAddress } from '../../../actors/address.ts';
import { waitFor } from '../../support/cluster.ts';
import { randomId, startTestSystem, type SeededRestaurant, type TestSystem } from '../../support/system.ts';

let system: TestSystem;
let restaurant: SeededRestaurant;
let opsToken: string;

beforeAll(async () => {
  system = await startTestSystem();
  restaurant = await system.seedRestaurant();
  opsToken = await system.token('ops');
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

describe('the dashboard page', () => {
  it('serves the HTML at /ops/ and redirects /ops', async () => {
    const page = await fetch(`${system.baseUrl}/ops/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('/ops/vendor/socket.io.min.js');
    expect(html).toContain('app.js');
    const redirect = await fetch(`${system.baseUrl}/ops`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/ops/');
  });

  it('serves its script and the socket.io client bundle', async () => {
    const script = await fetch(`${system.baseUrl}/ops/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const vendor = await fetch(`${system.baseUrl}/ops/vendor/socket.io.min.js`);
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get('content-type')).toMatch(/javascript/);
    expect((await vendor.text()).length).toBeGreaterThan(10_000);
  });

  it('answers 404 in the error shape for a missing asset', async () => {
    const res = await system.call('GET', '/ops/nope.js');
    expect(res.status).toBe(404);
  });
});

describe.each(['/v1/ops/orders', '/v1/ops/drivers', '/v1/ops/stats'])('%s access', (path) => {
  it('is 401 without a token', async () => {
    expect((await system.call('GET', path)).status).toBe(401);
  });
  it('is 403 for a customer', async () => {
    const token = await system.token('customer', { customerId: randomId('CUST') });
    expect((await system.call('GET', path, { token })).status).toBe(403);
  });
  it('is 200 for ops and admin', async () => {
    expect((await system.call('GET', path, { token: opsToken })).status).toBe(200);
    expect((await system.call('GET', path, { token: system.adminToken })).status).toBe(200);
  });
});

describe('GET /v1/ops/orders', () => {
  it('lists a placed order with its status, age and restaurant; stuck after the threshold', async () => {
    const placed = await system.placeOrder({ restaurant });
    await system.waitForStatus(placed.orderId, 'CONFIRMED');
    const res = await system.call('GET', '/v1/ops/orders?limit=50', { token: opsToken });
    expect(res.status).toBe(200);
    const body = res.body as { at: string; limit: number; stuckAfterMs: number; byStatus: Record<string, number>; orders: Record<string, unknown>[] };
    expect(body.limit).toBe(50);
    expect(body.stuckAfterMs).toBe(600_000);
    const row = body.orders.find((o) => o.orderId === placed.orderId);
    expect(row).toMatchObject({
      orderId: placed.orderId,
      status: 'CONFIRMED',
      customerId: placed.customerId,
      restaurantId: restaurant.restaurantId,
      driverId: null,
      currency: 'USD',
      final: false,
      stuck: false,
    });
    expect(typeof row?.restaurantName).toBe('string');
    expect(row?.ageMs).toBeGreaterThanOrEqual(0);
    expect(body.byStatus.CONFIRMED).toBeGreaterThanOrEqual(1);

    await new Promise((r) => setTimeout(r, 1_100));
    const stuck = await system.call('GET', '/v1/ops/orders?stuckAfterS=1', { token: opsToken });
    const again = (stuck.body as { orders: Record<string, unknown>[] }).orders.find((o) => o.orderId === placed.orderId);
    expect(again).toMatchObject({ stuck: true });
  });

  it('refuses a bad limit', async () => {
    expect((await system.call('GET', '/v1/ops/orders?limit=0', { token: opsToken })).status).toBe(400);
    expect((await system.call('GET', '/v1/ops/orders?limit=abc', { token: opsToken })).status).toBe(400);
    expect((await system.call('GET', '/v1/ops/orders?limit=501', { token: opsToken })).status).toBe(400);
  });
});

describe('GET /v1/ops/drivers', () => {
  it('shows a driver that went online and pinged, its cell with a boundary, and open orders at their restaurants', async () => {
    const driverId = randomId('DRV');
    const address = actorAddress('driver', driverId);
    await system.actors.tell(address, { type: 'SetStatus', status: 'ONLINE' });
    await system.actors.tell(address, { type: 'Ping', lat: 37.7749, lng: -122.4194, at: new Date().toISOString() });
    const placed = await system.placeOrder({ restaurant });

    type Body = {
      maxDrivers: number;
      truncated: boolean;
      drivers: { driverId: string; state: string; lat: number; lng: number; cell: string; listed: boolean }[];
      cells: { cell: string; drivers: number; boundary: number[][] }[];
      openOrders: { orderId: string; restaurant: { lat: number; lng: number } | null; dropoff: { lat: number; lng: number } | null }[];
    };
    const body = await waitFor(
      async () => {
        const res = await system.call('GET', '/v1/ops/drivers', { token: opsToken });
        const b = res.body as Body;
        return res.status === 200 && b.drivers.some((d) => d.driverId === driverId) && b.openOrders.some((o) => o.orderId === placed.orderId) ? b : null;
      },
      10_000,
      'the driver and the order to show on the map',
    );
    expect(body.maxDrivers).toBe(5_000);
    expect(body.truncated).toBe(false);
    const driver = body.drivers.find((d) => d.driverId === driverId);
    expect(driver).toMatchObject({ state: 'available', lat: 37.7749, lng: -122.4194 });
    const cell = body.cells.find((c) => c.cell === driver?.cell);
    expect(cell?.drivers).toBeGreaterThanOrEqual(1);
    expect(cell?.boundary.length).toBeGreaterThanOrEqual(5);
    const order = body.openOrders.find((o) => o.orderId === placed.orderId);
    expect(order?.restaurant?.lat).toBeCloseTo(restaurant.location.lat, 6);
    expect(order?.dropoff).toEqual({ lat: 37.77, lng: -122.41 });
  });
});

describe('GET /v1/ops/stats', () => {
  it('reports the workers, messages handled and per-shard lag and pending', async () => {
    type Body = { at: string; handledTotal: number; workers: { workerId: string; handledTotal: number }[]; shards: { shard: number; workerId: string; lag: number; pending: number }[] };
    const body = await waitFor(
      async () => {
        const res = await system.call('GET', '/v1/ops/stats', { token: opsToken });
        const b = res.body as Body;
        return res.status === 200 && b.handledTotal > 0 && b.shards.length === 16 ? b : null;
      },
      15_000,
      'workers to publish their metrics',
    );
    expect(body.workers.map((w) => w.workerId).sort()).toEqual([...system.workerIds].sort());
    expect(body.shards.map((s) => s.shard)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    for (const s of body.shards) {
      expect(s.lag).toBeGreaterThanOrEqual(0);
      expect(s.pending).toBeGreaterThanOrEqual(0);
    }
  });
});
