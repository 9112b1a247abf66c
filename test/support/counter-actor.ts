import { z } from 'zod';
import type { ActorBehavior } from '../../actors/behavior.ts';
import { actorAddress } from '../../actors/address.ts';
import { err, ok } from '../../src/shared/result.ts';

/**
 * The actor kind the runtime's tests drive: it records every `add` it applies, so a test can see whether each
 * message was applied exactly once and in order.
 */
export interface CounterState {
  readonly seqs: readonly number[];
  readonly rings: number;
  /** The worker that applied each seq — shows which process wrote. */
  readonly writers: readonly string[];
  /** Counted by `touch`, a change the host may write late (absent in records written before it existed). */
  readonly touches?: number;
  /** Set by `finish`: the host may drop the actor from memory after each write (see `ActorBehavior.finished`). */
  readonly finished?: boolean;
}

const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('add'), seq: z.number().int(), writer: z.string().optional() }),
  z.object({ type: z.literal('get') }),
  z.object({ type: z.literal('arm'), timerId: z.string(), delayMs: z.number().int().nonnegative() }),
  z.object({ type: z.literal('disarm'), timerId: z.string() }),
  /** Cancels the timer and schedules it again, in one decision. */
  z.object({ type: z.literal('rearm'), timerId: z.string(), delayMs: z.number().int().nonnegative() }),
  z.object({ type: z.literal('ring') }),
  z.object({ type: z.literal('touch') }),
  z.object({ type: z.literal('forward'), toId: z.string(), seq: z.number().int() }),
  /** Adds `seq` here and sends `add` `seq` to `toId`, in one decision: a change that is written, with a send. */
  z.object({ type: z.literal('relay'), toId: z.string(), seq: z.number().int() }),
  /** Sends `add` for each of `seqs` to one actor, in one decision. */
  z.object({ type: z.literal('fan'), toId: z.string(), seqs: z.array(z.number().int()) }),
  z.object({ type: z.literal('boom') }),
  /** Finishes; with `toId`, also sends `add` `seq` to that actor in the same decision. */
  z.object({ type: z.literal('finish'), toId: z.string().optional(), seq: z.number().int().optional() }),
]);
export type CounterMessage = z.infer<typeof messageSchema>;

/** `deferMs`: how late the host may write what `touch` changes. */
export function counterBehavior(writer = `pid-${process.pid}`, deferMs = 1_000): ActorBehavior<CounterState, CounterMessage> {
  return {
    kind: 'counter',
    parse: (body) => {
      const parsed = messageSchema.safeParse(body);
      return parsed.success ? ok(parsed.data) : err(parsed.error.issues[0]?.message ?? 'invalid');
    },
    initialState: () => ({ seqs: [], rings: 0, writers: [] }),
    // Only a batch of touches (nothing else changed) may be written late.
    deferrable: {
      changes: (before, after) =>
        before.seqs === after.seqs && before.rings === after.rings && before.writers === after.writers && before.finished === after.finished,
      maxMs: deferMs,
    },
    finished: (state) => state.finished === true,
    decide(state, message) {
      switch (message.type) {
        case 'add':
          return { state: { ...state, seqs: [...state.seqs, message.seq], writers: [...state.writers, writer] }, effects: [] };
        case 'get':
          return { state, effects: [{ type: 'reply', body: state }] };
        case 'arm':
          return { state, effects: [{ type: 'schedule', timerId: message.timerId, delayMs: message.delayMs, body: { type: 'ring' } }] };
        case 'disarm':
          return { state, effects: [{ type: 'cancel', timerId: message.timerId }] };
        case 'rearm':
          return {
            state,
            effects: [
              { type: 'cancel', timerId: message.timerId },
              { type: 'schedule', timerId: message.timerId, delayMs: message.delayMs, body: { type: 'ring' } },
            ],
          };
        case 'ring':
          return { state: { ...state, rings: state.rings + 1 }, effects: [] };
        case 'touch':
          return { state: { ...state, touches: (state.touches ?? 0) + 1 }, effects: [] };
        case 'forward':
          return { state, effects: [{ type: 'send', to: actorAddress('counter', message.toId), body: { type: 'add', seq: message.seq } }] };
        case 'relay':
          return {
            state: { ...state, seqs: [...state.seqs, message.seq], writers: [...state.writers, writer] },
            effects: [{ type: 'send', to: actorAddress('counter', message.toId), body: { type: 'add', seq: message.seq } }],
          };
        case 'fan':
          return { state, effects: message.seqs.map((seq) => ({ type: 'send', to: actorAddress('counter', message.toId), body: { type: 'add', seq } })) };
        case 'boom':
          throw new Error('boom requested');
        case 'finish':
          return {
            state: { ...state, finished: true },
            effects: message.toId === undefined ? [] : [{ type: 'send', to: actorAddress('counter', message.toId), body: { type: 'add', seq: message.seq ?? 0 } }],
          };
        default: {
          const _exhaustive: never = message;
          return _exhaustive;
        }
      }
    },
  };
}
