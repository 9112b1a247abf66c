import { describe } from 'vitest';
import { memoryEventStore, type MemoryTransaction } from '../../../src/orders/event-store/index.ts';
import { eventStoreContract } from './contract.ts';

describe('in-memory event store', () => {
  eventStoreContract<MemoryTransaction>(async () => {
    const store = memoryEventStore();
    const committed = new Map<string, string[]>();
    return {
      store,
      outbox: async (streamId) => store.outbox().filter((m) => m.key === streamId),
      mark: async (tx, streamId, mark) => tx.onCommit(() => committed.set(streamId, [...(committed.get(streamId) ?? []), mark])),
      marks: async (streamId) => committed.get(streamId) ?? [],
    };
  });
});
