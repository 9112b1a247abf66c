import { isErrorCode, statusOf } from './registry.ts';
import type { ErrorCode } from './registry.ts';

/**
 * An expected failure on its way to a client: a stable code and a short human sentence. A value, not an
 * `Error` (no stack): functions return it inside a `Result`. `detail` is shown to clients as is, so it never
 * holds internals (stack traces, SQL, library messages).
 */
export interface AppError {
  readonly code: ErrorCode;
  readonly detail: string;
}

export function appError(code: ErrorCode, detail: string): AppError {
  return { code, detail };
}

/** Recognises an AppError that crossed an untyped boundary (e.g. passed to Express's `next`). */
export function isAppError(value: unknown): value is AppError {
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  const candidate = value as { code?: unknown; detail?: unknown };
  return isErrorCode(candidate.code) && typeof candidate.detail === 'string';
}

/** The body of every REST error and every socket error ack (CONTRACT.md "Errors"). */
export interface ErrorBody {
  errors: Array<{ status: string; code: ErrorCode; detail: string }>;
}

export function toErrorBody(e: AppError): ErrorBody {
  return { errors: [{ status: String(statusOf(e.code)), code: e.code, detail: e.detail }] };
}
