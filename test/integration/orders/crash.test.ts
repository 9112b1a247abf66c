import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorAddress } from '../../../actors/address.ts';
import type { OrderView } from '../../../machines/order/view.ts';
import { waitFor } from '../../support/cluster.ts';
import { orderBody, randomId, startTestSystem, type HttpResult, type SeededRestaurant, type TestSystem } from '../../support/system.ts';

let system: TestSystem;
let restaurant: SeededRestaurant;

beforeAll(async () => {
  system = await startTestSystem({ workers: 2 });
  restaurant = await system.seedRestaurant();
});
afterAll(async () => {
  await system?.stop();
});

/** How long a client keeps retrying while the shards of a dead worker move (lease TTL 3 s, ask timeout 5 s). */
const RETRY_FOR_MS = 30_000;

/**
 * A client that retries what the API says is worth retrying (503 UNAVAILABLE, 504 TIMEOUT) until it gets one of
 * `final`; anything else fails the test. Returns every status seen, the last one final.
 */
async function untilFinal(request: () => Promise<HttpResult>, final: readonly number[]): Promise<{ last: HttpResult; statuses: number[] }> {
  const statuses: number[] = [];
  const deadline = Date.now() + RETRY_FOR_MS;
  for (;;) {
    const res = await request();
    statuses.push(res.status);
    if (final.includes(res.status)) return { last: res, statuses };
    if (![503, 504].includes(res.status) || Date.now() > deadline) throw new Error(`unexpected ${res.status} ${JSON.stringify(res.body)} after ${statuses.join(',')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a worker crash in the middle of a burst', () => {
  it('given 30 orders being placed and accepted concurrently, when a worker is SIGKILLed mid-burst, then after its shards move every order is ACCEPTED and no event is appended twice', async () => {
    const N = 30;
    let placedSoFar = 0;
    let acceptedSoFar = 0;
    const ownersBefore = await system.shardOwners();
    const victim = system.workerIds[0];
    const customers = await Promise.all(
      Array.from({ length: N }, async () => {
        const customerId = randomId('CUST');
        return { customerId, token: await system.token('customer', { customerId }) };
      }),
    );

    const flows = customers.map(async ({ customerId, token }) => {
      const key = randomUUID();
      const body = orderBody(restaurant, customerId);
      // A retry of the POST reuses the Idempotency-Key, as a real client would.
      const placed = await untilFinal(() => system.call('POST', '/v1/orders', { token, body, headers: { 'idempotency-key': key } }), [201]);
      placedSoFar++;
      const orderId = (placed.last.body as { orderId: string }).orderId;
      // A retried ACCEPT may find the first one applied after all: 409 ALREADY_ACCEPTED is then the right answer.
      const accepted = await untilFinal(
        () =>
          system.call('POST', `/v1/restaurants/${restaurant.restaurantId}/orders/${orderId}`, {
            token: restaurant.token,
            body: { action: 'ACCEPT', estimatedReadyTime: new Date(Date.now() + 1_200_000).toISOString() },
          }),
        [200, 409],
      );
      acceptedSoFar++;
      return { orderId, placeStatuses: placed.statuses, acceptStatuses: accepted.statuses, acceptBody: accepted.last.body };
    });

    const burst = Promise.all(flows);
    await waitFor(async () => placedSoFar >= 10, 20_000, 'the burst to be under way');
    await system.killWorker(0);
    const acceptedAtKill = acceptedSoFar;
    const results = await burst;

    // The survivor took every shard.
    await waitFor(async () => (await system.shardOwners()).every((o) => o === system.workerIds[1]), 15_000, 'the survivor to own every shard');
    // The crash mattered: some of these orders lived on the victim's shards.
    const onVictim = results.filter((r) => ownersBefore[system.shardOfOrder(r.orderId)] === victim);
    expect(onVictim.length).toBeGreaterThan(0);
    expect(acceptedAtKill).toBeLessThan(N);
    expect(new Set(results.map((r) => r.orderId)).size).toBe(N);
    for (const r of results) {
      if (r.acceptStatuses.at(-1) === 409) expect(r.acceptBody).toMatchObject({ errors: [{ code: 'ALREADY_ACCEPTED' }] });
    }

    const expected = ['OrderPlaced', 'OrderConfirmed', 'OrderAcceptedByRestaurant', 'DriverSearchStarted'];
    // No drivers are online, so a search may already have reported back; those are the only later events allowed.
    const dispatchOutcomes = new Set(['DispatchFailed', 'DispatchEscalated', 'DriverSearchStarted']);
    for (const { orderId } of results) {
      const view = await system.waitForStatus(orderId, 'ACCEPTED', 15_000);
      expect(view.version).toBeGreaterThanOrEqual(expected.length);
    }
    const orderIds = results.map((r) => r.orderId);
    // One snapshot for the three reads: a search may still report back while we look.
    const snapshot = await system.pg.connect();
    await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const { rows: events } = await snapshot.query<{ order_id: string; seq: number; event_type: string; causation_id: string }>(
      'SELECT order_id, seq, event_type, causation_id FROM order_events WHERE order_id = ANY($1) ORDER BY order_id, seq',
      [orderIds],
    );
    const { rows: commands } = await snapshot.query<{ order_id: string; causation_id: string; version: number }>(
      'SELECT order_id, causation_id, version FROM order_commands WHERE order_id = ANY($1) ORDER BY order_id, version',
      [orderIds],
    );
    const { rows: bookkeeping } = await snapshot.query<{ order_id: string; actor_version: number; row_version: number; status: string; outbox: number }>(
      `SELECT a.order_id, a.version AS actor_version, o.version AS row_version, o.status,
              (SELECT count(*)::int FROM outbox x WHERE x.message_key = a.order_id) AS outbox
       FROM order_actors a JOIN orders o ON o.order_id = a.order_id WHERE a.order_id = ANY($1)`,
      [orderIds],
    );
    await snapshot.query('COMMIT');
    snapshot.release();
    for (const orderId of orderIds) {
      const mine = events.filter((e) => e.order_id === orderId);
      expect(mine.slice(0, 4).map((e) => e.event_type), orderId).toEqual(expected);
      for (const later of mine.slice(4)) expect(dispatchOutcomes.has(later.event_type), `${orderId}: ${later.event_type}`).toBe(true);
      // PlaceOrder and AcceptOrder, each recorded once, each with its own two events; every later command once too.
      const causations = commands.filter((c) => c.order_id === orderId);
      expect(causations.slice(0, 2).map((c) => c.version), orderId).toEqual([2, 4]);
      expect(new Set(causations.map((c) => c.causation_id)).size).toBe(causations.length);
      expect(mine.slice(0, 4).map((e) => e.causation_id)).toEqual([
        causations[0]?.causation_id,
        causations[0]?.causation_id,
        causations[1]?.causation_id,
        causations[1]?.causation_id,
      ]);
      expect(bookkeeping.find((b) => b.order_id === orderId)).toEqual({
        order_id: orderId,
        actor_version: mine.length,
        row_version: mine.length,
        status: 'ACCEPTED',
        outbox: mine.length,
      });
    }
  });
});

describe('the Redis copy of an order view after a crash', () => {
  it('given a worker died after committing a command but before refreshing Redis, when the unacknowledged command is redelivered, then reads see the committed status and nothing is appended twice', async () => {
    const placed = await system.placeOrder({ restaurant });
    const accepted = await system.call('POST', `/v1/restaurants/${restaurant.restaurantId}/orders/${placed.orderId}`, {
      token: restaurant.token,
      body: { action: 'ACCEPT', estimatedReadyTime: new Date(Date.now() + 1_200_000).toISOString() },
    });
    expect(accepted.status).toBe(200);
    const address = actorAddress('order', placed.orderId);
    const command = { type: 'AssignDriver', driverId: randomId('DRV') };
    const messageId = randomUUID();
    await system.actors.tell(address, command, { id: messageId });
    const committed = await system.waitForStatus(placed.orderId, 'ASSIGNED');
    const eventsBefore = await system.eventTypes(placed.orderId);
    // What Redis still holds when the refresh after that commit was lost: the view before it.
    const stale: OrderView = { ...committed, status: 'ACCEPTED', driverId: null, timeline: committed.timeline.slice(0, -1), version: committed.version - 1 };
    await system.redis.set(system.keys.orderView(placed.orderId), JSON.stringify(stale));
    expect((await system.view(placed.orderId)).status).toBe('ACCEPTED');

    // The next owner reads the unacknowledged entry again: the same message.
    await system.actors.tell(address, command, { id: messageId });

    expect(await system.waitForStatus(placed.orderId, 'ASSIGNED', 5_000)).toEqual(committed);
    expect(await system.eventTypes(placed.orderId)).toEqual(eventsBefore);
  });
});
