import { z } from 'zod';

/** The ids the REST API accepts in paths (orders, restaurants, drivers). */
export const id = z.string().regex(/^[A-Za-z0-9._~@-]{1,128}$/, 'must be an id of letters, digits and ._~@-');

export const isoTime = z
  .string()
  .max(40)
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date-time');

/** An ISO-8601 time that names its zone (`Z` or an offset), as device clocks must. */
export const zonedTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, 'must be an ISO-8601 time with a zone, e.g. 2024-05-01T12:00:00Z')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a real date-time');

/** `{ orderId }`, the payload of most order events. */
export const orderRef = z.object({ orderId: id }).strict();
