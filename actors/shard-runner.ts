import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../src/shared/clock.ts';
import { parseAddress, shardOf, type ActorAddress, type ShardId } from './address.ts';
import { createActivation, type Activation, type HandledMessage, type MailboxEntry } from './activation.ts';
import type { BehaviorRegistry } from './behavior.ts';
import { sendReply } from './client.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { EffectRunner } from './effects.ts';
import type { InboxReader, ReadTarget } from './inbox-reader.ts';
import { ENVELOPE_FIELD, decodeEntry, encodeEnvelope, type ActorInspection, type Envelope } from './envelope.ts';
import type { RuntimeKeys } from './keys.ts';
import type { Lease } from './lease.ts';
import type { ActorStore } from './store.ts';

export interface ShardRunnerOptions {
  /** Read messages not yet committed before reading the shard pauses (back-pressure). @default 512 */
  readonly maxInFlight: number;
  /** Most messages of one actor folded into one commit. @default 64 */
  readonly maxBatch: number;
}

export interface ShardRunnerDeps {
  readonly shard: ShardId;
  readonly lease: Lease;
  readonly workerId: string;
  readonly shardCount: number;
  /** Command connection (auto-pipelined). */
  readonly redis: Redis;
  /** Reads this shard's inbox (with others'); the runner hands itself to it while it runs. */
  readonly reader: InboxReader;
  readonly keys: RuntimeKeys;
  readonly behaviors: BehaviorRegistry;
  readonly store: ActorStore;
  readonly runEffects: EffectRunner;
  readonly deadLetters: DeadLetters;
  readonly clock: Clock;
  readonly log: Logger;
  readonly options: ShardRunnerOptions;
  readonly onHandled: (handled: HandledMessage) => void;
  readonly onDeadLetter: (reason: string) => void;
  /** A commit was fenced: another worker owns the shard now. */
  readonly onLost: (shard: ShardId) => void;
}

/**
 * Runs one owned shard: claims the entries left pending by an earlier owner, then has the inbox reader read the inbox
 * with the consumer group, routes each entry to its actor's mailbox and parks what cannot be handled.
 */
export interface ShardRunner extends ReadTarget {
  readonly lease: Lease;
  start(): Promise<void>;
  /** Graceful: stop reading, let every mailbox finish (committing), then drop the actors. */
  drain(): Promise<void>;
  /** Immediate: stop reading and abandon mailboxes (their entries stay pending for the next owner). */
  abandon(): Promise<void>;
  passivateIdle(idleForMs: number): number;
  /**
   * Claims and routes entries of this inbox pending for at least `minIdleMs` under any consumer. An earlier owner's
   * blocked read can still be served after this worker's takeover claim (a frozen process's connection stays open),
   * leaving entries pending where nobody looks; this finds them. Returns how many were claimed.
   */
  reclaimStale(minIdleMs: number): Promise<number>;
  activations(): ReadonlyMap<ActorAddress, Activation>;
}

export function createShardRunner(deps: ShardRunnerDeps): ShardRunner {
  const { shard, keys, redis, log } = deps;
  const inbox = keys.inbox(shard);
  const activations = new Map<ActorAddress, Activation>();
  let active = false;
  let reading = false;
  let restarting = false;
  let inFlight = 0;
  let backPressured = false;

  const settle = (handled: HandledMessage) => {
    inFlight--;
    if (backPressured && inFlight <= deps.options.maxInFlight / 2) {
      backPressured = false;
      deps.reader.wake();
    }
    deps.onHandled(handled);
  };

  const readable = () => {
    if (!reading) return false;
    if (inFlight >= deps.options.maxInFlight) backPressured = true;
    return !backPressured;
  };

  const park = async (entryId: string, fields: string[], reason: string, envelope?: Envelope) => {
    log.warn({ shard, entryId, reason }, 'message dead-lettered');
    deps.onDeadLetter(reason);
    await deps.deadLetters.park({ shard, entryId, reason, fields });
    if (envelope?.type === 'ask') {
      await sendReply(redis, keys, envelope.replyTo, { type: 'reply-error', correlationId: envelope.replyTo.correlationId, code: 'DEAD_LETTER', detail: reason });
    }
  };

  const activationFor = (address: ActorAddress, kind: string, id: string): Activation | null => {
    const existing = activations.get(address);
    if (existing) return existing;
    const behavior = deps.behaviors.get(kind);
    if (!behavior) return null;
    const activation = createActivation({
      address,
      id,
      shard,
      behavior,
      store: deps.store,
      runEffects: deps.runEffects,
      clock: deps.clock,
      fence: () => (active ? deps.lease.token : null),
      maxBatch: deps.options.maxBatch,
      onHandled: (h) => {
        if (h.outcome !== 'dead-letter') return settle(h);
        return park(h.entry.entryId, [ENVELOPE_FIELD, encodeEnvelope(h.entry.envelope)], h.reason ?? 'rejected', h.entry.envelope).then(() => settle(h));
      },
      onFenced: () => deps.onLost(shard),
      onFailure: (error) => {
        log.error({ shard, address, err: error }, 'actor failed; restarting the shard from its pending entries');
        void restart();
      },
      // Its record is written and its mailbox empty: the next message activates it again from the store.
      onFinished: () => {
        if (activations.get(address) !== activation || activation.load > 0 || activation.unsaved) return;
        activation.close();
        activations.delete(address);
      },
    });
    activations.set(address, activation);
    return activation;
  };

  /** Routes one entry; returns a promise only when the entry had to be parked (rare), so the hot path allocates none. */
  const dispatch = (entryId: string, fields: string[]): Promise<void> | undefined => {
    const readAt = deps.clock.now();
    const decoded = decodeEntry(fields);
    if (!decoded.ok) return park(entryId, fields, decoded.error);
    const envelope = decoded.value;
    if (shardOf(envelope.to, deps.shardCount) !== shard) return park(entryId, fields, `misrouted: ${envelope.to} is not on shard ${shard}`, envelope);
    // The envelope's address is checked already; splitting it is only needed to activate or inspect.
    if (envelope.type === 'inspect') {
      const parsed = parseAddress(envelope.to);
      return parsed ? inspect(entryId, envelope, parsed.kind) : park(entryId, fields, 'bad address', envelope);
    }
    let activation = activations.get(envelope.to);
    if (!activation) {
      const parsed = parseAddress(envelope.to);
      if (!parsed) return park(entryId, fields, 'bad address', envelope);
      activation = activationFor(envelope.to, parsed.kind, parsed.id) ?? undefined;
      if (!activation) return park(entryId, fields, `unknown actor kind: ${parsed.kind}`, envelope);
    }
    inFlight++;
    activation.enqueue({ entryId, envelope, readAt } satisfies MailboxEntry);
    return undefined;
  };

  /** Answers an `inspect` from memory (or from the store, without activating) and acknowledges it. */
  const inspect = async (entryId: string, envelope: Extract<Envelope, { type: 'inspect' }>, kind: string) => {
    const behavior = deps.behaviors.get(kind);
    const activation = activations.get(envelope.to);
    const record = activation?.record ?? (behavior ? await deps.store.load(shard, envelope.to) : null);
    const described = record && behavior ? (behavior.describe?.(record.state) ?? { value: kind, context: record.state }) : null;
    const body: ActorInspection = {
      address: envelope.to,
      shard,
      workerId: deps.workerId,
      active: activation !== undefined,
      state: described?.value ?? null,
      context: described?.context ?? null,
      recent: activation?.recent() ?? [],
    };
    await sendReply(redis, keys, envelope.replyTo, { type: 'reply', correlationId: envelope.replyTo.correlationId, body });
    await redis.xack(inbox, keys.group, entryId);
  };

  const dispatchAll = async (entries: readonly [string, string[] | null][]) => {
    for (const [id, fields] of entries) {
      const parking = fields ? dispatch(id, fields) : undefined;
      if (parking) await parking;
    }
  };

  /**
   * Claims the entries delivered to any consumer and not acknowledged for at least `minIdleMs` (a dead owner's, our own
   * before a restart, a frozen ex-owner's late read) and routes them, while `going()` holds. A claimed entry still in
   * one of our mailboxes is queued twice; the actor sees the second as a duplicate. Returns how many were claimed.
   */
  const claim = async (minIdleMs: number, going: () => boolean): Promise<number> => {
    let cursor = '0-0';
    let claimed = 0;
    while (going()) {
      const [next, entries] = (await redis.xautoclaim(inbox, keys.group, deps.workerId, minIdleMs, cursor, 'COUNT', 256)) as [
        string,
        [string, string[] | null][],
      ];
      if (going()) await dispatchAll(entries);
      claimed += entries.length;
      cursor = next;
      if (cursor === '0-0') break;
    }
    return claimed;
  };

  const start = async () => {
    try {
      await redis.xgroup('CREATE', inbox, keys.group, '0', 'MKSTREAM');
    } catch (e) {
      if (!(e instanceof Error && e.message.includes('BUSYGROUP'))) throw e;
    }
    active = true;
    await claim(0, () => active);
    reading = true;
    deps.reader.add(self);
  };

  /** After this, no read of the inbox is in flight for this runner, and none will be issued. */
  const stopReading = async () => {
    reading = false;
    await deps.reader.remove(shard);
  };

  const settleAll = async () => {
    await Promise.all([...activations.values()].map((a) => a.idle()));
    for (const a of activations.values()) a.close();
    activations.clear();
    inFlight = 0;
    backPressured = false;
  };

  const restart = async () => {
    if (restarting || !active) return;
    restarting = true;
    try {
      await stopReading();
      active = false;
      await settleAll();
      await new Promise((r) => setTimeout(r, 500));
      await start();
    } catch (e) {
      log.error({ shard, err: e }, 'shard restart failed; giving the shard up');
      deps.onLost(shard);
    } finally {
      restarting = false;
    }
  };

  const self: ShardRunner = {
    shard,
    inbox,
    readable,
    accept: dispatchAll,
    lease: deps.lease,
    start,
    async drain() {
      // Stop reading but keep the fence valid while mailboxes commit what they already hold.
      await stopReading();
      await settleAll();
      active = false;
    },
    async abandon() {
      active = false;
      await stopReading();
      await settleAll();
    },
    passivateIdle(idleForMs) {
      const now = deps.clock.now();
      let count = 0;
      for (const [address, a] of activations) {
        // One still holding deferred changes stays until its save timer wrote them.
        if (a.load === 0 && !a.unsaved && now - a.lastActiveAt >= idleForMs) {
          a.close();
          activations.delete(address);
          count++;
        }
      }
      return count;
    },
    reclaimStale: (minIdleMs) => claim(minIdleMs, () => reading),
    activations: () => activations,
  };
  return self;
}
