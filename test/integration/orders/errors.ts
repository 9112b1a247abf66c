import { expect } from 'vitest';

/** The CONTRACT.md error body with one error of `code` (and its status); any non-empty detail. */
export function errorBody(status: number, code: string) {
  return { errors: [{ status: String(status), code, detail: expect.stringMatching(/\S/) }] };
}

/** The same, with a detail that says `detail`. */
export function errorWithDetail(status: number, code: string, detail: RegExp) {
  return { errors: [{ status: String(status), code, detail: expect.stringMatching(detail) }] };
}
