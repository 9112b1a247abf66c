import { decideCell, initialCellState, type CellState } from '../../../machines/cell/cell.ts';
import { decideDispatch } from '../../../machines/dispatch/decider.ts';
import type { CellMessage, DispatchMessage, DriverMessage, DriverPush, DriverReply, OrderNotice, Outbound, ZoneMessage } from '../../../machines/dispatch/protocol.ts';
import { initialDispatchState, type DispatchState } from '../../../machines/dispatch/state.ts';
import { decideDriver } from '../../../machines/driver/decider.ts';
import { initialDriverState, type DriverState } from '../../../machines/driver/state.ts';
import { decideZone, initialZoneState, type ZoneState } from '../../../machines/zone/zone.ts';
import { cellConfigOf, dispatchSettings, driverConfigOf, searchConfigOf, zoneConfigOf, type DispatchSettings } from '../../../src/dispatch/config.ts';

type Address = { kind: 'driver'; id: string } | { kind: 'cell'; id: string } | { kind: 'zone'; id: string } | { kind: 'dispatch'; id: string };
interface Envelope {
  readonly to: Address;
  readonly body: unknown;
  readonly from: Address | null;
}

/**
 * The four pure deciders wired together in memory, with a clock the test moves: messages are delivered one at a
 * time in send order (like the runtime, minus the Redis), timers fire when the clock passes them. What the
 * deciders would have sent to the order and pushed to driver apps is recorded.
 */
export function pureWorld(overrides: Partial<DispatchSettings> = {}, startMs = Date.parse('2024-05-01T12:00:00Z')) {
  const settings = dispatchSettings(overrides);
  const driverConfig = driverConfigOf(settings);
  const cellConfig = cellConfigOf(settings);
  const zoneConfig = zoneConfigOf(settings);
  const searchConfig = searchConfigOf(settings);
  const drivers = new Map<string, DriverState>();
  const cells = new Map<string, CellState>();
  const zones = new Map<string, ZoneState>();
  const dispatches = new Map<string, DispatchState>();
  const orders = new Map<string, OrderNotice[]>();
  const pushes: { driverId: string; push: DriverPush }[] = [];
  const timers = new Map<string, { fireAt: number; to: Address; body: unknown }>();
  const queue: Envelope[] = [];
  const delivered: Envelope[] = [];
  let dropping: (e: Envelope) => boolean = () => false;
  let now = startMs;

  const route = (from: Address, outbound: readonly Outbound[], replies: DriverReply[]) => {
    for (const o of outbound) {
      switch (o.type) {
        case 'toCell':
          queue.push({ to: { kind: 'cell', id: o.cell }, body: o.body, from });
          break;
        case 'toZone':
          queue.push({ to: { kind: 'zone', id: o.zone }, body: o.body, from });
          break;
        case 'toDriver':
          queue.push({ to: { kind: 'driver', id: o.driverId }, body: o.body, from });
          break;
        case 'toDispatch':
          queue.push({ to: { kind: 'dispatch', id: o.orderId }, body: o.body, from });
          break;
        case 'toOrder':
          orders.set(o.orderId, [...(orders.get(o.orderId) ?? []), o.body]);
          break;
        case 'respond':
          throw new Error('respond is routed by handle()');
        case 'reply':
          replies.push(o.body);
          break;
        case 'pushDriver':
          pushes.push({ driverId: o.driverId, push: o.push });
          break;
        case 'schedule': {
          const key = `${from.kind}:${from.id}/${o.timerId}`;
          if (!timers.has(key)) timers.set(key, { fireAt: now + o.delayMs, to: from, body: o.body });
          break;
        }
        case 'cancel':
          timers.delete(`${from.kind}:${from.id}/${o.timerId}`);
          break;
      }
    }
  };

  /** `respond` answers the sender (cells and zones answer dispatchers by message); the rest is routed as usual. */
  const respondOrRoute = (e: Envelope, effects: readonly Outbound[], replies: DriverReply[]) => {
    for (const o of effects) {
      if (o.type === 'respond') {
        if (e.from) queue.push({ to: e.from, body: o.body, from: e.to });
      } else route(e.to, [o], replies);
    }
  };

  const handle = (e: Envelope, replies: DriverReply[]) => {
    if (dropping(e)) return;
    delivered.push(e);
    const { to } = e;
    switch (to.kind) {
      case 'driver': {
        const d = decideDriver(drivers.get(to.id) ?? initialDriverState(to.id), e.body as DriverMessage, { now, config: driverConfig });
        drivers.set(to.id, d.state);
        route(to, d.effects, replies);
        return;
      }
      case 'cell': {
        const d = decideCell(cells.get(to.id) ?? initialCellState(to.id), e.body as CellMessage, { now, config: cellConfig });
        cells.set(to.id, d.state);
        respondOrRoute(e, d.effects, replies);
        return;
      }
      case 'zone': {
        const d = decideZone(zones.get(to.id) ?? initialZoneState(to.id), e.body as ZoneMessage, { now, config: zoneConfig });
        zones.set(to.id, d.state);
        respondOrRoute(e, d.effects, replies);
        return;
      }
      case 'dispatch': {
        const d = decideDispatch(dispatches.get(to.id) ?? initialDispatchState(to.id), e.body as DispatchMessage, { now, config: searchConfig });
        dispatches.set(to.id, d.state);
        route(to, d.effects, replies);
        return;
      }
    }
  };

  /** Delivers everything queued (and whatever that sends), in order. */
  const run = (replies: DriverReply[] = []) => {
    for (let i = 0; queue.length > 0; i++) {
      if (i > 100_000) throw new Error('the world does not settle');
      handle(queue.shift() as Envelope, replies);
    }
    return replies;
  };

  const world = {
    settings,
    drivers,
    cells,
    zones,
    dispatches,
    orders,
    pushes,
    timers,
    delivered,
    now: () => now,
    /** Messages matching this are lost (a cell that never answers, …). */
    drop(predicate: (e: Envelope) => boolean): void {
      dropping = predicate;
    },
    /** Sends and runs to quiescence; the reply the first message got, if any. */
    tell(to: Address, body: unknown): DriverReply | undefined {
      queue.push({ to, body, from: null });
      return run()[0];
    },
    /** A message from the app to a driver; its reply. */
    driver(id: string, body: DriverMessage): DriverReply {
      const reply = world.tell({ kind: 'driver', id }, body);
      if (!reply) throw new Error(`driver ${id} did not reply to ${body.type}`);
      return reply;
    },
    /** Brings a driver online at a position. */
    online(id: string, at: { lat: number; lng: number }, extra: { heading?: number; speedKph?: number } = {}): void {
      world.driver(id, { type: 'SetStatus', status: 'ONLINE' });
      const reply = world.driver(id, { type: 'Ping', lat: at.lat, lng: at.lng, ...extra, at: new Date(now).toISOString() });
      if (!reply.ok) throw new Error(`ping refused: ${reply.error.detail}`);
    },
    /** Moves the clock, firing due timers in due order. */
    advance(ms: number): void {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.fireAt <= until).sort((a, b) => a[1].fireAt - b[1].fireAt)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].fireAt);
        queue.push({ to: due[1].to, body: due[1].body, from: null });
        run();
      }
      now = until;
    },
    /** The last offer pushed to a driver, if any. */
    lastOffer(driverId?: string) {
      const found = pushes.findLast((p) => p.push.event === 'offer' && (driverId === undefined || p.driverId === driverId));
      return found && found.push.event === 'offer' ? { driverId: found.driverId, ...found.push.data } : undefined;
    },
  };
  return world;
}

export type PureWorld = ReturnType<typeof pureWorld>;
