export type {
  AppendError,
  Appended,
  AppendRequest,
  AppendResult,
  BeforeCommit,
  EventStore,
  NewEvent,
  ReadOptions,
  StoredEvent,
} from './event-store.ts';
export { pgEventStore, ORDER_STREAM_LOCK_CLASS, type PgEventStoreOptions, type PgTransaction } from './pg-event-store.ts';
export { memoryEventStore, type MemoryEventStore, type MemoryTransaction } from './memory-event-store.ts';
