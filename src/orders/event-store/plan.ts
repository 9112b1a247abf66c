import type { AppendError, Appended, AppendRequest, StoredEvent } from './event-store.ts';

/**
 * The store-independent half of an append: checking a request before it joins a group (so a malformed one
 * fails alone) and deciding, for a group of appends against the streams' current versions and applied
 * causation ids, which append and which are rejected. Pure; both implementations of the port use it.
 */

export interface PreparedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  /** `data` serialised once, up front. */
  readonly dataJson: string;
  /** Normalised ISO-8601 UTC. */
  readonly occurredAt: string;
}

export interface PreparedAppend {
  readonly streamId: string;
  readonly expectedVersion: number;
  readonly causationId: string;
  readonly events: readonly PreparedEvent[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates and normalises a request; throws a TypeError for a malformed one (a caller's bug, not a conflict). */
export function prepareAppend(streamId: string, request: Pick<AppendRequest, 'expectedVersion' | 'causationId' | 'events'>): PreparedAppend {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError('append: streamId must be a non-empty string');
  const { expectedVersion, causationId, events } = request;
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new TypeError(`append(${streamId}): expectedVersion must be an integer >= 0, got ${String(expectedVersion)}`);
  }
  if (typeof causationId !== 'string' || causationId.length === 0) throw new TypeError(`append(${streamId}): causationId must be a non-empty string`);
  const prepared = events.map((event, i): PreparedEvent => {
    if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) throw new TypeError(`append(${streamId}): events[${i}].eventId must be a UUID`);
    if (typeof event.type !== 'string' || event.type.length === 0) throw new TypeError(`append(${streamId}): events[${i}].type must be a non-empty string`);
    const at = new Date(event.occurredAt);
    if (typeof event.occurredAt !== 'string' || Number.isNaN(at.getTime())) {
      throw new TypeError(`append(${streamId}): events[${i}].occurredAt must be an ISO-8601 time`);
    }
    const dataJson = JSON.stringify(event.data) as string | undefined;
    if (dataJson === undefined) throw new TypeError(`append(${streamId}): events[${i}].data must be JSON-serialisable`);
    return { eventId: event.eventId.toLowerCase(), type: event.type, data: event.data, dataJson, occurredAt: at.toISOString() };
  });
  return { streamId, expectedVersion, causationId, events: prepared };
}

export type Decision = { readonly kind: 'append'; readonly appended: Appended } | { readonly kind: 'reject'; readonly error: AppendError };

/** The state a group is decided against: stream versions and the causation ids already applied per stream. */
export interface StreamsState {
  /** Current version per stream; a stream missing here is at version 0. */
  readonly versions: ReadonlyMap<string, number>;
  /** `causationKey(stream, causation)` → the stream's version right after that command. */
  readonly causations: ReadonlyMap<string, number>;
}

export const causationKey = (streamId: string, causationId: string): string => `${streamId}\u0000${causationId}`;

/**
 * Decides a group in arrival order. Appends to one stream chain: the first at the current version wins and
 * moves the version on, so a later one at the same version is a CONFLICT, and a repeated causation id is a
 * DUPLICATE of the earlier one even inside the same group.
 */
export function planGroup(appends: readonly PreparedAppend[], state: StreamsState, recordedAt: string): Decision[] {
  const versions = new Map(state.versions);
  const causations = new Map<string, number>();
  return appends.map((a): Decision => {
    const key = causationKey(a.streamId, a.causationId);
    const applied = causations.get(key) ?? state.causations.get(key);
    if (applied !== undefined) return { kind: 'reject', error: { code: 'DUPLICATE', version: applied } };
    const current = versions.get(a.streamId) ?? 0;
    if (current !== a.expectedVersion) {
      return { kind: 'reject', error: { code: 'CONFLICT', expectedVersion: a.expectedVersion, actualVersion: current } };
    }
    const version = current + a.events.length;
    versions.set(a.streamId, version);
    causations.set(key, version);
    const events = a.events.map(
      (e, i): StoredEvent => ({
        streamId: a.streamId,
        seq: current + i + 1,
        eventId: e.eventId,
        type: e.type,
        data: e.data,
        causationId: a.causationId,
        occurredAt: e.occurredAt,
        recordedAt,
      }),
    );
    return { kind: 'append', appended: { streamId: a.streamId, causationId: a.causationId, previousVersion: current, version, events } };
  });
}
