import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellOf } from '../../../machines/dispatch/geo.ts';
import type { DriverMessage } from '../../../machines/dispatch/protocol.ts';
import { waitFor } from '../../support/cluster.ts';
import { dispatchCluster, type DispatchCluster } from '../../support/dispatch-cluster.ts';

const HERE = { lat: 48.8566, lng: 2.3522 };
let cluster: DispatchCluster;

beforeAll(async () => {
  cluster = dispatchCluster();
  await cluster.start(2);
});
afterAll(async () => {
  await cluster?.close();
});

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('driver pings through real workers', () => {
  it('given a driver that went online, when it pings, then the ack carries its status and cell, and its cell lists it', async () => {
    const reply = await cluster.online('DRV-OK', HERE, { heading: 90, speedKph: 12 });
    expect(reply).toEqual({ ok: true, status: 'AVAILABLE', cell: cellOf(HERE, 8) });
    // The cell is told by a message of its own: it lists the driver a moment after the ack.
    const cell = await waitFor(
      async () => {
        const c = await cluster.cell(cellOf(HERE, 8));
        return c && c.drivers.length > 0 ? c : null;
      },
      5_000,
      'the cell to list the driver',
    );
    expect(cell?.drivers).toEqual([expect.objectContaining({ driverId: 'DRV-OK', lat: HERE.lat, lng: HERE.lng, heading: 90, speedKph: 12 })]);
  });

  const bad: [string, DriverMessage][] = [
    ['a NaN latitude', { type: 'Ping', lat: Number.NaN, lng: HERE.lng, at: iso(0) }],
    ['an infinite longitude', { type: 'Ping', lat: HERE.lat, lng: Number.POSITIVE_INFINITY, at: iso(0) }],
    ['a latitude of 123', { type: 'Ping', lat: 123, lng: HERE.lng, at: iso(0) }],
    ['a longitude of -200', { type: 'Ping', lat: HERE.lat, lng: -200, at: iso(0) }],
    ['a timestamp 2 minutes in the future', { type: 'Ping', lat: HERE.lat, lng: HERE.lng, at: iso(120_000) }],
    ['a timestamp 10 minutes old', { type: 'Ping', lat: HERE.lat, lng: HERE.lng, at: iso(-600_000) }],
    ['no timestamp', { type: 'Ping', lat: HERE.lat, lng: HERE.lng, at: undefined }],
  ];
  for (const [what, ping] of bad) {
    it(`given an online driver, when it pings with ${what}, then VALIDATION_FAILED with a clear detail, and nothing changes`, async () => {
      const before = await cluster.driver('DRV-OK');
      const reply = await cluster.ask('DRV-OK', ping);
      expect(reply).toEqual({ ok: false, error: { code: 'VALIDATION_FAILED', detail: expect.stringMatching(/^(lat|lng|at) /) } });
      expect(await cluster.driver('DRV-OK')).toEqual(before);
      expect((await cluster.cell(cellOf(HERE, 8)))?.drivers.map((d) => [d.driverId, d.lat, d.lng])).toEqual([['DRV-OK', HERE.lat, HERE.lng]]);
    });
  }

  it('given a driver that never went online, when it pings, accepts or declines, then NOT_FOUND and it still has no state', async () => {
    for (const body of [
      { type: 'Ping', lat: HERE.lat, lng: HERE.lng, at: iso(0) },
      { type: 'AcceptOffer', offerId: 'OFR-X' },
      { type: 'DeclineOffer', offerId: 'OFR-X' },
    ] satisfies DriverMessage[]) {
      expect(await cluster.ask('DRV-NEVER', body)).toEqual({ ok: false, error: { code: 'NOT_FOUND', detail: expect.stringContaining('not online') } });
    }
    expect((await cluster.driver('DRV-NEVER'))?.value ?? 'unknown').toBe('unknown');
    expect((await cluster.cell(cellOf(HERE, 8)))?.drivers.map((d) => d.driverId)).toEqual(['DRV-OK']);
  });

  it('given a message of an unknown shape, then the ask fails as a dead letter rather than hanging', async () => {
    const answer = await cluster.client.ask((await import('../../../src/dispatch/effects.ts')).driverAddress('DRV-OK'), { type: 'Teleport' }, { timeoutMs: 5_000 });
    expect(answer).toEqual({ ok: false, error: { code: 'DEAD_LETTER', detail: expect.stringContaining('invalid driver message') } });
  });
});
