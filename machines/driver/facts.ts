import type { GeoPoint } from '../dispatch/geo.ts';
import type { ReleaseReason } from '../dispatch/protocol.ts';
import type { DriverContext, DriverPosition, PendingOffer } from './state.ts';

/**
 * What happened to a driver: the chart's events. The decider turns a message into facts; the chart says whether
 * they may happen now and folds them into the context (`applyDriverFact`).
 */
export type DriverFact =
  | { readonly type: 'WentOnline'; readonly at: number }
  | { readonly type: 'WentOffline'; readonly at: number }
  | { readonly type: 'Pinged'; readonly position: DriverPosition; readonly at: number }
  | { readonly type: 'OfferReserved'; readonly offer: PendingOffer }
  | { readonly type: 'OfferAccepted'; readonly offerId: string; readonly at: number; readonly loadWindowMs: number }
  | { readonly type: 'OfferReleased'; readonly offerId: string; readonly reason: ReleaseReason }
  | { readonly type: 'TripEnded'; readonly orderId: string }
  | { readonly type: 'CellSynced'; readonly cell: string | null; readonly version: number; readonly listedAt: number | null; readonly listedPosition: GeoPoint | null };

export type DriverFactType = DriverFact['type'];


export function applyDriverFact(context: DriverContext, fact: DriverFact): DriverContext {
  switch (fact.type) {
    case 'WentOnline':
    case 'WentOffline':
      return context;
    case 'Pinged':
      return { ...context, position: fact.position, lastPingAt: fact.at };
    case 'OfferReserved':
      return { ...context, offer: fact.offer };
    case 'OfferAccepted': {
      const offer = context.offer;
      if (!offer) return context;
      const { reservedAt: _r, expiresAt: _e, ...details } = offer;
      const recentTrips = [...context.recentTrips.filter((t) => t > fact.at - fact.loadWindowMs), fact.at].slice(-20);
      return { ...context, offer: null, trip: { ...details, assignedAt: fact.at }, recentTrips };
    }
    case 'OfferReleased':
      return { ...context, offer: null };
    case 'TripEnded':
      return { ...context, trip: null };
    case 'CellSynced':
      return { ...context, cell: fact.cell, version: fact.version, listedAt: fact.listedAt, listedPosition: fact.listedPosition };
    default: {
      const _exhaustive: never = fact;
      return _exhaustive;
    }
  }
}
