import { describe, expect, it } from 'vitest';
import { actorAddress } from '../../../actors/address.ts';
import { applyBatch, initialRecord, type InboxMessage } from '../../../actors/apply.ts';
import { hosted } from '../../../actors/behavior.ts';
import type { Envelope } from '../../../actors/envelope.ts';
import { derivedMessageId } from '../../../actors/message-id.ts';
import { counterBehavior, type CounterState } from '../../support/counter-actor.ts';

const self = actorAddress('counter', 'C-1');
const behavior = hosted(counterBehavior('test'));
const tell = (entryId: string, id: string, body: unknown): InboxMessage => ({
  entryId,
  envelope: { type: 'tell', id, to: self, body, sentAt: 0 },
});
const ask = (entryId: string, id: string, body: unknown): InboxMessage => ({
  entryId,
  envelope: { type: 'ask', id, to: self, body, sentAt: 0, replyTo: { client: 'api-1', correlationId: 'corr-1' } } satisfies Envelope,
});
const seqs = (state: unknown) => (state as CounterState).seqs;

describe('applyBatch', () => {
  it('given a fresh actor, when a batch arrives, then messages apply in order and every entry is acknowledged', () => {
    const out = applyBatch(behavior, self, initialRecord(behavior.initialState('C-1')), [tell('1-0', 'a', { type: 'add', seq: 1 }), tell('2-0', 'b', { type: 'add', seq: 2 })], 1000);
    expect(seqs(out.record.state)).toEqual([1, 2]);
    expect(out.record.appliedThrough).toBe('2-0');
    expect(out.ackIds).toEqual(['1-0', '2-0']);
    expect(out.outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied']);
  });

  it('given an entry at or below appliedThrough, when it is redelivered, then it is acknowledged and not applied again', () => {
    const first = applyBatch(behavior, self, initialRecord(behavior.initialState('C-1')), [tell('5-0', 'a', { type: 'add', seq: 1 })], 0);
    const again = applyBatch(behavior, self, first.record, [tell('5-0', 'a', { type: 'add', seq: 1 }), tell('4-0', 'z', { type: 'add', seq: 9 })], 0);
    expect(seqs(again.record.state)).toEqual([1]);
    expect(again.outcomes.map((o) => o.outcome)).toEqual(['duplicate', 'duplicate']);
    expect(again.ackIds).toEqual(['5-0', '4-0']);
  });

  it('given a message id applied recently, when it arrives again in a new entry, then it is a duplicate', () => {
    const first = applyBatch(behavior, self, initialRecord(behavior.initialState('C-1')), [tell('1-0', 'same', { type: 'add', seq: 1 })], 0);
    const again = applyBatch(behavior, self, first.record, [tell('2-0', 'same', { type: 'add', seq: 1 })], 0);
    expect(seqs(again.record.state)).toEqual([1]);
    expect(again.outcomes[0]?.outcome).toBe('duplicate');
  });

  it('given an invalid body or a throwing decide, then that message is dead-lettered and the state is unchanged', () => {
    const out = applyBatch(
      behavior,
      self,
      initialRecord(behavior.initialState('C-1')),
      [tell('1-0', 'a', { type: 'nope' }), tell('2-0', 'b', { type: 'boom' }), tell('3-0', 'c', { type: 'add', seq: 3 })],
      0,
    );
    expect(out.outcomes.map((o) => o.outcome)).toEqual(['dead-letter', 'dead-letter', 'applied']);
    expect(out.outcomes[1]?.reason).toMatch(/boom requested/);
    expect(seqs(out.record.state)).toEqual([3]);
    expect(out.record.appliedThrough).toBe('3-0');
  });

  it('given effects, then they are planned with derived ids, absolute due times and the asker to reply to', () => {
    const out = applyBatch(
      behavior,
      self,
      initialRecord(behavior.initialState('C-1')),
      [tell('1-0', 'm1', { type: 'forward', toId: 'C-2', seq: 5 }), tell('2-0', 'm2', { type: 'arm', timerId: 't:1', delayMs: 250 }), ask('3-0', 'm3', { type: 'get' })],
      10_000,
    );
    expect(out.record.outbox).toEqual([
      { type: 'send', id: derivedMessageId(self, 'm1', 0), to: 'counter:C-2', from: self, body: { type: 'add', seq: 5 } },
      { type: 'schedule', jobId: 'counter/C-1/t%3A1', to: self, timerId: 't:1', fireAt: 10_250, body: { type: 'ring' } },
      { type: 'reply', replyTo: { client: 'api-1', correlationId: 'corr-1' }, body: out.record.state },
    ]);
  });

  it('given a reply to a tell, then no reply is planned', () => {
    const out = applyBatch(behavior, self, initialRecord(behavior.initialState('C-1')), [tell('1-0', 'm1', { type: 'get' })], 0);
    expect(out.record.outbox).toEqual([]);
  });

  it('given a batch of only duplicates, then the previous outbox is kept for replay', () => {
    const first = applyBatch(behavior, self, initialRecord(behavior.initialState('C-1')), [tell('1-0', 'm1', { type: 'forward', toId: 'C-2', seq: 5 })], 0);
    const again = applyBatch(behavior, self, first.record, [tell('1-0', 'm1', { type: 'forward', toId: 'C-2', seq: 5 })], 0);
    expect(again.record.outbox).toEqual(first.record.outbox);
  });
});
