/**
 * V8 flags every process of the system runs with (forked children get them here; `package.json` and the Dockerfile
 * pass the same ones to the processes they start).
 *
 * - `--single-threaded-gc`: the scavenger's helper threads compete for the same few cores as the other processes of
 *   the system (workers, Redis, gateways), and a scavenge waits for its helpers. On the 2-core VM
 *   (`npm run bench -- runtime`) worker throughput went from 44–53k to 56–60k msg/s with it.
 * - `--max-semi-space-size=2` (MiB): smaller, more frequent scavenges; each pause is shorter, which is what the tail
 *   latency sees (p99 at 10k msg/s 14–19 ms → 9–10 ms, same throughput).
 */
export const NODE_FLAGS: readonly string[] = ['--single-threaded-gc', '--max-semi-space-size=2'];
