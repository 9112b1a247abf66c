import { seededRandom } from '../../../src/shared/seeded-random.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/cluster.ts';
import { dispatchCluster, type DispatchCluster, type DriverPushSeen } from '../../support/dispatch-cluster.ts';

let cluster: DispatchCluster;
beforeAll(async () => {
  cluster = dispatchCluster({ settings: { offerTimeoutMs: 5_000 } });
  await cluster.start(2);
});
afterAll(async () => {
  await cluster?.close();
});

const random = seededRandom;

describe('contention: 50 orders, 20 drivers, one neighbourhood', () => {
  it('given 20 drivers that accept or decline at once, when 50 orders ask together, then no driver holds two offers, none is assigned twice, and every order is assigned or failed with a reason', async () => {
    const rnd = random(5);
    const hood = { lat: 40.4168, lng: -3.7038 };
    const around = () => ({ lat: hood.lat + (rnd() - 0.5) * 0.012, lng: hood.lng + (rnd() - 0.5) * 0.016 });
    const driverIds = Array.from({ length: 20 }, (_, i) => `M-${i}`);
    await Promise.all(driverIds.map((id) => cluster.online(id, around())));

    // The driver apps: each answers an offer at once, accepting four times in five.
    const holding = new Map<string, string>();
    const violations: string[] = [];
    const assignments = new Map<string, Set<string>>();
    const answers: Promise<unknown>[] = [];
    let accepted = 0;
    let declined = 0;
    const stop = cluster.pushes.on((push: DriverPushSeen) => {
      const offerId = push.data.offerId as string;
      if (push.event === 'offer') {
        const held = holding.get(push.driverId);
        // The same offer pushed again is a replay (pushes are at least once and carry state); another one is a bug.
        if (held === offerId) return;
        if (held) violations.push(`${push.driverId} offered ${offerId} while holding ${held}`);
        holding.set(push.driverId, offerId);
        const accept = rnd() < 0.8;
        if (!accept) holding.delete(push.driverId); // it will not be offered again before the decline is handled
        answers.push(
          cluster.ask(push.driverId, { type: accept ? 'AcceptOffer' : 'DeclineOffer', offerId }).then((reply) => {
            if (reply.ok) {
              if (accept) accepted++;
              else declined++;
            }
          }),
        );
      } else if (push.event === 'offer:withdrawn') {
        if (holding.get(push.driverId) === offerId) holding.delete(push.driverId);
      } else if (push.event === 'assignment') {
        const orders = assignments.get(push.driverId) ?? new Set<string>();
        assignments.set(push.driverId, orders.add(push.data.orderId as string));
      }
    });

    const orderIds = Array.from({ length: 50 }, (_, i) => `ORD-M-${i}`);
    await Promise.all(orderIds.map((id) => cluster.startOrder(id, around(), around())));
    const outcomes = await waitFor(
      async () => {
        const all = await Promise.all(orderIds.map((id) => cluster.order(id)));
        return all.every((o) => o && o.assigned.length + o.failed.length > 0) ? all : null;
      },
      45_000,
      'every order to get an outcome',
    );
    await Promise.all(answers);
    await new Promise((r) => setTimeout(r, 500));
    stop();

    expect(violations).toEqual([]);
    expect([...assignments.entries()].filter(([, orders]) => orders.size !== 1)).toEqual([]);

    const final = await Promise.all(orderIds.map((id) => cluster.order(id)));
    const assignedTo = new Map<string, string>();
    for (const [i, o] of final.entries()) {
      if (!o) throw new Error(`order ${orderIds[i]} has no state`);
      expect(o.assigned.length + o.failed.length, `${orderIds[i]} has exactly one outcome`).toBe(1);
      for (const f of o.failed) expect(f.reason).toMatch(/^(NO_DRIVER_AVAILABLE|NO_DRIVER_ACCEPTED|OFFERS_EXHAUSTED|RESERVATIONS_EXHAUSTED): .+/);
      for (const a of o.assigned) {
        expect(assignedTo.has(a.driverId), `${a.driverId} assigned twice`).toBe(false);
        assignedTo.set(a.driverId, orderIds[i] as string);
      }
    }
    expect(outcomes).toHaveLength(50);
    expect(assignedTo.size).toBe(accepted);
    expect(assignedTo.size).toBeGreaterThanOrEqual(15);
    for (const [driverId, orderId] of assignedTo) {
      const driver = await cluster.driver(driverId);
      expect(driver?.value).toBe('assigned');
      expect(driver?.context.trip?.orderId).toBe(orderId);
    }
    expect(declined).toBeGreaterThan(0);
  });
});
