/**
 * Every error code the system can answer with, and its HTTP status. Codes are part of the public contract
 * (CONTRACT.md "Errors"): clients match on them, so a code is never renamed or reused for something else.
 * Socket error acks use the same codes; `status` then only travels inside the body.
 */

interface ErrorDefinition<C extends string> {
  /** Equal to the key it is stored under, so a definition can be passed around on its own. */
  readonly code: C;
  /** HTTP status, 4xx for the caller's mistakes, 5xx for ours. */
  readonly status: number;
}

/** Makes the compiler check that each definition's `code` equals its key. */
function defineErrors<T extends { [K in keyof T]: ErrorDefinition<K & string> }>(definitions: T): T {
  return definitions;
}

export const errorRegistry = defineErrors({
  VALIDATION_FAILED: { code: 'VALIDATION_FAILED', status: 400 },
  INVALID_ADDRESS: { code: 'INVALID_ADDRESS', status: 400 },
  UNAUTHENTICATED: { code: 'UNAUTHENTICATED', status: 401 },
  FORBIDDEN: { code: 'FORBIDDEN', status: 403 },
  NOT_FOUND: { code: 'NOT_FOUND', status: 404 },
  CONFLICT: { code: 'CONFLICT', status: 409 },
  ALREADY_ACCEPTED: { code: 'ALREADY_ACCEPTED', status: 409 },
  INVALID_TRANSITION: { code: 'INVALID_TRANSITION', status: 409 },
  CANCELLATION_DENIED: { code: 'CANCELLATION_DENIED', status: 409 },
  PAYLOAD_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', status: 413 },
  IDEMPOTENCY_KEY_REUSED: { code: 'IDEMPOTENCY_KEY_REUSED', status: 422 },
  RATE_LIMITED: { code: 'RATE_LIMITED', status: 429 },
  INTERNAL: { code: 'INTERNAL', status: 500 },
  UNAVAILABLE: { code: 'UNAVAILABLE', status: 503 },
  TIMEOUT: { code: 'TIMEOUT', status: 504 },
} as const);

export type ErrorCode = keyof typeof errorRegistry;

export const errorCodes = Object.keys(errorRegistry) as ErrorCode[];

export function statusOf(code: ErrorCode): number {
  return errorRegistry[code].status;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorRegistry, value);
}
