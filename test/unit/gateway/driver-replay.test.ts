import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import type { ActorAddress } from '../../../actors/address.ts';
import type { ActorClient, AskError } from '../../../actors/client.ts';
import { replayCurrentWork } from '../../../gateway/driver.ts';
import type { OrderView } from '../../../machines/order/view.ts';
import type { Principal } from '../../../src/auth/principal.ts';
import { appError } from '../../../src/errors/app-error.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { err, ok, type Result } from '../../../src/shared/result.ts';

const ASK_TIMEOUT_MS = 1_234;
const offer = {
  offerId: 'OFR-1',
  orderId: 'ORD-1',
  restaurant: { restaurantId: 'REST-1', location: { lat: 37.77, lng: -122.42 } },
  dropoff: { location: { lat: 37.77, lng: -122.41 } },
  expiresAt: '2024-05-01T12:00:15.000Z',
};
const { expiresAt: _expiresAt, ...trip } = offer;

/**
 * `replayCurrentWork` against a stand-in actor client that answers `answer` (or throws it), a stand-in order service
 * whose order names the driver once `recorded`, a socket that records what it is sent, and a logger whose lines the
 * test reads.
 */
async function replay(answer: Result<unknown, AskError> | Error, principal?: Principal, recorded = true) {
  const driverId = `DRV-${randomUUID().slice(0, 8)}`;
  const orders = {
    get: (p: Principal, orderId: string) =>
      Promise.resolve(recorded && p.driverId !== undefined ? ok({ orderId, driverId: p.driverId } as OrderView) : err(appError('FORBIDDEN', 'This order is not yours'))),
  };
  const asked: { to: ActorAddress; body: unknown; timeoutMs: number | undefined }[] = [];
  const actors = {
    ask(to: ActorAddress, body: unknown, options?: { timeoutMs?: number }) {
      asked.push({ to, body, timeoutMs: options?.timeoutMs });
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  } as unknown as ActorClient;
  const emitted: [string, unknown][] = [];
  const socket = { emit: (event: string, data: unknown) => emitted.push([event, data]) } as unknown as Socket;
  const logged: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  const log = createLogger({ name: 'gateway-test', level: 'debug', destination });
  await replayCurrentWork({ actors, askTimeoutMs: ASK_TIMEOUT_MS, log, orders }, { socket, principal: principal ?? { sub: driverId, role: 'driver', driverId } });
  return { driverId, asked, emitted, warnings: logged.filter((l) => l.level === 40).map((l) => l.msg) };
}

describe('gateway /driver: replaying the current work on connect', () => {
  it('given a driver holding a pending offer, when its socket connects, then its actor is asked (with the driver ask timeout) and the socket gets `offer`', async () => {
    const { driverId, asked, emitted, warnings } = await replay(ok({ ok: true, status: 'OFFERED', cell: null, offer, trip: null }));
    expect(asked).toEqual([{ to: `driver:${driverId}`, body: { type: 'GetCurrentWork' }, timeoutMs: ASK_TIMEOUT_MS }]);
    expect(emitted).toEqual([['offer', offer]]);
    expect(warnings).toEqual([]);
  });

  it('given a driver on a trip, when its socket connects, then the socket gets `assignment` with only the contract fields', async () => {
    const { emitted } = await replay(ok({ ok: true, status: 'ASSIGNED', cell: null, offer: null, trip: { ...trip, assignedAt: 1 } }));
    expect(emitted).toEqual([['assignment', trip]]);
  });

  it('given a trip its order has not recorded yet (the driver accepted a moment ago), when the socket connects, then no `assignment` is replayed (the order pushes it once recorded)', async () => {
    const { emitted, warnings } = await replay(ok({ ok: true, status: 'ASSIGNED', cell: null, offer: null, trip }), undefined, false);
    expect(emitted).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('given a driver with nothing pending, when its socket connects, then nothing is sent', async () => {
    const { emitted, warnings } = await replay(ok({ ok: true, status: 'AVAILABLE', cell: '8828308281fffff', offer: null, trip: null }));
    expect(emitted).toEqual([]);
    expect(warnings).toEqual([]);
  });

  const failures: [string, Result<unknown, AskError> | Error][] = [
    ['no answer in time', err({ code: 'TIMEOUT', detail: 'no reply' })],
    ['a dead letter (a worker that does not know the query)', err({ code: 'DEAD_LETTER', detail: 'invalid driver message' })],
    ['an error answer', ok({ ok: false, error: { code: 'NOT_FOUND', detail: 'no such driver' } })],
    ['an answer of another shape', ok({ ok: true, offer: { offerId: 'OFR-1' }, trip: null })],
    ['a failing actor client (Redis down)', new Error('Connection is closed.')],
  ];
  for (const [what, answer] of failures) {
    it(`given ${what}, when a driver socket connects, then it resolves without sending anything and logs a warning`, async () => {
      const { emitted, warnings } = await replay(answer);
      expect(emitted).toEqual([]);
      expect(warnings).toEqual([expect.stringContaining('not replayed on connect')]);
    });
  }

  it('given a token that names no driver id, when the socket connects, then no actor is asked', async () => {
    const { asked, emitted } = await replay(ok({ ok: true }), { sub: 'someone', role: 'driver' });
    expect(asked).toEqual([]);
    expect(emitted).toEqual([]);
  });
});
