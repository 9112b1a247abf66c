import type { ActorAddress, ShardId } from './address.ts';
import type { SocketNamespace } from './behavior.ts';
import type { ReplyTo } from './envelope.ts';

/**
 * An actor's persisted record. The state is the behaviour's; the rest is the runtime's bookkeeping for
 * effectively-once handling.
 */
export interface ActorRecord {
  readonly state: unknown;
  /** Inbox stream id of the last applied entry ("0-0" for none): an entry at or below it is a redelivery. */
  readonly appliedThrough: string;
  /** Message ids applied most recently, oldest first, at most RECENT_IDS_KEPT: catches resent messages. */
  readonly recentIds: readonly string[];
  /** Effects of the last committed batch; replayed on activation, since a crash may have cut them short. */
  readonly outbox: readonly PlannedEffect[];
}

/** Window of the resend check; redeliveries of the same entry are caught by `appliedThrough` whatever its size. */
export const RECENT_IDS_KEPT = 16;

/** An effect resolved to everything needed to carry it out (and to carry it out again, idempotently). */
export type PlannedEffect =
  | { readonly type: 'send'; readonly id: string; readonly to: ActorAddress; readonly from: ActorAddress; readonly body: unknown }
  | { readonly type: 'reply'; readonly replyTo: ReplyTo; readonly body: unknown }
  | {
      readonly type: 'schedule';
      readonly jobId: string;
      readonly to: ActorAddress;
      readonly timerId: string;
      /** Absolute due time, ms since the Unix epoch: a replay does not restart the delay. */
      readonly fireAt: number;
      readonly body: unknown;
    }
  | { readonly type: 'cancel'; readonly jobId: string }
  | { readonly type: 'push'; readonly namespace: SocketNamespace; readonly rooms: readonly string[]; readonly event: string; readonly data: unknown };

/** `workerId|epoch` of a held shard lease: a write carrying any other token is refused. */
export type LeaseToken = string;

export interface Commit {
  readonly shard: ShardId;
  readonly address: ActorAddress;
  readonly fence: LeaseToken;
  readonly record: ActorRecord;
  /** Inbox entries this commit settles; acknowledged only if the record is written. */
  readonly ackIds: readonly string[];
  /** Expire the record after this long untouched (ms); unset = no expiry. */
  readonly ttlMs?: number;
  /**
   * Messages to other actors and replies to askers, appended in the same atomic write as the record (a
   * transactional outbox): only given to a store whose `commitsSends` says it takes them.
   */
  readonly sends?: readonly CommittedSend[];
}

/**
 * What a commit appends: a message to an actor's inbox (its address and the encoded envelope), or a reply to an
 * asker's reply stream (the asking client and the encoded reply).
 */
export type CommittedSend =
  | { readonly type: 'send'; readonly to: ActorAddress; readonly envelope: string }
  | { readonly type: 'reply'; readonly client: string; readonly reply: string };

/**
 * `fenced`: the shard lease is no longer this worker's — stop the shard. `conflict`: this actor's persisted state
 * moved on under us (optimistic concurrency, e.g. an event stream's version) — reload the actor and retry the batch.
 */
export type CommitOutcome = 'committed' | 'fenced' | 'conflict';

/** Persistence port of the actor host. */
export interface ActorStore {
  load(shard: ShardId, address: ActorAddress): Promise<ActorRecord | null>;
  /**
   * Whether commits of this actor append their sends and replies atomically with the record. The host then leaves
   * them out of the record's outbox (a crash cannot cut them short) and does not send them itself; otherwise it sends
   * them after the commit, as every other effect. Absent: never.
   */
  commitsSends?(address: ActorAddress): boolean;
  /** Writes the record and acknowledges the entries, both only while `fence` is the shard's current lease. */
  commit(commit: Commit): Promise<CommitOutcome>;
  /**
   * Acknowledges entries whose handling changed no state, only while `fence` is the shard's current lease. `record`
   * is the actor as it stands (a store with derived views may refresh them from it).
   */
  acknowledge(ack: { shard: ShardId; address: ActorAddress; fence: LeaseToken; ackIds: readonly string[]; record: ActorRecord }): Promise<'acknowledged' | 'fenced'>;
}
