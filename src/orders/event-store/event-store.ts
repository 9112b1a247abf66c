import type { Result } from '../../shared/result.ts';

/**
 * The order event store, shaped by its user, the order actor host: it decides on a version, appends what the
 * machine emitted for one command, and rebuilds from the events on activation.
 *
 * A stream is one order (`streamId` = order id). Its version is the seq of its last event (0 = no events).
 */
export interface EventStore<Tx = unknown> {
  /**
   * Appends a command's events at `expectedVersion`, atomically with their outbox messages (topic
   * `order_events`, key = order id) and the request's `beforeCommit` hook.
   *
   * - `DUPLICATE`: the stream already applied `causationId` — nothing is appended (a redelivered command is a
   *   no-op); checked before the version, since a redelivery carries a stale `expectedVersion`.
   * - `CONFLICT`: the stream is not at `expectedVersion` (another writer got there first); reload and decide again.
   *
   * Anything else (the database is down, a hook threw, a malformed request) rejects; nothing was appended.
   */
  append(streamId: string, request: AppendRequest<Tx>): Promise<AppendResult>;

  /** The stream's events with seq > `fromVersion` (default 0: all), in seq order. */
  read(streamId: string, options?: ReadOptions): Promise<StoredEvent[]>;
}

/** An event as the machine emits it. */
export interface NewEvent {
  /** A UUID, unique across all streams; deterministic ids (derived from the command's id) keep retries stable. */
  readonly eventId: string;
  /** Past-tense fact, e.g. `OrderPlaced`. */
  readonly type: string;
  /** JSON-serialisable. */
  readonly data: unknown;
  /** ISO-8601; stored and published normalised to UTC with milliseconds. */
  readonly occurredAt: string;
}

export interface StoredEvent {
  readonly streamId: string;
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  /** The id of the command (message) that produced this event. */
  readonly causationId: string;
  /** ISO-8601 UTC. */
  readonly occurredAt: string;
  /** ISO-8601 UTC, when the store wrote it (the transaction's time). */
  readonly recordedAt: string;
}

export interface AppendRequest<Tx = unknown> {
  /** The version the command was decided on; 0 for a new stream. */
  readonly expectedVersion: number;
  /** The command's id, unique per stream: applied at most once. */
  readonly causationId: string;
  /** May be empty: the command is then only recorded as applied. */
  readonly events: readonly NewEvent[];
  /**
   * Runs inside the append's transaction after the events and outbox rows are written and before commit
   * (Emmett's beforeCommitHook), e.g. to upsert a read model or a snapshot. If it throws, nothing of this
   * append is kept and `append` rejects with that error. Not called for a CONFLICT or a DUPLICATE.
   */
  readonly beforeCommit?: BeforeCommit<Tx>;
  /** Passed to the store's group hook (Postgres `beforeCommitGroup`) with this append when it is accepted. */
  readonly context?: unknown;
}

export type BeforeCommit<Tx> = (tx: Tx, appended: Appended) => Promise<void>;

/** What one successful append wrote. */
export interface Appended {
  readonly streamId: string;
  readonly causationId: string;
  readonly previousVersion: number;
  readonly version: number;
  readonly events: readonly StoredEvent[];
}

export interface ReadOptions {
  /** Return only events after this version, e.g. the version of a snapshot already held; default 0. */
  readonly fromVersion?: number;
}

export type AppendError =
  | { readonly code: 'CONFLICT'; readonly expectedVersion: number; readonly actualVersion: number }
  /** `version`: the stream's version right after the earlier append of this causation id. */
  | { readonly code: 'DUPLICATE'; readonly version: number };

export type AppendResult = Result<{ readonly version: number }, AppendError>;
