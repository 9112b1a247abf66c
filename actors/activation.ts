import type { Clock } from '../src/shared/clock.ts';
import type { ActorAddress, ShardId } from './address.ts';
import { applyBatch, initialRecord, type AppliedBatch, type InboxMessage } from './apply.ts';
import type { ActorBehavior } from './behavior.ts';
import { replyOf, tellOf, type EffectRunner } from './effects.ts';
import { encodeEnvelope, type RecentMessage } from './envelope.ts';
import type { ActorRecord, ActorStore, CommittedSend, LeaseToken, PlannedEffect } from './store.ts';

const MAX_CONFLICT_RETRIES = 5;

/** A message waiting in an actor's mailbox, with when the worker read it (ms). */
export interface MailboxEntry extends InboxMessage {
  readonly readAt: number;
}

export interface HandledMessage {
  readonly kind: string;
  readonly entry: MailboxEntry;
  readonly outcome: 'applied' | 'duplicate' | 'dead-letter';
  readonly reason?: string;
  readonly committedAt: number;
}

export interface ActivationDeps {
  readonly address: ActorAddress;
  readonly id: string;
  readonly shard: ShardId;
  readonly behavior: ActorBehavior<unknown, unknown>;
  readonly store: ActorStore;
  readonly runEffects: EffectRunner;
  readonly clock: Clock;
  /** The shard's lease token while the shard runs; null once it stops (the mailbox is then abandoned). */
  readonly fence: () => LeaseToken | null;
  /** Most messages folded into one commit. */
  readonly maxBatch: number;
  readonly onHandled: (handled: HandledMessage) => void | Promise<void>;
  /** The lease was lost under this actor: the shard must stop at once. */
  readonly onFenced: () => void;
  /** Something unexpected failed (Redis down, a bug): the shard restarts from its pending entries. */
  readonly onFailure: (error: unknown) => void;
  /**
   * The actor is finished (`ActorBehavior.finished`), its mailbox is empty and everything is written: it may leave
   * memory now. Called synchronously at the end of a drain, so no message can have arrived in between.
   */
  readonly onFinished: () => void;
}

/**
 * One activated actor: a mailbox drained one batch at a time, in order. Per batch: decide (pure), commit the
 * record and the acks (fenced), then run the effects. Different actors drain concurrently.
 */
export interface Activation {
  readonly address: ActorAddress;
  readonly kind: string;
  enqueue(entry: MailboxEntry): void;
  /** Queued plus in-progress messages. */
  readonly load: number;
  readonly lastActiveAt: number;
  /** Resolves when the mailbox is empty and nothing is in progress. */
  idle(): Promise<void>;
  /** The actor's record as it stands in memory (null before activation finished); see `unsaved`. */
  readonly record: ActorRecord | null;
  /** Whether the record holds changes not written yet (deferred ones, see `ActorBehavior.deferrable`). */
  readonly unsaved: boolean;
  /**
   * The actor is dropped from its shard: it never writes again, and changes not written are lost (as in a crash) —
   * a later activation of the same actor, even under the same lease, must not be overwritten by this one.
   */
  close(): void;
  /** The last messages settled, newest last (ops inspector). */
  recent(): readonly RecentMessage[];
}

const RECENT_KEPT = 20;

/**
 * A settled message as kept: only strings the envelope already holds (not the envelope: an actor keeps RECENT_KEPT of
 * these for as long as it is active) and the time, ms. The inspector formats the few it shows.
 */
interface RecentEntry {
  readonly messageId: string;
  readonly type: string | null;
  readonly from: string | null;
  readonly timerId: string | null;
  readonly outcome: RecentMessage['outcome'];
  readonly at: number;
}

function recentEntry({ envelope }: InboxMessage, outcome: RecentMessage['outcome'], at: number): RecentEntry {
  const body = envelope.body as { type?: unknown } | null;
  const type = typeof body?.type === 'string' ? body.type : null;
  return envelope.type === 'timer'
    ? { messageId: envelope.id, type, from: null, timerId: envelope.timerId, outcome, at }
    : { messageId: envelope.id, type, from: envelope.from ?? null, timerId: null, outcome, at };
}

function describeRecent({ messageId, type, from, timerId, outcome, at }: RecentEntry): RecentMessage {
  return { messageId, type, from: timerId === null ? from : `timer:${timerId}`, outcome, at: new Date(at).toISOString() };
}

/**
 * Splits a batch's sends and replies off its outbox, encoded for a store that appends them with the commit: they
 * are then written atomically with the record, so the record's outbox (what a later activation runs again) keeps
 * only the rest (pushes and timers).
 */
function withSendsApart(record: ActorRecord, now: number): { record: ActorRecord; sends: CommittedSend[] } {
  if (!record.outbox.some((e) => e.type === 'send' || e.type === 'reply')) return { record, sends: [] };
  const sends: CommittedSend[] = [];
  const rest: PlannedEffect[] = [];
  for (const e of record.outbox) {
    if (e.type === 'send') {
      sends.push({ type: 'send', to: e.to, envelope: encodeEnvelope(tellOf(e, now)) });
    } else if (e.type === 'reply') {
      sends.push({ type: 'reply', client: e.replyTo.client, reply: JSON.stringify(replyOf(e)) });
    } else {
      rest.push(e);
    }
  }
  return { record: { ...record, outbox: rest }, sends };
}

export function createActivation(deps: ActivationDeps): Activation {
  const queue: MailboxEntry[] = [];
  let record: ActorRecord | null = null;
  let inProgress = 0;
  let draining: Promise<void> | null = null;
  let lastActiveAt = deps.clock.now();
  /** A ring of the last RECENT_KEPT settled messages; `recentNext` is where the next one goes (the oldest). */
  const recent: (RecentEntry | undefined)[] = new Array<RecentEntry | undefined>(RECENT_KEPT);
  let recentNext = 0;
  /** When the record first held a change not written yet (a deferred one), ms; null when all is written. */
  let unsavedSince: number | null = null;
  let saveTimer: NodeJS.Timeout | null = null;
  /** The save timer fired, or the mailbox is being settled: write the unsaved changes once the queue is empty. */
  let saveDue = false;
  let closed = false;
  /** How long the store keeps the record (ephemeral kinds), for every write. */
  const ttl = deps.behavior.stateTtlMs ? { ttlMs: deps.behavior.stateTtlMs } : {};
  /** Whether this actor's commits append its sends and replies themselves (a transactional outbox in the store). */
  const sendsWithCommit = deps.store.commitsSends?.(deps.address) ?? false;

  const wake = () => {
    if (!closed) draining ??= Promise.resolve().then(drain);
  };
  const deferred = (now: number, maxMs: number) => {
    if (unsavedSince !== null) return;
    unsavedSince = now;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      saveDue = true;
      wake();
    }, maxMs);
    saveTimer.unref();
  };
  const saved = () => {
    unsavedSince = null;
    saveDue = false;
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
  };

  /**
   * Records what the batch's messages came to (ops view, metrics, dead letters). Returns a promise only when a
   * handler did (parking a dead letter): the common batch settles without one.
   */
  const settled = (outcomes: AppliedBatch['outcomes'], at: number): Promise<void> | undefined => {
    lastActiveAt = at;
    let parkings: Promise<void>[] | undefined;
    for (const o of outcomes) {
      recent[recentNext] = recentEntry(o.message, o.outcome, at);
      recentNext = (recentNext + 1) % RECENT_KEPT;
      const parking = deps.onHandled({ kind: deps.behavior.kind, entry: o.message as MailboxEntry, outcome: o.outcome, committedAt: at, reason: o.reason });
      if (parking) (parkings ??= []).push(parking);
    }
    return parkings && Promise.all(parkings).then(() => undefined);
  };

  const drain = async () => {
    let finished = false;
    try {
      if (record === null) {
        const loaded = await deps.store.load(deps.shard, deps.address);
        record = loaded ?? initialRecord(deps.behavior.initialState(deps.id));
        // The last batch's effects may have been cut short by a crash; they are idempotent, so run them again.
        if (record.outbox.length > 0) await deps.runEffects(record.outbox);
      }
      let conflicts = 0;
      for (;;) {
        if (queue.length === 0) {
          const finishing = unsavedSince === null && deps.behavior.finished?.(record.state) === true;
          // A finished actor leaves memory now, and whatever message comes next activates it again: written without
          // its outbox (carried out by now), that activation does not run the last batch's effects a second time.
          const outboxToDrop = finishing && record.outbox.length > 0;
          if (!outboxToDrop && (!saveDue || unsavedSince === null)) {
            finished = finishing;
            break;
          }
          // Write the deferred changes (or the dropped outbox) on their own: no acknowledgement rides along. Every
          // effect decided so far has been carried out, so the written outbox is empty.
          const fence = closed ? null : deps.fence();
          if (fence === null) return;
          const quiet: ActorRecord = { ...record, outbox: [] };
          const outcome = await deps.store.commit({ shard: deps.shard, address: deps.address, fence, record: quiet, ackIds: [], ...ttl });
          if (outcome === 'fenced') {
            deps.onFenced();
            return;
          }
          if (outcome === 'conflict') throw new Error(`${deps.address}: a write without messages conflicted (deferrable and finishing kinds need a store without optimistic concurrency)`);
          record = quiet;
          saved();
          continue;
        }
        const fence = closed ? null : deps.fence();
        if (fence === null) return;
        const batch = queue.splice(0, deps.behavior.maxBatch ?? deps.maxBatch);
        inProgress = batch.length;
        const now = deps.clock.now();
        const result = applyBatch(deps.behavior, deps.address, record, batch, now);
        const deferrable = deps.behavior.deferrable;
        const defer =
          result.stateChanged &&
          deferrable !== undefined &&
          (unsavedSince === null || now - unsavedSince < deferrable.maxMs) &&
          deferrable.changes(record.state, result.record.state);
        if (!result.stateChanged || defer) {
          // A query, or a change the behaviour lets the host write later: nothing to write now. Effects first, then
          // the acknowledgement — a crash in between redelivers the message, which decides the same again
          // (receivers drop the repeated effects).
          if (result.applied && result.record.outbox.length > 0) await deps.runEffects(result.record.outbox);
          if ((await deps.store.acknowledge({ shard: deps.shard, address: deps.address, fence, ackIds: result.ackIds, record: result.record })) === 'fenced') {
            queue.length = 0;
            deps.onFenced();
            return;
          }
          if (defer) {
            record = result.record;
            deferred(now, deferrable.maxMs);
          } else {
            record = { ...record, appliedThrough: result.record.appliedThrough, recentIds: result.record.recentIds };
          }
          const parking = settled(result.outcomes, deps.clock.now());
          if (parking) await parking;
          inProgress = 0;
          continue;
        }
        const { record: written, sends } = sendsWithCommit && result.applied ? withSendsApart(result.record, now) : { record: result.record, sends: [] };
        const outcome = await deps.store.commit({
          shard: deps.shard,
          address: deps.address,
          fence,
          record: written,
          ackIds: result.ackIds,
          ...ttl,
          ...(sends.length > 0 ? { sends } : {}),
        });
        if (outcome === 'fenced') {
          queue.length = 0;
          deps.onFenced();
          return;
        }
        if (outcome === 'conflict') {
          // Someone else's write got there first: decide again on what is persisted now.
          if (++conflicts > MAX_CONFLICT_RETRIES) throw new Error(`${deps.address}: still conflicting after ${MAX_CONFLICT_RETRIES} reloads`);
          queue.unshift(...batch);
          record = (await deps.store.load(deps.shard, deps.address)) ?? initialRecord(deps.behavior.initialState(deps.id));
          continue;
        }
        conflicts = 0;
        saved();
        const settle = deps.behavior.settle;
        record = settle ? { ...written, state: settle(written.state) } : written;
        const parking = settled(result.outcomes, deps.clock.now());
        if (parking) await parking;
        if (result.applied && written.outbox.length > 0) await deps.runEffects(written.outbox);
        inProgress = 0;
      }
    } catch (e) {
      queue.length = 0;
      deps.onFailure(e);
    } finally {
      inProgress = 0;
      draining = null;
    }
    if (finished && !closed) deps.onFinished();
  };

  return {
    address: deps.address,
    kind: deps.behavior.kind,
    enqueue(entry) {
      queue.push(entry);
      // Started in a microtask so that `draining` is set before drain() can finish and clear it.
      wake();
    },
    get load() {
      return queue.length + inProgress;
    },
    get lastActiveAt() {
      return lastActiveAt;
    },
    get record() {
      return record;
    },
    get unsaved() {
      return unsavedSince !== null;
    },
    close() {
      closed = true;
      saved();
    },
    recent: () => {
      const out: RecentMessage[] = [];
      for (let i = 0; i < RECENT_KEPT; i++) {
        const r = recent[(recentNext + i) % RECENT_KEPT];
        if (r) out.push(describeRecent(r));
      }
      return out;
    },
    idle: async () => {
      // Settling a mailbox (the shard is handed over or restarts) writes what was deferred.
      if (unsavedSince !== null && deps.fence() !== null) {
        saveDue = true;
        wake();
      }
      while (draining) await draining;
    },
  };
}
