import type { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import type { Clock } from '../src/shared/clock.ts';
import { sendReply, type ActorClient } from './client.ts';
import type { Envelope, Reply } from './envelope.ts';
import type { RuntimeKeys } from './keys.ts';
import type { PlannedEffect } from './store.ts';
import type { Timers } from './timers.ts';

/** The envelope a planned send travels in; `sentAt` is the sender's clock, ms (latency metrics only). */
export function tellOf(effect: Extract<PlannedEffect, { type: 'send' }>, sentAt: number): Envelope {
  return { type: 'tell', id: effect.id, to: effect.to, from: effect.from, body: effect.body, sentAt };
}

/** The reply a planned reply appends to its asker's reply stream. */
export function replyOf(effect: Extract<PlannedEffect, { type: 'reply' }>): Reply {
  return { type: 'reply', correlationId: effect.replyTo.correlationId, body: effect.body };
}

/** Carries out committed effects. Every effect is idempotent, so running a batch twice is harmless. */
export type EffectRunner = (effects: readonly PlannedEffect[]) => Promise<void>;

export function createEffectRunner(deps: {
  redis: Redis;
  keys: RuntimeKeys;
  client: ActorClient;
  timers: Timers;
  clock: Clock;
  /** Publishes Socket.IO broadcasts for the gateways' Redis adapter. */
  sockets: Emitter;
}): EffectRunner {
  const run = async (effect: PlannedEffect): Promise<void> => {
    switch (effect.type) {
      case 'send':
        await deps.client.deliver(tellOf(effect, deps.clock.now()));
        return;
      case 'reply':
        await sendReply(deps.redis, deps.keys, effect.replyTo, replyOf(effect));
        return;
      case 'schedule':
        await deps.timers.schedule(effect);
        return;
      case 'cancel':
        await deps.timers.cancel(effect.jobId);
        return;
      case 'push':
        deps.sockets.of(effect.namespace).to([...effect.rooms]).emit(effect.event, effect.data);
        return;
      default: {
        const _exhaustive: never = effect;
        return _exhaustive;
      }
    }
  };
  // All at once, not one round trip after another: sends, replies and pushes are issued in order on one
  // connection, which keeps their order; timer operations are chained, so a cancel followed by a schedule of the
  // same timer is never reordered (BullMQ calls do not go out the moment they are made).
  return async (effects) => {
    const started: Promise<void>[] = [];
    let timers: Promise<void> | null = null;
    for (const effect of effects) {
      if (effect.type === 'schedule' || effect.type === 'cancel') {
        timers = timers === null ? run(effect) : timers.then(() => run(effect));
        started.push(timers);
      } else {
        started.push(run(effect));
      }
    }
    await Promise.all(started);
  };
}
