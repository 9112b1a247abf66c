import { z } from 'zod';
import { isActorAddress, type ActorAddress } from './address.ts';
import { err, ok, type Result } from '../src/shared/result.ts';

/**
 * What travels in a shard inbox: one stream entry, field `m`, holding one envelope as JSON.
 * `id` is the message id the receiving actor de-duplicates on; `sentAt` is the sender's clock (ms) and only
 * feeds latency metrics.
 */
export type Envelope =
  | { type: 'tell'; id: string; to: ActorAddress; from?: ActorAddress; body: unknown; sentAt: number }
  | {
      type: 'ask';
      id: string;
      to: ActorAddress;
      from?: ActorAddress;
      body: unknown;
      sentAt: number;
      replyTo: ReplyTo;
    }
  | { type: 'timer'; id: string; to: ActorAddress; timerId: string; body: unknown; sentAt: number }
  /** Ops: answer with the actor's current state without handling anything (not queued behind its mailbox). */
  | { type: 'inspect'; id: string; to: ActorAddress; sentAt: number; replyTo: ReplyTo };

/** The envelopes that are handed to an actor (an `inspect` is answered by the host). */
export type MessageEnvelope = Exclude<Envelope, { type: 'inspect' }>;

/** What an `inspect` is answered with. */
export interface ActorInspection {
  readonly address: string;
  readonly shard: number;
  readonly workerId: string;
  /** Whether the actor is in memory now; if not, the state is what is persisted (null when there is none). */
  readonly active: boolean;
  readonly state: string | null;
  readonly context: unknown;
  readonly recent: readonly RecentMessage[];
}

/** One of the last messages an activated actor settled (kept in memory, newest last). */
export interface RecentMessage {
  readonly messageId: string;
  readonly type: string | null;
  readonly from: string | null;
  readonly outcome: 'applied' | 'duplicate' | 'dead-letter';
  readonly at: string;
}

/** Where the answer to an ask goes: the asking client's reply stream and the asker's correlation id. */
export interface ReplyTo {
  client: string;
  correlationId: string;
}

/** One entry of a client's reply stream, field `m`. */
export type Reply =
  | { type: 'reply'; correlationId: string; body: unknown }
  | { type: 'reply-error'; correlationId: string; code: 'DEAD_LETTER'; detail: string };

export const ENVELOPE_FIELD = 'm';

// A check, not a transform: every entry passes here, and a transform costs zod a pipe per field.
const address = z.custom<ActorAddress>((v) => typeof v === 'string' && isActorAddress(v), { error: 'not an actor address' });

const common = {
  id: z.string().min(1).max(256),
  to: address,
  body: z.unknown(),
  sentAt: z.number().finite(),
};

const replyToSchema = z.object({ client: z.string().min(1).max(128), correlationId: z.string().min(1).max(128) });

const envelopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tell'), ...common, from: address.optional() }),
  z.object({
    type: z.literal('ask'),
    ...common,
    from: address.optional(),
    replyTo: replyToSchema,
  }),
  z.object({ type: z.literal('timer'), ...common, timerId: z.string().min(1).max(256) }),
  z.object({ type: z.literal('inspect'), id: common.id, to: address, sentAt: common.sentAt, replyTo: replyToSchema }),
]);

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/** Decodes a stream entry's fields (flat `[name, value, …]` as Redis returns them). */
export function decodeEntry(fields: readonly string[]): Result<Envelope, string> {
  let raw: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === ENVELOPE_FIELD) raw = fields[i + 1];
  }
  if (raw === undefined) return err(`entry has no "${ENVELOPE_FIELD}" field`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return err('entry is not JSON');
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err(`malformed envelope: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`);
  }
  return ok(parsed.data as Envelope);
}

const replySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('reply'), correlationId: z.string(), body: z.unknown() }),
  z.object({ type: z.literal('reply-error'), correlationId: z.string(), code: z.literal('DEAD_LETTER'), detail: z.string() }),
]);

export function decodeReply(raw: string): Reply | null {
  try {
    const parsed = replySchema.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as Reply) : null;
  } catch {
    return null;
  }
}
