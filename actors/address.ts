import type { Brand } from '../src/shared/brand.ts';

/** `kind:id`, e.g. `order:ORD-1`, `driver:DRV-7`, `cell:8928308280fffff`. */
export type ActorAddress = Brand<string, 'ActorAddress'>;
/** A virtual shard, 0 ≤ shard < shardCount. Each shard has one inbox stream and one lease. */
export type ShardId = Brand<number, 'ShardId'>;

const KIND = /^[a-z][a-z0-9-]{0,31}$/;
const ID = /^[A-Za-z0-9._~@-]{1,128}$/;
const ADDRESS = /^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9._~@-]{1,128}$/;

/** Whether the text is an address (same rule as `parseAddress`, without splitting it). */
export function isActorAddress(text: string): text is ActorAddress {
  return ADDRESS.test(text);
}

export function actorAddress(kind: string, id: string): ActorAddress {
  const parsed = parseAddress(`${kind}:${id}`);
  if (!parsed) throw new TypeError(`not a valid actor address: ${kind}:${id}`);
  return parsed.address;
}

/** Returns the kind and id of an address, or null when the text is not one. */
export function parseAddress(text: string): { address: ActorAddress; kind: string; id: string } | null {
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const kind = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (!KIND.test(kind) || !ID.test(id)) return null;
  return { address: text as ActorAddress, kind, id };
}

/**
 * FNV-1a (32 bit) over the UTF-8 bytes: stable across processes, versions and languages, which is what
 * matters — changing it would move every actor to another shard.
 */
export function stableHash(text: string): number {
  const short = text.length <= scratch.length / 3;
  const bytes = short ? scratch : encoder.encode(text);
  const length = short ? encoder.encodeInto(text, scratch).written : bytes.length;
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    h ^= bytes[i] ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const encoder = new TextEncoder();
/** Reused for the UTF-8 bytes of short texts: hashing runs for every message sent. */
const scratch = new Uint8Array(1024);

export function shardOf(address: ActorAddress, shardCount: number): ShardId {
  return (stableHash(address) % shardCount) as ShardId;
}

export function allShards(shardCount: number): ShardId[] {
  return Array.from({ length: shardCount }, (_, i) => i as ShardId);
}
