import { describe, expect, it } from 'vitest';
import { decideCell, initialCellState, nearest, onlyRefreshed, type CellState } from '../../../machines/cell/cell.ts';
import type { CellMessage, DriverEntered, FindCandidates } from '../../../machines/dispatch/protocol.ts';
import { compareCandidates, scoreDriver } from '../../../machines/dispatch/score.ts';
import { seededRandom } from '../../../src/shared/seeded-random.ts';

const config = { silenceMs: 30_000, zoneRefreshMs: null };
const T0 = Date.parse('2024-05-01T12:00:00Z');
const PICKUP = { lat: 37.7749, lng: -122.4194 };
const params = { speedKph: 20, loadWeightS: 120, headingWeightS: 60 };

const entered = (driverId: string, version: number, dLat = 0, extra: Partial<DriverEntered> = {}): DriverEntered => ({
  type: 'DriverEntered',
  driverId,
  version,
  lat: PICKUP.lat + dLat,
  lng: PICKUP.lng,
  heading: null,
  speedKph: null,
  load: 0,
  seenAt: T0,
  ...extra,
});
const query = (extra: Partial<FindCandidates> = {}): FindCandidates => ({ type: 'FindCandidates', queryId: 'q', pickup: PICKUP, k: 10, exclude: [], score: params, ...extra });

function given(messages: readonly CellMessage[], now = T0): CellState {
  return messages.reduce((s, m) => decideCell(s, m, { now, config }).state, initialCellState('8828308281fffff'));
}
const ids = (s: CellState) => s.drivers.map((e) => e.driverId);

describe('cell membership', () => {
  it('given a driver listed at version 5, when a late duplicate "entered" at version 4 arrives, then the newer position stays', () => {
    const s = given([entered('D1', 5, 0.001), entered('D1', 4, 0.002)]);
    expect(s.drivers).toEqual([expect.objectContaining({ driverId: 'D1', version: 5, lat: PICKUP.lat + 0.001 })]);
  });

  it('given a driver that left at version 7, when its older "entered" (version 6) arrives late, then it stays gone; a newer one brings it back', () => {
    const s = given([entered('D1', 5), { type: 'DriverLeft', driverId: 'D1', version: 7 }, entered('D1', 6)]);
    expect(ids(s)).toEqual([]);
    expect(ids(decideCell(s, entered('D1', 8), { now: T0, config }).state)).toEqual(['D1']);
  });

  it('given a driver listed at version 9, when a stale "left" at version 8 arrives, then it stays listed', () => {
    expect(ids(given([entered('D1', 9), { type: 'DriverLeft', driverId: 'D1', version: 8 }]))).toEqual(['D1']);
  });

  it('given a driver not refreshed for longer than the silence timeout, then it is never answered and is pruned', () => {
    const s = decideCell(given([entered('D1', 1)]), entered('D2', 2, 0.001, { seenAt: T0 + 25_000 }), { now: T0 + 25_000, config }).state;
    const later = T0 + 31_000;
    expect(nearest(s, query(), later, config).candidates.map((c) => c.driverId)).toEqual(['D2']);
    expect(ids(decideCell(s, entered('D3', 3, 0, { seenAt: later }), { now: later, config }).state)).toEqual(['D2', 'D3']);
  });
});

describe('cell queries', () => {
  const s = given(Array.from({ length: 30 }, (_, i) => entered(`D${String(i).padStart(2, '0')}`, i + 1, (i + 1) * 0.0005)));

  it('given 30 drivers in a line north of the pickup, when asked for the 10 best, then the 10 nearest come back in order, marked truncated', () => {
    const { candidates, truncated } = nearest(s, query(), T0, config);
    expect(candidates.map((c) => c.driverId)).toEqual(['D00', 'D01', 'D02', 'D03', 'D04', 'D05', 'D06', 'D07', 'D08', 'D09']);
    expect(truncated).toBe(true);
    expect(candidates[0]?.distanceKm).toBeCloseTo(0.0556, 3);
  });

  it('given excluded drivers, then they are skipped', () => {
    const { candidates } = nearest(s, query({ exclude: ['D00', 'D02'], k: 3 }), T0, config);
    expect(candidates.map((c) => c.driverId)).toEqual(['D01', 'D03', 'D04']);
  });

  it('given a nearer driver with a load, then the score can rank a farther idle driver first', () => {
    const loaded = given([entered('NEAR', 1, 0.001, { load: 2 }), entered('FAR', 2, 0.004)]);
    const { candidates, truncated } = nearest(loaded, query(), T0, config);
    expect(candidates.map((c) => c.driverId)).toEqual(['FAR', 'NEAR']);
    expect(truncated).toBe(false);
  });

  it('given a moving driver heading away from the pickup, then it scores worse than one at the same distance heading towards it', () => {
    const moving = given([
      entered('AWAY', 1, 0.005, { heading: 0, speedKph: 30 }),
      entered('TOWARDS', 2, -0.005, { heading: 0, speedKph: 30 }),
    ]);
    expect(nearest(moving, query(), T0, config).candidates.map((c) => c.driverId)).toEqual(['TOWARDS', 'AWAY']);
  });

  it('given a query from a dispatcher, then the answer is a Candidates message for the same query', () => {
    const decision = decideCell(s, query({ k: 1 }), { now: T0, config });
    expect(decision.state).toBe(s);
    expect(decision.effects).toEqual([
      { type: 'respond', body: { type: 'Candidates', queryId: 'q', cell: '8828308281fffff', candidates: [expect.objectContaining({ driverId: 'D00' })], truncated: true } },
    ]);
  });
});

describe('cell query against brute force', () => {
  it('given 300 random cells (silent, excluded, loaded, moving and tied drivers), when queried from inside and outside, then it answers exactly what scoring every driver answers', () => {
    const rnd = seededRandom(4242);
    let answered = 0;
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(rnd() * 160);
      const spread = 0.002 + rnd() * 0.01;
      const drivers: DriverEntered[] = Array.from({ length: n }, (_, i) => {
        const moving = rnd() < 0.3;
        // A few share a position (ties broken by id) or a latitude (the sweep's order).
        const twin = i > 0 && rnd() < 0.1;
        return entered(`D${String(i).padStart(3, '0')}`, 1, twin ? 0 : (rnd() * 2 - 1) * spread, {
          lng: PICKUP.lng + (twin ? 0 : (rnd() * 2 - 1) * spread * 1.3),
          load: Math.floor(rnd() * 3),
          heading: moving ? rnd() * 360 : null,
          speedKph: moving ? 5 + rnd() * 30 : null,
          seenAt: T0 - Math.floor(rnd() * 40_000),
        });
      });
      const state = given(drivers);
      const pickup = { lat: PICKUP.lat + (rnd() * 2 - 1) * spread * 2, lng: PICKUP.lng + (rnd() * 2 - 1) * spread * 2 };
      const exclude = drivers.filter(() => rnd() < 0.1).map((d) => d.driverId);
      const score = { speedKph: 10 + rnd() * 30, loadWeightS: rnd() < 0.5 ? 0 : rnd() * 300, headingWeightS: rnd() < 0.5 ? 0 : rnd() * 120 };
      const k = Math.floor(rnd() * 12);
      const now = T0 + Math.floor(rnd() * 5_000);

      const eligible = state.drivers
        .filter((e) => e.seenAt >= now - config.silenceMs && !exclude.includes(e.driverId))
        .map((e) => ({ driverId: e.driverId, ...scoreDriver(pickup, e, score) }))
        .sort(compareCandidates);
      const answer = nearest(state, query({ pickup, k, exclude, score }), now, config);

      expect(answer.candidates.map((c) => c.driverId)).toEqual(eligible.slice(0, k).map((c) => c.driverId));
      expect(answer.candidates.map((c) => c.score)).toEqual(eligible.slice(0, k).map((c) => c.score));
      expect(answer.truncated).toBe(eligible.length > answer.candidates.length);
      answered += answer.candidates.length;
    }
    // Most queries found someone: the comparison is not between empty answers.
    expect(answered).toBeGreaterThan(300 * 3);
  });
  it('given drivers on both sides of the antimeridian, all on one spot, or in one line, then answers still equal scoring every driver', () => {
    const rnd = seededRandom(99);
    const layouts: { name: string; at: (i: number) => { lat: number; lng: number } }[] = [
      { name: 'across the antimeridian', at: () => ({ lat: -16.5 + rnd() * 0.01, lng: rnd() < 0.5 ? 179.995 + rnd() * 0.005 : -180 + rnd() * 0.005 }) },
      { name: 'one spot', at: () => ({ lat: PICKUP.lat + 0.001, lng: PICKUP.lng + 0.001 }) },
      { name: 'one meridian', at: () => ({ lat: PICKUP.lat + rnd() * 0.01, lng: PICKUP.lng }) },
      { name: 'one parallel', at: (i) => ({ lat: PICKUP.lat, lng: PICKUP.lng + i * 0.0002 }) },
    ];
    for (const layout of layouts) {
      const drivers = Array.from({ length: 40 }, (_, i) => entered(`D${String(i).padStart(2, '0')}`, 1, 0, { ...layout.at(i), load: i % 3 }));
      const state = given(drivers);
      const first = drivers[0] as DriverEntered;
      const pickups = [first, { lat: first.lat + 0.002, lng: first.lng }, { lat: first.lat, lng: first.lng > 0 ? -179.999 : first.lng - 0.003 }, { lat: first.lat - 1, lng: first.lng + 2 }];
      for (const pickup of pickups) {
        const expected = state.drivers.map((e) => ({ driverId: e.driverId, ...scoreDriver(pickup, e, params) })).sort(compareCandidates).slice(0, 7);
        const answer = nearest(state, query({ pickup, k: 7 }), T0, config);
        expect(answer.candidates.map((c) => c.driverId), `${layout.name} from ${pickup.lat},${pickup.lng}`).toEqual(expected.map((c) => c.driverId));
        expect(answer.truncated).toBe(true);
      }
    }
  });
});

describe('which cell changes may be written late', () => {
  const listed = given([entered('D1', 1), entered('D2', 1)]);
  const after = (m: CellMessage) => decideCell(listed, m, { now: T0 + 1_000, config }).state;

  it('given listed drivers, when one refreshes its entry, then only refreshed entries changed (deferrable)', () => {
    expect(onlyRefreshed(listed, after(entered('D1', 2, 0.0003)))).toBe(true);
  });

  it('given listed drivers, when one enters or leaves, then membership changed (written at once)', () => {
    expect(onlyRefreshed(listed, after(entered('D3', 1)))).toBe(false);
    expect(onlyRefreshed(listed, after({ type: 'DriverLeft', driverId: 'D2', version: 2 }))).toBe(false);
  });

  it('given a cell that tells its zone, when a refresh makes it announce again, then that change is written at once', () => {
    const zoned = { silenceMs: 30_000, zoneRefreshMs: 20_000 };
    const announcedState = decideCell(initialCellState('8828308281fffff'), entered('D1', 1), { now: T0, config: zoned }).state;
    const soon = decideCell(announcedState, entered('D1', 2, 0, { seenAt: T0 + 5_000 }), { now: T0 + 5_000, config: zoned }).state;
    const dueAgain = decideCell(soon, entered('D1', 3, 0, { seenAt: T0 + 21_000 }), { now: T0 + 21_000, config: zoned }).state;
    expect(onlyRefreshed(announcedState, soon)).toBe(true);
    expect(dueAgain.announced).toEqual({ occupied: true, at: T0 + 21_000 });
    expect(onlyRefreshed(soon, dueAgain)).toBe(false);
  });
});
