import type { z } from 'zod';
import { appError } from './app-error.ts';
import type { AppError } from './app-error.ts';

/** At most this many fields are named in a detail, so a wildly wrong body still gets a short answer. */
const maxFieldsNamed = 5;

/**
 * A failed request validation as VALIDATION_FAILED, naming the offending fields
 * (e.g. `Invalid field(s): items.0.quantity, deliveryAddress.zipCode`). Zod's own messages are left out:
 * they are written for developers and may echo input.
 */
export function fromZodError(error: z.ZodError): AppError {
  const names: string[] = [];
  for (const issue of error.issues) {
    const fields = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const path of fields) {
      const name = path.length === 0 ? '(body)' : path.map(String).join('.');
      if (!names.includes(name)) names.push(name);
    }
  }
  const shown = names.slice(0, maxFieldsNamed).join(', ');
  const more = names.length > maxFieldsNamed ? ` and ${names.length - maxFieldsNamed} more` : '';
  const unknownCount = error.issues.filter((i) => i.code === 'unrecognized_keys').length;
  const label =
    unknownCount === 0 ? 'Invalid field(s)' : unknownCount === error.issues.length ? 'Unknown field(s)' : 'Invalid or unknown field(s)';
  return appError('VALIDATION_FAILED', `${label}: ${shown}${more}`);
}
