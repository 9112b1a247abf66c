import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AppendResult, EventStore, NewEvent } from '../../../src/orders/event-store/index.ts';
import { ORDER_EVENTS_TOPIC, type OrderEventPayload, type OutboxMessage } from '../../../src/orders/outbox/index.ts';

/** What the contract needs of an implementation besides the port: a look at its outbox and its transaction. */
export interface ContractSubject<Tx> {
  readonly store: EventStore<Tx>;
  /** The outbox messages written for a stream, oldest first. */
  outbox(streamId: string): Promise<OutboxMessage[]>;
  /** A write through the hook's transaction handle (a read model upsert, say)… */
  mark(tx: Tx, streamId: string, mark: string): Promise<void>;
  /** …and what of those writes is committed. */
  marks(streamId: string): Promise<string[]>;
}

const newStream = (): string => `ORD-${randomUUID()}`;
const event = (type: string, data: unknown = {}): NewEvent => ({ eventId: randomUUID(), type, data, occurredAt: '2025-11-21T10:00:00.000Z' });
const versionOf = (r: AppendResult): number | undefined => (r.ok ? r.value.version : undefined);

/**
 * The behaviour every EventStore implementation must show; each implementation's spec calls this once.
 * `makeSubject` is called inside the tests (after the spec's beforeAll).
 */
export function eventStoreContract<Tx>(makeSubject: () => Promise<ContractSubject<Tx>>): void {
  describe('EventStore contract', () => {
    it('given a new stream, when a command appends two events at version 0, then the version is 2 and they read back in seq order', async () => {
      const { store } = await makeSubject();
      const id = newStream();
      const placed = event('OrderPlaced', { customerId: 'CUST-1', items: [{ itemId: 'PIZZA-001', quantity: 1 }] });
      const paid = { ...event('PaymentAuthorized', { amountCents: 2350 }), occurredAt: '2025-11-21T11:00:00+01:00' };

      const result = await store.append(id, { expectedVersion: 0, causationId: 'cmd-1', events: [placed, paid] });

      expect(result).toEqual({ ok: true, value: { version: 2 } });
      const read = await store.read(id);
      expect(read.map((e) => [e.seq, e.type, e.eventId, e.causationId])).toEqual([
        [1, 'OrderPlaced', placed.eventId, 'cmd-1'],
        [2, 'PaymentAuthorized', paid.eventId, 'cmd-1'],
      ]);
      expect(read[0]?.data).toEqual(placed.data);
      expect(read[0]?.streamId).toBe(id);
      expect(read[1]?.occurredAt).toBe('2025-11-21T10:00:00.000Z'); // normalised to UTC
      expect(Number.isNaN(Date.parse(read[0]?.recordedAt ?? ''))).toBe(false);
    });

    it('given an unknown stream, when it is read, then there are no events', async () => {
      const { store } = await makeSubject();
      expect(await store.read(newStream())).toEqual([]);
    });

    it('given a stream at version 3, when read from version 1, then only seqs 2 and 3 come back', async () => {
      const { store } = await makeSubject();
      const id = newStream();
      await store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A'), event('B'), event('C')] });
      expect((await store.read(id, { fromVersion: 1 })).map((e) => e.seq)).toEqual([2, 3]);
      expect(await store.read(id, { fromVersion: 3 })).toEqual([]);
    });

    it('given a stream at version 2, when a command expects version 1, then CONFLICT with the actual version and nothing is appended', async () => {
      const { store, outbox } = await makeSubject();
      const id = newStream();
      await store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A'), event('B')] });

      const result = await store.append(id, { expectedVersion: 1, causationId: 'b', events: [event('C')] });

      expect(result).toEqual({ ok: false, error: { code: 'CONFLICT', expectedVersion: 1, actualVersion: 2 } });
      expect((await store.read(id)).map((e) => e.type)).toEqual(['A', 'B']);
      expect(await outbox(id)).toHaveLength(2);
      // The conflict did not record 'b' as applied: at the right version it appends.
      expect(await store.append(id, { expectedVersion: 2, causationId: 'b', events: [event('C')] })).toEqual({ ok: true, value: { version: 3 } });
    });

    it('given a new stream, when a command expects version 1, then CONFLICT with actual version 0', async () => {
      const { store } = await makeSubject();
      expect(await store.append(newStream(), { expectedVersion: 1, causationId: 'x', events: [event('A')] })).toEqual({
        ok: false,
        error: { code: 'CONFLICT', expectedVersion: 1, actualVersion: 0 },
      });
    });

    it('given a causation id already applied, when the command is redelivered with its stale version, then DUPLICATE and nothing is appended', async () => {
      const { store, outbox } = await makeSubject();
      const id = newStream();
      await store.append(id, { expectedVersion: 0, causationId: 'place', events: [event('OrderPlaced'), event('PaymentRequested')] });
      await store.append(id, { expectedVersion: 2, causationId: 'pay', events: [event('PaymentAuthorized')] });

      const again = await store.append(id, { expectedVersion: 0, causationId: 'place', events: [event('OrderPlaced'), event('PaymentRequested')] });
      const atCurrent = await store.append(id, { expectedVersion: 3, causationId: 'pay', events: [event('PaymentAuthorized')] });

      expect(again).toEqual({ ok: false, error: { code: 'DUPLICATE', version: 2 } });
      expect(atCurrent).toEqual({ ok: false, error: { code: 'DUPLICATE', version: 3 } });
      expect(await store.read(id)).toHaveLength(3);
      expect(await outbox(id)).toHaveLength(3);
    });

    it('given a causation id applied on another stream, when used on this stream, then it appends (causations are per stream)', async () => {
      const { store } = await makeSubject();
      const [a, b] = [newStream(), newStream()];
      await store.append(a, { expectedVersion: 0, causationId: 'shared', events: [event('A')] });
      expect(await store.append(b, { expectedVersion: 0, causationId: 'shared', events: [event('A')] })).toEqual({ ok: true, value: { version: 1 } });
    });

    it('given a command that emits no events, then it is recorded as applied: the version stays and a redelivery is a DUPLICATE', async () => {
      const { store, outbox } = await makeSubject();
      const id = newStream();
      await store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A')] });

      expect(await store.append(id, { expectedVersion: 1, causationId: 'noop', events: [] })).toEqual({ ok: true, value: { version: 1 } });
      expect(await store.append(id, { expectedVersion: 1, causationId: 'noop', events: [] })).toEqual({ ok: false, error: { code: 'DUPLICATE', version: 1 } });
      expect(await outbox(id)).toHaveLength(1);
    });

    it('given 20 concurrent callers on one stream, each retrying on CONFLICT, then exactly one wins each version and every seq is written once', async () => {
      const { store } = await makeSubject();
      const id = newStream();
      const callers = Array.from({ length: 20 }, (_, i) => i);

      const firstRound = await Promise.all(callers.map((i) => store.append(id, { expectedVersion: 0, causationId: `c-${i}`, events: [event(`E${i}`)] })));
      expect(firstRound.filter((r) => r.ok)).toEqual([{ ok: true, value: { version: 1 } }]);
      expect(firstRound.filter((r) => !r.ok).map((r) => (r.ok ? null : r.error))).toEqual(
        Array.from({ length: 19 }, () => ({ code: 'CONFLICT', expectedVersion: 0, actualVersion: 1 })),
      );

      // Every caller keeps trying from what it last learnt, as an actor reloading after a conflict would.
      const won = await Promise.all(
        callers.map(async (i) => {
          let expected = 0;
          for (;;) {
            const r = await store.append(id, { expectedVersion: expected, causationId: `c-${i}`, events: [event(`E${i}`)] });
            if (r.ok) return r.value.version;
            if (r.error.code === 'DUPLICATE') return r.error.version;
            expected = r.error.actualVersion;
          }
        }),
      );
      expect([...won].sort((a, b) => a - b)).toEqual(callers.map((i) => i + 1));
      const read = await store.read(id);
      expect(read.map((e) => e.seq)).toEqual(callers.map((i) => i + 1));
      expect(new Set(read.map((e) => e.causationId)).size).toBe(20);
    });

    it('given concurrent appends to 30 different streams, then all succeed', async () => {
      const { store } = await makeSubject();
      const ids = Array.from({ length: 30 }, newStream);
      const results = await Promise.all(ids.map((id) => store.append(id, { expectedVersion: 0, causationId: 'place', events: [event('OrderPlaced'), event('PaymentRequested')] })));
      expect(results.map(versionOf)).toEqual(ids.map(() => 2));
      for (const id of ids) expect((await store.read(id)).map((e) => e.seq)).toEqual([1, 2]);
    });

    it('given appends, then outbox messages are written for exactly the events appended: order_events, key = order id, payload and eventType header', async () => {
      const { store, outbox } = await makeSubject();
      const id = newStream();
      const placed = event('OrderPlaced', { totalCents: 2350, nested: { a: [1, 2] } });
      const accepted = event('OrderAcceptedByRestaurant', { estimatedReadyTime: '2025-11-21T10:30:00.000Z' });
      await store.append(id, { expectedVersion: 0, causationId: 'a', events: [placed] });
      await store.append(id, { expectedVersion: 0, causationId: 'b', events: [event('Lost')] }); // conflict
      await store.append(id, { expectedVersion: 1, causationId: 'a', events: [event('Lost')] }); // duplicate
      await store.append(id, { expectedVersion: 1, causationId: 'c', events: [accepted] });

      const messages = await outbox(id);

      expect(messages.map((m) => [m.topic, m.key, m.headers])).toEqual([
        [ORDER_EVENTS_TOPIC, id, { eventType: 'OrderPlaced' }],
        [ORDER_EVENTS_TOPIC, id, { eventType: 'OrderAcceptedByRestaurant' }],
      ]);
      expect(messages.map((m) => JSON.parse(m.value) as OrderEventPayload)).toEqual([
        { eventId: placed.eventId, eventType: 'OrderPlaced', orderId: id, seq: 1, occurredAt: placed.occurredAt, data: placed.data },
        { eventId: accepted.eventId, eventType: 'OrderAcceptedByRestaurant', orderId: id, seq: 2, occurredAt: accepted.occurredAt, data: accepted.data },
      ]);
    });

    it('given a beforeCommit hook, then it gets the appended events and what it writes commits with them', async () => {
      const { store, mark, marks } = await makeSubject();
      const id = newStream();
      await store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A')] });
      const seen: unknown[] = [];

      const result = await store.append(id, {
        expectedVersion: 1,
        causationId: 'b',
        events: [event('B'), event('C')],
        beforeCommit: async (tx, appended) => {
          seen.push({ ...appended, events: appended.events.map((e) => [e.seq, e.type, e.causationId]) });
          await mark(tx, id, `view@${appended.version}`);
        },
      });

      expect(result).toEqual({ ok: true, value: { version: 3 } });
      expect(seen).toEqual([{ streamId: id, causationId: 'b', previousVersion: 1, version: 3, events: [[2, 'B', 'b'], [3, 'C', 'b']] }]);
      expect(await marks(id)).toEqual(['view@3']);
    });

    it('given a hook that throws, then the append rejects with its error and nothing of it remains: events, outbox, causation, hook writes', async () => {
      const { store, outbox, mark, marks } = await makeSubject();
      const id = newStream();
      await store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A')] });
      const boom = new Error('read model down');

      const failing = store.append(id, {
        expectedVersion: 1,
        causationId: 'b',
        events: [event('B')],
        beforeCommit: async (tx) => {
          await mark(tx, id, 'half-written');
          throw boom;
        },
      });

      await expect(failing).rejects.toBe(boom);
      expect((await store.read(id)).map((e) => e.type)).toEqual(['A']);
      expect(await outbox(id)).toHaveLength(1);
      expect(await marks(id)).toEqual([]);
      // The command was not recorded: its retry appends at the same version.
      expect(await store.append(id, { expectedVersion: 1, causationId: 'b', events: [event('B')] })).toEqual({ ok: true, value: { version: 2 } });
    });

    it('given a CONFLICT or a DUPLICATE, then the hook is not called', async () => {
      const { store } = await makeSubject();
      const id = newStream();
      await store.append(id, { expectedVersion: 0, causationId: 'a', events: [event('A')] });
      let calls = 0;
      const beforeCommit = async () => void (calls += 1);
      await store.append(id, { expectedVersion: 0, causationId: 'b', events: [event('B')], beforeCommit });
      await store.append(id, { expectedVersion: 1, causationId: 'a', events: [event('A')], beforeCommit });
      expect(calls).toBe(0);
    });

    it('given a malformed request, then append rejects with a TypeError and appends nothing', async () => {
      const { store } = await makeSubject();
      const id = newStream();
      await expect(store.append(id, { expectedVersion: 0, causationId: 'a', events: [{ ...event('A'), eventId: 'not-a-uuid' }] })).rejects.toBeInstanceOf(TypeError);
      await expect(store.append(id, { expectedVersion: 0, causationId: 'a', events: [{ ...event('A'), occurredAt: 'yesterday' }] })).rejects.toBeInstanceOf(TypeError);
      await expect(store.append(id, { expectedVersion: -1, causationId: 'a', events: [event('A')] })).rejects.toBeInstanceOf(TypeError);
      await expect(store.append(id, { expectedVersion: 0, causationId: '', events: [event('A')] })).rejects.toBeInstanceOf(TypeError);
      expect(await store.read(id)).toEqual([]);
    });
  });
}
