import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Principal } from '../src/auth/principal.ts';
import { appError, toErrorBody, type AppError, type ErrorBody } from '../src/errors/app-error.ts';
import { fromZodError } from '../src/errors/zod.ts';
import type { Logger } from '../src/observability/logger.ts';
import type { TokenBucket } from './rate-limit.ts';

/** What every client → server event is answered with (CONTRACT.md "Sockets"): `{ ok: true, … }` or the error body. */
export type Ack = OkAck | ErrorBody;
export type OkAck = { readonly ok: true } & { readonly [field: string]: unknown };

export const failure = (e: AppError): ErrorBody => toErrorBody(e);

export interface EventContext {
  readonly socket: Socket;
  readonly principal: Principal;
}

/** One client event: validates its payload and, when valid, does the work. Never throws for the caller's mistakes. */
export interface EventHandler {
  handle(payload: unknown, ctx: EventContext): Promise<Ack> | Ack;
}

/** The events a namespace accepts, by name. */
export type EventTable = Readonly<Record<string, EventHandler>>;

/** A handler whose payload is checked against `schema` first: a bad payload is answered VALIDATION_FAILED, nothing done. */
export function onEvent<T>(schema: z.ZodType<T>, handle: (input: T, ctx: EventContext) => Promise<Ack>): EventHandler {
  return {
    handle(payload, ctx) {
      const parsed = schema.safeParse(payload);
      return parsed.success ? handle(parsed.data, ctx) : failure(fromZodError(parsed.error));
    },
  };
}

/**
 * The work a gateway has accepted and not yet answered. A stopping gateway drains it (every accepted event is
 * answered before the connections close) and refuses new work meanwhile.
 */
export interface WorkTracker {
  readonly draining: boolean;
  track<T>(work: Promise<T>): Promise<T>;
  /** Stops accepting work; resolves once nothing is in flight. */
  drain(): Promise<void>;
}

export function workTracker(): WorkTracker {
  let inFlight = 0;
  let draining = false;
  const idle: Array<() => void> = [];
  return {
    get draining() {
      return draining;
    },
    track(work) {
      inFlight += 1;
      return work.finally(() => {
        inFlight -= 1;
        if (inFlight === 0) for (const resolve of idle.splice(0)) resolve();
      });
    },
    drain() {
      draining = true;
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
  };
}

export interface DispatchOptions {
  readonly namespace: string;
  readonly events: EventTable;
  readonly bucket: TokenBucket;
  readonly work: WorkTracker;
  readonly log: Logger;
  /** Told of every answered event: its name (`other` when unknown), `ok` or the error code, and the seconds taken. */
  readonly observe?: (event: string, outcome: string, seconds: number) => void;
}

type AckCallback = (body: Ack) => void;

/**
 * Routes every event a socket sends: rate limit, ack callback present, known event, one payload, then the handler.
 * Whatever is wrong is answered through the ack (when there is one) and changes nothing; the socket stays connected.
 */
export function dispatchEvents(ctx: EventContext, options: DispatchOptions): void {
  const { events, bucket, work, log, namespace, observe } = options;
  ctx.socket.onAny((event: unknown, ...args: unknown[]) => {
    const last = args.at(-1);
    const received = performance.now();
    const known = typeof event === 'string' && Object.hasOwn(events, event) ? event : 'other';
    const reply = typeof last === 'function' ? (last as AckCallback) : undefined;
    const ack: AckCallback | undefined =
      reply && observe
        ? (body) => {
            reply(body);
            observe(known, 'ok' in body ? 'ok' : (body.errors[0]?.code ?? 'error'), (performance.now() - received) / 1000);
          }
        : reply;
    const payloads = ack ? args.slice(0, -1) : args;
    if (!bucket.take()) {
      ack?.(failure(appError('RATE_LIMITED', 'Too many events from this connection; slow down')));
      return;
    }
    if (!ack) {
      // Nothing to answer through: the event is dropped, as the contract requires an ack callback on every event.
      log.debug({ nsp: namespace, event: label(event) }, 'socket event without an ack callback ignored');
      return;
    }
    if (work.draining) return ack(failure(appError('UNAVAILABLE', 'This gateway is shutting down; reconnect and retry')));
    const handler = typeof event === 'string' && Object.hasOwn(events, event) ? events[event] : undefined;
    if (!handler) return ack(failure(appError('NOT_FOUND', `No event "${label(event)}" on ${namespace}`)));
    if (payloads.length !== 1) return ack(failure(appError('VALIDATION_FAILED', 'An event carries exactly one payload object before its ack callback')));
    void work.track(Promise.resolve().then(() => handler.handle(payloads[0], ctx))).then(ack, (e: unknown) => {
      log.error({ err: e, nsp: namespace, event }, 'socket event handler failed');
      ack(failure(appError('INTERNAL', 'Something went wrong on our side; please try again')));
    });
  });
}

/** An event name fit for a detail or a log line: printable, short. */
function label(event: unknown): string {
  return String(event)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 64);
}
