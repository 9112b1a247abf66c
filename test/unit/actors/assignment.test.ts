import { describe, expect, it } from 'vitest';
import { actorAddress, parseAddress, shardOf, stableHash } from '../../../actors/address.ts';
import { assignShards, ownershipBalanced, shardsOf } from '../../../actors/assignment.ts';
import type { ShardId } from '../../../actors/address.ts';

const counts = (a: Map<number, string>) => {
  const c = new Map<string, number>();
  for (const w of a.values()) c.set(w, (c.get(w) ?? 0) + 1);
  return c;
};

describe('assignShards', () => {
  it.each([1, 2, 3, 5, 7, 64])('given %i workers, then every shard has one owner and each owns floor or ceil of S/n', (n) => {
    const workers = Array.from({ length: n }, (_, i) => `w-${i}`);
    const a = assignShards(64, workers);
    expect(a.size).toBe(64);
    for (const count of counts(a).values()) {
      expect(count).toBeGreaterThanOrEqual(Math.floor(64 / n));
      expect(count).toBeLessThanOrEqual(Math.ceil(64 / n));
    }
  });

  it('given the same workers in any order, then every worker computes the same assignment', () => {
    expect(assignShards(64, ['b', 'c', 'a'])).toEqual(assignShards(64, ['a', 'b', 'c']));
  });

  it('given a worker joining 3 others, then most shards stay where they were', () => {
    const before = assignShards(64, ['w-0', 'w-1', 'w-2']);
    const after = assignShards(64, ['w-0', 'w-1', 'w-2', 'w-3']);
    const moved = [...before].filter(([s, w]) => after.get(s) !== w).length;
    expect(shardsOf(after, 'w-3').size).toBe(16);
    // The newcomer's 16 must move; rendezvous keeps the rest mostly in place.
    expect(moved).toBeLessThanOrEqual(28);
  });

  it('given no workers, then nothing is assigned', () => {
    expect(assignShards(8, []).size).toBe(0);
  });
});

describe('addresses', () => {
  it('given the same address, then its hash and shard never change (FNV-1a reference values)', () => {
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('foobar')).toBe(0xbf9cf968);
    const s = shardOf(actorAddress('order', 'ORD-1'), 64);
    expect(s).toBe(stableHash('order:ORD-1') % 64);
  });

  it('given malformed text, then it is not an address', () => {
    expect(parseAddress('order:ORD-1')).toMatchObject({ kind: 'order', id: 'ORD-1' });
    for (const bad of ['', 'order', ':x', 'Order:1', 'order:', 'order:has space', 'order:a/b']) expect(parseAddress(bad)).toBeNull();
  });
});

describe('ownershipBalanced', () => {
  it('given the assignment the workers compute, then it reads as balanced among exactly those workers', () => {
    const workers = ['w-0', 'w-1', 'w-2'];
    const a = assignShards(16, workers);
    const owners = Array.from({ length: 16 }, (_, s) => a.get(s as ShardId) ?? null);
    expect(ownershipBalanced(owners, workers)).toBe(true);
    expect(ownershipBalanced(owners, ['w-0', 'w-1'])).toBe(false);
    expect(ownershipBalanced(owners, [...workers, 'w-3'])).toBe(false);
  });

  it('given an unowned shard or one worker holding more than its share, then it is not balanced', () => {
    expect(ownershipBalanced(['a', 'b', null, 'b'], ['a', 'b'])).toBe(false);
    expect(ownershipBalanced(['a', 'b', 'b', 'b'], ['a', 'b'])).toBe(false);
    expect(ownershipBalanced(['a', 'b', 'a', 'b'], ['a', 'b'])).toBe(true);
  });
});
