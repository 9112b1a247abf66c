import type { ActorAddress } from './address.ts';
import type { ActorBehavior, Effect, MessageMeta } from './behavior.ts';
import type { MessageEnvelope } from './envelope.ts';
import { RECENT_IDS_KEPT, type ActorRecord, type PlannedEffect } from './store.ts';
import { NO_ENTRY, compareStreamIds } from './stream-id.ts';
import { timerJobId } from './timers.ts';
import { derivedMessageId } from './message-id.ts';

/** One inbox entry, decoded and routed to its actor. */
export interface InboxMessage {
  readonly entryId: string;
  readonly envelope: MessageEnvelope;
}

export type MessageOutcome = 'applied' | 'duplicate' | 'dead-letter';

export interface AppliedBatch {
  readonly record: ActorRecord;
  /** Every entry of the batch: applied, duplicate and dead-lettered ones are all settled by the commit. */
  readonly ackIds: readonly string[];
  readonly outcomes: readonly { message: InboxMessage; outcome: MessageOutcome; reason?: string }[];
  /** Whether any message of the batch was applied (not a duplicate, not dead-lettered). */
  readonly applied: boolean;
  /**
   * False when every decision returned the very state it was given (a query): nothing needs persisting, so the host
   * may run the effects and then only acknowledge — a redelivery would decide the same again.
   */
  readonly stateChanged: boolean;
}

export function initialRecord(state: unknown): ActorRecord {
  return { state, appliedThrough: NO_ENTRY, recentIds: [], outbox: [] };
}

/**
 * The host's pure step: folds a batch of messages (in inbox order) into the actor's record. A message at or below
 * `appliedThrough`, or whose id was applied recently, is a duplicate and changes nothing. A body the behaviour
 * rejects, or a `decide` that throws, dead-letters that message and leaves the state as it was.
 * The record's outbox becomes the effects of this batch (the previous outbox if nothing was applied).
 */
export function applyBatch(
  behavior: ActorBehavior<unknown, unknown>,
  self: ActorAddress,
  record: ActorRecord,
  batch: readonly InboxMessage[],
  now: number,
): AppliedBatch {
  let { state, appliedThrough } = record;
  const recentIds = [...record.recentIds];
  const outbox: PlannedEffect[] = [];
  const outcomes: AppliedBatch['outcomes'][number][] = [];
  let appliedAny = false;

  for (const message of batch) {
    const { entryId, envelope } = message;
    if (compareStreamIds(entryId, appliedThrough) <= 0 || recentIds.includes(envelope.id)) {
      outcomes.push({ message, outcome: 'duplicate' });
      continue;
    }
    appliedThrough = entryId;
    remember(recentIds, envelope.id);

    const parsed = behavior.parse(envelope.body);
    if (!parsed.ok) {
      outcomes.push({ message, outcome: 'dead-letter', reason: `invalid ${behavior.kind} message: ${parsed.error}` });
      continue;
    }
    let decision;
    try {
      decision = behavior.decide(state, parsed.value, metaOf(self, envelope, now));
    } catch (e) {
      outcomes.push({ message, outcome: 'dead-letter', reason: `${behavior.kind} decide threw: ${e instanceof Error ? e.message : String(e)}` });
      continue;
    }
    state = decision.state;
    appliedAny = true;
    for (let i = 0; i < decision.effects.length; i++) {
      const planned = plan(decision.effects[i] as Effect, self, envelope, derivedMessageId(self, envelope.id, i), now);
      if (planned) outbox.push(planned);
    }
    outcomes.push({ message, outcome: 'applied' });
  }

  return {
    record: { state, appliedThrough, recentIds, outbox: appliedAny ? outbox : record.outbox },
    applied: appliedAny,
    stateChanged: state !== record.state,
    ackIds: batch.map((m) => m.entryId),
    outcomes,
  };
}

function remember(recentIds: string[], id: string): void {
  recentIds.push(id);
  while (recentIds.length > RECENT_IDS_KEPT) recentIds.shift();
}

/** Built field by field: this runs for every message, and spreads of optional parts allocate. */
function metaOf(self: ActorAddress, envelope: MessageEnvelope, now: number): MessageMeta {
  const meta: { -readonly [K in keyof MessageMeta]: MessageMeta[K] } = { self, messageId: envelope.id, now, isAsk: envelope.type === 'ask' };
  if (envelope.type === 'timer') meta.timerId = envelope.timerId;
  else if (envelope.from) meta.from = envelope.from;
  return meta;
}

/** Resolves a decision's effect; the derived id makes a replayed send a duplicate the receiver drops. */
function plan(effect: Effect, self: ActorAddress, cause: MessageEnvelope, id: string, now: number): PlannedEffect | null {
  switch (effect.type) {
    case 'send':
      return { type: 'send', id, to: effect.to, from: self, body: effect.body };
    case 'reply':
      return cause.type === 'ask' ? { type: 'reply', replyTo: cause.replyTo, body: effect.body } : null;
    case 'schedule':
      return {
        type: 'schedule',
        jobId: timerJobId(self, effect.timerId),
        to: self,
        timerId: effect.timerId,
        fireAt: now + Math.max(0, effect.delayMs),
        body: effect.body,
      };
    case 'cancel':
      return { type: 'cancel', jobId: timerJobId(self, effect.timerId) };
    case 'push':
      return effect;
    default: {
      const _exhaustive: never = effect;
      return _exhaustive;
    }
  }
}
