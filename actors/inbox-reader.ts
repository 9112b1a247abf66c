import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ShardId } from './address.ts';
import type { RuntimeKeys } from './keys.ts';

/** What the reader needs of a shard it reads for: its inbox, whether it takes more now, and where entries go. */
export interface ReadTarget {
  readonly shard: ShardId;
  readonly inbox: string;
  /** False while the shard is back-pressured (too many entries in its mailboxes) or stopping. */
  readable(): boolean;
  /** Routes entries read from the inbox; resolves once they are queued (or parked). */
  accept(entries: readonly [string, string[] | null][]): Promise<void>;
}

export interface InboxReaderOptions {
  /** Entries per inbox per XREADGROUP. */
  readonly readCount: number;
  /** How long one XREADGROUP blocks, ms. */
  readonly blockMs: number;
  /**
   * After a read that returned less than a full batch, wait this long before reading again, so that the next read
   * and the commits it causes carry more entries (fewer round trips per message). Adds at most this much latency, ms.
   */
  readonly batchWindowMs: number;
}

/**
 * Reads the inboxes of a set of shards with one blocking XREADGROUP over all of them, on a connection of its own:
 * one round trip and one wake-up brings whatever arrived on any of them, which is what keeps the cost per message
 * low at moderate load (a reader per shard pays a read, a wake-up and a timer per message there).
 *
 * A multi-stream read needs every inbox on one Redis node; on Redis Cluster a worker runs one reader per shard
 * (`perShard`), since each shard's keys live in a slot of their own.
 *
 * The contract the runtime relies on: once `remove(shard)` resolved, no read that includes that shard's inbox is
 * in flight or will be issued — entries read for it after that would sit pending under this consumer where the next
 * owner's claim (done when it takes the lease, after our release) cannot see them.
 */
export interface InboxReader {
  add(target: ReadTarget): void;
  /** Stops reading the shard's inbox; resolves when no read including it is in flight (entries it returned are dropped: they stay pending, and the next owner claims them). */
  remove(shard: ShardId): Promise<void>;
  /** A shard may have become readable again (back-pressure eased). */
  wake(): void;
  stop(): Promise<void>;
}

/** The client name of a worker's blocking read connection, so `CLIENT LIST` tells which worker a reader belongs to. */
export function readerConnectionName(consumer: string): string {
  return `${consumer}-inbox`;
}

export function createInboxReader(deps: {
  readonly redis: Redis;
  readonly keys: RuntimeKeys;
  readonly consumer: string;
  readonly options: InboxReaderOptions;
  readonly log: Logger;
}): InboxReader {
  const { redis, keys, consumer, options, log } = deps;
  const targets = new Map<ShardId, ReadTarget>();
  let conn: Redis | null = null;
  let connId: number | null = null;
  let running = true;
  let loop: Promise<void> | null = null;
  /** The read in flight (XREADGROUP issued, its entries not yet handed over), if any. */
  let cycle: Promise<void> | null = null;
  let blocked = false;
  let idleWake: (() => void) | null = null;

  /** Ends a blocking XREADGROUP early (as if it timed out), so the next read sees the new set of shards. */
  const interrupt = async () => {
    idleWake?.();
    idleWake = null;
    // The read may be issued but not yet blocking in Redis (UNBLOCK then finds nothing): try again shortly.
    for (let attempt = 0; attempt < 5 && blocked && connId !== null; attempt++) {
      const unblocked = await redis.client('UNBLOCK', connId).catch(() => 0);
      if (unblocked === 1) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  };

  const readOnce = async (c: Redis, readable: readonly ReadTarget[]) => {
    const args: (string | number)[] = ['GROUP', keys.group, consumer, 'COUNT', options.readCount, 'BLOCK', options.blockMs, 'STREAMS'];
    for (const t of readable) args.push(t.inbox);
    for (let i = 0; i < readable.length; i++) args.push('>');
    let result: [string, [string, string[] | null][]][] | null;
    blocked = true;
    try {
      result = (await c.call('XREADGROUP', ...args)) as typeof result;
    } finally {
      blocked = false;
    }
    let read = 0;
    for (const [inbox, entries] of result ?? []) {
      const target = readable.find((t) => t.inbox === inbox);
      // Removed meanwhile: drop the entries; they stay pending and the shard's next owner claims them.
      if (!target || targets.get(target.shard) !== target) continue;
      read += entries.length;
      await target.accept(entries);
    }
    if (read > 0 && read < options.readCount && options.batchWindowMs > 0) await new Promise((r) => setTimeout(r, options.batchWindowMs));
  };

  /** The blocking connection; its client id (what UNBLOCK names) is read again after every reconnect. */
  const openConnection = (): Redis => {
    const c = redis.duplicate({ enableAutoPipelining: false, connectionName: readerConnectionName(consumer) });
    c.on('ready', () => {
      connId = null;
      c.client('ID').then(
        (id) => (connId = Number(id)),
        () => undefined,
      );
    });
    return c;
  };

  const run = async () => {
    while (running) {
      const readable = [...targets.values()].filter((t) => t.readable());
      if (readable.length === 0) {
        await new Promise<void>((resolve) => (idleWake = resolve));
        continue;
      }
      conn ??= openConnection();
      cycle = readOnce(conn, readable);
      try {
        await cycle;
      } catch (e) {
        if (!running) return;
        log.warn({ err: e }, 'inbox read failed; retrying');
        await new Promise((r) => setTimeout(r, 250));
      } finally {
        cycle = null;
      }
    }
  };

  const ensureRunning = () => {
    loop ??= run().catch((e: unknown) => log.error({ err: e }, 'inbox reader stopped'));
  };

  return {
    add(target) {
      targets.set(target.shard, target);
      ensureRunning();
      void interrupt();
    },
    async remove(shard) {
      if (!targets.delete(shard)) return;
      const inFlight = cycle;
      if (inFlight) {
        await interrupt();
        await inFlight.catch(() => undefined);
      }
    },
    wake() {
      void interrupt();
    },
    async stop() {
      running = false;
      targets.clear();
      idleWake?.();
      conn?.disconnect();
      await loop;
      conn = null;
    },
  };
}
