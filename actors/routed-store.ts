import { parseAddress } from './address.ts';
import type { ActorStore } from './store.ts';

/** One store per actor kind (e.g. orders in Postgres, the rest in Redis), behind the one port the host uses. */
export function storeByKind(stores: Readonly<Record<string, ActorStore>>, fallback: ActorStore): ActorStore {
  const pick = (address: string) => stores[parseAddress(address)?.kind ?? ''] ?? fallback;
  return {
    load: (shard, address) => pick(address).load(shard, address),
    commitsSends: (address) => pick(address).commitsSends?.(address) ?? false,
    commit: (c) => pick(c.address).commit(c),
    acknowledge: (a) => pick(a.address).acknowledge(a),
  };
}
