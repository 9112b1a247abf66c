// What the coordinator and the processes holding the sockets say to each other (over IPC, or in one process directly).
import type { SparseHistogram } from './histogram.ts';
import type { SimOptions } from './options.ts';
import type { SimRestaurant } from './setup.ts';

/** Things that happened, counted; a tick carries what happened since the previous one. */
export const COUNTERS = [
  'pingsSent',
  'pingsApplied',
  'offersReceived',
  'offersAccepted',
  'offersDeclined',
  'assignments',
  'stepsReported',
  'tripsCompleted',
  'ordersPlaced',
  'ordersAssigned',
  'ordersDelivered',
  'ordersFailed',
  'customerLocations',
  'kitchenOrders',
  'kitchenReady',
  'reconnects',
] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counters = Record<Counter, number>;

/** Latencies measured, ms: ping → ack (applied), placed → assigned, placed → delivered, POST /v1/orders round trip. */
export const LATENCIES = ['ping', 'assign', 'deliver', 'place'] as const;
export type Latency = (typeof LATENCIES)[number];

/** How things stand at the moment of a tick (not deltas). */
export interface Gauges {
  readonly driverSockets: number;
  readonly customerSockets: number;
  readonly restaurantSockets: number;
  /** Sockets this process means to hold. */
  readonly socketsPlanned: number;
  readonly driversOnTrip: number;
  /** Placed orders not yet delivered or failed. */
  readonly ordersInFlight: number;
  /** p99 of this process's event-loop delay since the last tick, ms: high means the simulator, not the system, is slow. */
  readonly loopLagMs: number;
}

export interface TickStats {
  readonly counters: Counters;
  readonly latency: Record<Latency, SparseHistogram>;
  /** Errors by code that the simulation did not inject: CONTRACT codes, or transport ones (SOCKET_DISCONNECT, HTTP_502, …). */
  readonly errors: Readonly<Record<string, number>>;
  /** Refusals that are part of the game (a pickup before the food is ready, an injected cancellation refused, …). */
  readonly expected: Readonly<Record<string, number>>;
  /** Why orders failed (rejections, cancellations, not assigned), by reason. */
  readonly failures: Readonly<Record<string, number>>;
  /** The first detail seen for an error code not reported before. */
  readonly errorDetails: Readonly<Record<string, string>>;
  /** Errors by `CODE @ where` (the event, request or push it came from). */
  readonly errorSites: Readonly<Record<string, number>>;
  readonly gauges: Gauges;
}

/** One process's share of the simulation. */
export interface WorkerPlan {
  readonly index: number;
  readonly options: SimOptions;
  /** Driver numbers [first, first + count). */
  readonly drivers: { readonly first: number; readonly count: number };
  /** Customer numbers [first, first + count). */
  readonly customers: { readonly first: number; readonly count: number };
  /** The restaurant consoles this process holds. */
  readonly consoles: readonly SimRestaurant[];
  /** Every restaurant (orders go to any of them). */
  readonly restaurants: readonly SimRestaurant[];
  /** This process's share of the order rate, per s. */
  readonly ordersPerSec: number;
  /** This process's share of the connect rate, per s. */
  readonly connectRate: number;
  readonly seed: number;
}

export type ToWorker =
  | { readonly type: 'start'; readonly plan: WorkerPlan }
  /** Start or stop placing orders. */
  | { readonly type: 'orders'; readonly on: boolean }
  /** Settle the orders still open, disconnect everything, send `finished`. */
  | { readonly type: 'finish' };

export type FromWorker =
  | { readonly type: 'ready'; readonly index: number }
  | { readonly type: 'tick'; readonly index: number; readonly at: number; readonly stats: TickStats }
  | { readonly type: 'finished'; readonly index: number; readonly at: number; readonly stats: TickStats }
  | { readonly type: 'fatal'; readonly index: number; readonly message: string };
