import { createHash, randomBytes } from 'node:crypto';

/**
 * Message ids: short (they are stored in every actor record's de-duplication window) and unique without
 * coordination — a random per-process prefix plus a counter.
 */
export function messageIdGenerator(): () => string {
  const prefix = randomBytes(9).toString('base64url');
  let n = 0;
  return () => `${prefix}${(n++).toString(36)}`;
}

/** The id of the i-th message a handled message causes: deterministic, bounded in length however long the chain. */
export function derivedMessageId(self: string, causeId: string, index: number): string {
  return `${createHash('sha1').update(`${self}|${causeId}`).digest('base64url').slice(0, 16)}.${index}`;
}
