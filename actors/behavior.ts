import type { ActorAddress } from './address.ts';
import type { Result } from '../src/shared/result.ts';

/**
 * What an actor kind is: a pure decider the runtime hosts. The host loads the state, calls `decide` for each
 * message in order, persists the new state, and only then carries out the effects. `decide` must not do I/O,
 * read the clock (use `meta.now`) or keep anything outside the state it returns.
 */
export interface ActorBehavior<State, Message> {
  readonly kind: string;
  /** Validates a message body; a failure parks the message in the dead-letter stream (it is never retried). */
  parse(body: unknown): Result<Message, string>;
  initialState(id: string): State;
  decide(state: State, message: Message, meta: MessageMeta): Decision<State>;
  /**
   * Drop persisted state not touched for this long (ms). For ephemeral actors (drivers: pings rebuild them);
   * unset = kept until deleted.
   */
  readonly stateTtlMs?: number;
  /**
   * The state as it stands once committed — e.g. an event-sourced actor drops the events its store has just
   * appended. Called by the host after every successful commit; identity when absent.
   */
  settle?(state: State): State;
  /**
   * Changes the host may write later. When `changes(before, after)` holds for a batch, the host acknowledges the
   * batch without writing the state, and writes it within `maxMs` (ms) — sooner with the next batch it must write,
   * or when the shard is handed over. A crash loses at most `maxMs` of such changes, so this is only for state the
   * messages themselves keep rebuilding (a cell's driver positions, which drivers refresh every few seconds), never
   * for anything a client was told.
   */
  readonly deferrable?: { readonly changes: (before: State, after: State) => boolean; readonly maxMs: number };
  /**
   * Whether the actor is finished: nothing it holds is worth keeping in memory (an order's driver search that ended).
   * The host drops a finished actor from memory as soon as its mailbox is empty and its record written — nothing is
   * lost, a later message activates it again from the store — instead of keeping it until it has been idle for
   * `PASSIVATE_AFTER_MS`. For kinds with one actor per short-lived thing: at 200 orders/s, five minutes of finished
   * searches are 60,000 resident actors, which the worker's garbage collector marks again and again. Unset = never.
   */
  finished?(state: State): boolean;
  /** Most messages folded into one commit; event-sourced kinds commit message by message. @default the host's */
  readonly maxBatch?: number;
  /** A summary of the state for ops views; defaults to the state itself. */
  describe?(state: State): { value: string; context: unknown };
}

export interface MessageMeta {
  readonly self: ActorAddress;
  readonly messageId: string;
  readonly from?: ActorAddress;
  /** The host's clock when the message is handled, ms since the Unix epoch. */
  readonly now: number;
  /** The timer that fired, when the message is a timer. */
  readonly timerId?: string;
  /** True when the sender waits for a `reply` effect. */
  readonly isAsk: boolean;
}

export interface Decision<State> {
  readonly state: State;
  readonly effects: readonly Effect[];
}

/** What a decision asks the host to do once its state is persisted. */
export type Effect =
  /** A message to another actor (or itself), delivered at least once and de-duplicated by the receiver. */
  | { readonly type: 'send'; readonly to: ActorAddress; readonly body: unknown }
  /** The answer to the current ask; ignored for tells and timers. */
  | { readonly type: 'reply'; readonly body: unknown }
  /**
   * A durable timer: after `delayMs`, `body` arrives as a message to this actor. Scheduling the same `timerId`
   * again is a no-op, so a timer id names one logical timer (e.g. `offer-timeout:OFR-12`), not a reusable slot.
   */
  | { readonly type: 'schedule'; readonly timerId: string; readonly delayMs: number; readonly body: unknown }
  | { readonly type: 'cancel'; readonly timerId: string }
  /**
   * A Socket.IO push to rooms of a namespace, through the Redis emitter: reaches the sockets whichever gateway
   * holds them. At least once (a replay may push again), so pushes carry state, not increments.
   */
  | { readonly type: 'push'; readonly namespace: SocketNamespace; readonly rooms: readonly string[]; readonly event: string; readonly data: unknown };

/** The gateway's Socket.IO namespaces (CONTRACT.md "Sockets"). */
export type SocketNamespace = '/driver' | '/customer' | '/restaurant' | '/ops';

/** A behaviour with its types erased, as the host holds it. */
export type HostedBehavior = ActorBehavior<unknown, unknown>;

/**
 * Erases a behaviour's state and message types for the host. Sound because the host only ever hands `decide` a
 * state this behaviour produced and a message its own `parse` accepted.
 */
export function hosted<State, Message>(behavior: ActorBehavior<State, Message>): HostedBehavior {
  return behavior as unknown as HostedBehavior;
}

/** The runtime's registry of kinds it can host; messages to any other kind are dead-lettered. */
export type BehaviorRegistry = ReadonlyMap<string, HostedBehavior>;

export function behaviorRegistry(behaviors: readonly HostedBehavior[]): BehaviorRegistry {
  const map = new Map<string, HostedBehavior>();
  for (const b of behaviors) {
    if (map.has(b.kind)) throw new Error(`actor kind registered twice: ${b.kind}`);
    map.set(b.kind, b);
  }
  return map;
}
