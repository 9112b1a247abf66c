// The contract's error shape, as REST bodies and socket acks carry it, reduced to what the simulator counts.

/** An error as the simulator counts it: a CONTRACT code (or a transport one, e.g. HTTP_502, ACK_TIMEOUT) and a detail. */
export interface WireError {
  readonly code: string;
  readonly detail: string;
}

/** The first error of `{ errors: [ { code, detail } ] }`, or null when the body is not that shape. */
export function errorOf(body: unknown): WireError | null {
  const first = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(first) || first.length === 0) return null;
  const e = first[0] as { code?: unknown; detail?: unknown } | null;
  if (typeof e?.code !== 'string' || e.code === '') return null;
  return { code: e.code, detail: typeof e.detail === 'string' ? e.detail : '' };
}

/** Whether a socket ack is `{ ok: true, … }`. */
export const isOkAck = (ack: unknown): ack is { ok: true } & Record<string, unknown> => (ack as { ok?: unknown } | null)?.ok === true;

/** The error of an ack that is not ok: its contract error, or MALFORMED_ACK. */
export const ackError = (ack: unknown): WireError => errorOf(ack) ?? { code: 'MALFORMED_ACK', detail: JSON.stringify(ack)?.slice(0, 200) ?? 'undefined' };

/** Codes worth another try a moment later: the system is busy or restarting, not refusing. */
export const TRANSIENT = new Set(['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED', 'INTERNAL', 'ACK_TIMEOUT', 'HTTP_NETWORK', 'HTTP_TIMEOUT', 'SOCKET_NOT_CONNECTED']);

export const isTransient = (code: string): boolean => TRANSIENT.has(code) || /^HTTP_5\d\d$/.test(code);
