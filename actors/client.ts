import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../src/shared/clock.ts';
import { err, ok, type Result } from '../src/shared/result.ts';
import { shardOf, type ActorAddress } from './address.ts';
import { ENVELOPE_FIELD, decodeReply, encodeEnvelope, type ActorInspection, type Envelope, type Reply, type ReplyTo } from './envelope.ts';
import type { RuntimeKeys } from './keys.ts';
import { messageIdGenerator } from './message-id.ts';
import { defineScript } from './script.ts';

export type AskError = { code: 'TIMEOUT'; detail: string } | { code: 'DEAD_LETTER'; detail: string };

/** How anything outside an actor (API, gateway, timers, tests) talks to actors. */
export interface ActorClient {
  /** Appends a message to the target's shard inbox; resolves once Redis has it. Returns the message id. */
  tell(to: ActorAddress, body: unknown, options?: { id?: string; from?: ActorAddress }): Promise<string>;
  /**
   * Sends a message and waits for the actor's `reply` effect. For the edges only: an actor never asks
   * another actor (it sends, and handles the answer as a later message).
   */
  ask(to: ActorAddress, body: unknown, options?: { timeoutMs?: number; id?: string }): Promise<Result<unknown, AskError>>;
  /** Ops: the actor's state as its owner sees it now, without the message passing through its mailbox. */
  inspect(address: ActorAddress, options?: { timeoutMs?: number }): Promise<Result<ActorInspection, AskError>>;
  /** Appends a ready-made envelope (timer delivery, replays). */
  deliver(envelope: Envelope): Promise<void>;
  close(): Promise<void>;
}

export interface ActorClientOptions {
  redis: Redis;
  keys: RuntimeKeys;
  shardCount: number;
  clock: Clock;
  /** Names this client's reply stream; unique per process. */
  clientId?: string;
  newId?: () => string;
  /** Default ask timeout, ms. @default 5_000 */
  askTimeoutMs?: number;
}

/** Ask replies older than this are dropped with the stream: an answer nobody waits for any more. */
export const REPLY_STREAM_TTL_MS = 60_000;

export function createActorClient(options: ActorClientOptions): ActorClient {
  const { redis, keys, shardCount, clock } = options;
  const clientId = options.clientId ?? randomUUID();
  const newId = options.newId ?? messageIdGenerator();
  const replyKey = keys.replies(clientId);
  const pending = new Map<string, (reply: Reply) => void>();
  let listener: { stop: () => Promise<void> } | null = null;

  const deliver = async (envelope: Envelope) => {
    await redis.xadd(keys.inbox(shardOf(envelope.to, shardCount)), '*', ENVELOPE_FIELD, encodeEnvelope(envelope));
  };

  const startListener = () => {
    const conn = redis.duplicate();
    let running = true;
    const loop = (async () => {
      let lastId = '0-0';
      while (running) {
        let result: [string, [string, string[]][]][] | null;
        try {
          result = (await conn.xread('COUNT', 256, 'BLOCK', 1000, 'STREAMS', replyKey, lastId)) as typeof result;
        } catch {
          if (!running) return;
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const raw = fields[fields.indexOf(ENVELOPE_FIELD) + 1];
            const reply = raw === undefined ? null : decodeReply(raw);
            if (reply) pending.get(reply.correlationId)?.(reply);
          }
        }
      }
    })();
    return {
      stop: async () => {
        running = false;
        conn.disconnect();
        await loop.catch(() => undefined);
      },
    };
  };

  /** Sends an envelope that names this client's reply stream and waits for the answer or the timeout. */
  const request = async (to: ActorAddress, timeoutMs: number | undefined, envelope: (replyTo: ReplyTo) => Envelope) => {
    listener ??= startListener();
    const correlationId = newId();
    const wait = timeoutMs ?? options.askTimeoutMs ?? 5_000;
    const answer = new Promise<Result<unknown, AskError>>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(correlationId);
        resolve(err({ code: 'TIMEOUT', detail: `no reply from ${to} within ${wait} ms` }));
      }, wait);
      pending.set(correlationId, (reply) => {
        clearTimeout(timer);
        pending.delete(correlationId);
        resolve(reply.type === 'reply' ? ok(reply.body) : err({ code: reply.code, detail: reply.detail }));
      });
    });
    await deliver(envelope({ client: clientId, correlationId }));
    return answer;
  };

  return {
    async tell(to, body, opts) {
      const id = opts?.id ?? newId();
      await deliver({ type: 'tell', id, to, body, sentAt: clock.now(), ...(opts?.from ? { from: opts.from } : {}) });
      return id;
    },
    ask(to, body, opts) {
      return request(to, opts?.timeoutMs, (replyTo) => ({ type: 'ask', id: opts?.id ?? newId(), to, body, sentAt: clock.now(), replyTo }));
    },
    async inspect(to, opts) {
      return (await request(to, opts?.timeoutMs, (replyTo) => ({ type: 'inspect', id: newId(), to, sentAt: clock.now(), replyTo }))) as Result<
        ActorInspection,
        AskError
      >;
    },
    deliver,
    async close() {
      await listener?.stop();
      listener = null;
    },
  };
}

const replyScript = defineScript(`
-- KEYS[1] the asker's reply stream
-- ARGV[1] envelope field   ARGV[2] reply JSON   ARGV[3] stream TTL ms   ARGV[4] entries kept (approximately)
-- Appends the reply and keeps the stream alive for another TTL: a stream nobody reads any more expires.
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

/** Replies kept per reply stream (the asker reads them within its ask timeout). */
export const REPLY_STREAM_MAX_LEN = 10_000;

/**
 * Appends a reply to an asker's reply stream (done by the worker that handled the ask). One script call, so that
 * the replies of a turn of the event loop go out in one auto-pipelined write (a MULTI is a write of its own).
 */
export async function sendReply(redis: Redis, keys: RuntimeKeys, replyTo: ReplyTo, reply: Reply): Promise<void> {
  await replyScript.run(redis, [keys.replies(replyTo.client)], [ENVELOPE_FIELD, JSON.stringify(reply), REPLY_STREAM_TTL_MS, REPLY_STREAM_MAX_LEN]);
}
