import { allShards, stableHash, type ShardId } from './address.ts';

/**
 * Which worker should own which shard, given the live workers. Pure and deterministic, so every worker computes
 * the same answer from the same view of the registry.
 *
 * Each worker gets floor(S/n) or ceil(S/n) shards (balanced exactly). Within that cap a shard goes to the worker
 * that ranks it highest by rendezvous hashing, so a worker joining or leaving moves few shards besides its share.
 */
export function assignShards(shardCount: number, workerIds: readonly string[]): Map<ShardId, string> {
  const workers = [...new Set(workerIds)].sort();
  const assignment = new Map<ShardId, string>();
  if (workers.length === 0) return assignment;

  const base = Math.floor(shardCount / workers.length);
  const extra = shardCount % workers.length;
  const capacity = new Map(workers.map((w, i) => [w, base + (i < extra ? 1 : 0)]));

  // Shards with the strongest preference go first, so the cap bites on the weakly preferred ones.
  const preferences = allShards(shardCount).map((shard) => {
    const ranked = workers
      .map((w) => ({ w, score: stableHash(`${shard}/${w}`) }))
      .sort((a, b) => b.score - a.score || (a.w < b.w ? -1 : 1));
    return { shard, ranked };
  });
  preferences.sort((a, b) => (b.ranked[0]?.score ?? 0) - (a.ranked[0]?.score ?? 0) || a.shard - b.shard);

  for (const { shard, ranked } of preferences) {
    for (const { w } of ranked) {
      const left = capacity.get(w) ?? 0;
      if (left > 0) {
        capacity.set(w, left - 1);
        assignment.set(shard, w);
        break;
      }
    }
  }
  return assignment;
}

export function shardsOf(assignment: ReadonlyMap<ShardId, string>, workerId: string): Set<ShardId> {
  const mine = new Set<ShardId>();
  for (const [shard, w] of assignment) if (w === workerId) mine.add(shard);
  return mine;
}

/**
 * Whether `owners` (the lease holder per shard, null = unowned) is a balanced ownership among exactly `workerIds`:
 * every shard owned, only by them, each holding floor(S/n) or ceil(S/n) shards — what the workers settle into.
 */
export function ownershipBalanced(owners: readonly (string | null)[], workerIds: readonly string[]): boolean {
  if (workerIds.length === 0) return false;
  const counts = new Map<string, number>();
  for (const owner of owners) {
    if (owner === null || !workerIds.includes(owner)) return false;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const lo = Math.floor(owners.length / workerIds.length);
  const hi = Math.ceil(owners.length / workerIds.length);
  return workerIds.every((w) => {
    const n = counts.get(w) ?? 0;
    return n >= lo && n <= hi;
  });
}
