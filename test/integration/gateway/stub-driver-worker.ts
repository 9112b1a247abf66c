// A worker process hosting a stand-in `driver` kind that speaks the driver actor's protocol (SetStatus, Ping,
// AcceptOffer, DeclineOffer, and GetCurrentWork, which the gateway asks on connect): the gateway's driver events are
// tested against it, independently of dispatch.
import { z } from 'zod';
import { hosted, type ActorBehavior } from '../../../actors/behavior.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { runWorker, workerConfigFromEnv } from '../../../src/processes/worker.ts';
import { err, ok } from '../../../src/shared/result.ts';

const pingSchema = z.object({ type: z.literal('Ping'), lat: z.number(), lng: z.number(), heading: z.number().optional(), speedKph: z.number().optional(), at: z.string() }).strict();
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('SetStatus'), status: z.enum(['ONLINE', 'OFFLINE']) }).strict(),
  pingSchema,
  z.object({ type: z.literal('AcceptOffer'), offerId: z.string() }).strict(),
  z.object({ type: z.literal('DeclineOffer'), offerId: z.string() }).strict(),
  z.object({ type: z.literal('GetCurrentWork') }).strict(),
]);
type Message = z.output<typeof messageSchema>;

/** Offers whose id starts with this exist; any other is NOT_FOUND. */
const KNOWN_OFFER_PREFIX = 'OFR-OK';

interface StubState {
  readonly status: 'ONLINE' | 'OFFLINE';
  readonly pings: number;
  readonly last: Omit<z.output<typeof pingSchema>, 'type'> | null;
}

const stubDriver: ActorBehavior<StubState, Message> = {
  kind: 'driver',
  parse(body) {
    const parsed = messageSchema.safeParse(body);
    return parsed.success ? ok(parsed.data) : err(parsed.error.issues[0]?.message ?? 'invalid driver message');
  },
  initialState: () => ({ status: 'OFFLINE', pings: 0, last: null }),
  describe: (state) => ({ value: state.status, context: state }),
  decide(state, message) {
    switch (message.type) {
      case 'SetStatus':
        return { state: { ...state, status: message.status }, effects: [{ type: 'reply', body: { ok: true, status: message.status } }] };
      case 'Ping': {
        if (state.status === 'OFFLINE') {
          return { state, effects: [{ type: 'reply', body: { ok: false, error: { code: 'INVALID_TRANSITION', detail: 'Go online before sending locations' } } }] };
        }
        const { type: _type, ...ping } = message;
        const next = { ...state, pings: state.pings + 1, last: ping };
        return { state: next, effects: [{ type: 'reply', body: { ok: true, pings: next.pings } }] };
      }
      case 'AcceptOffer':
        return message.offerId.startsWith(KNOWN_OFFER_PREFIX)
          ? { state, effects: [{ type: 'reply', body: { ok: true, offerId: message.offerId, orderId: 'ORD-offered' } }] }
          : { state, effects: [{ type: 'reply', body: { ok: false, error: { code: 'NOT_FOUND', detail: `No offer ${message.offerId}` } } }] };
      case 'DeclineOffer':
        return { state, effects: [{ type: 'reply', body: { ok: true, offerId: message.offerId } }] };
      case 'GetCurrentWork':
        // The stand-in never holds an offer or a trip.
        return { state, effects: [{ type: 'reply', body: { ok: true, offer: null, trip: null } }] };
      default: {
        const _exhaustive: never = message;
        return _exhaustive;
      }
    }
  },
};

const config = workerConfigFromEnv();
await runWorker({ config, behaviors: [hosted(stubDriver)], log: createLogger({ name: 'stub-driver-worker', level: config.logLevel }) });
