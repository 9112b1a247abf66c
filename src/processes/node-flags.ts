/**
 * V8 flags of the system's processes, by role (forked workers get theirs here; `package.json`, the Dockerfile and
 * docker-compose pass the same ones to the processes they start).
 *
 * All: `--single-threaded-gc`. The scavenger's helper threads compete for the same few cores as the other processes of
 * the system (workers, Redis, gateways), and a scavenge waits for its helpers. On the 2-core VM
 * (`npm run bench -- runtime`) worker throughput went from 44–53k to 56–60k msg/s with it.
 */

/**
 * Workers: `--max-semi-space-size=2` (MiB). Smaller, more frequent scavenges; each pause is shorter, which is what
 * the tail latency sees (p99 at 10k msg/s 14–19 ms → 9–10 ms, same throughput). What a worker keeps is small (actor
 * records); what it allocates per message dies within the message.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--single-threaded-gc', '--max-semi-space-size=2'];

/**
 * Edge processes (API, gateway, and `npm start`'s main process, which runs both): `--max-semi-space-size=16`. They
 * hold thousands of sockets (a large old generation) and keep each request's objects alive for a round trip to the
 * actors: in 2 MiB scavenges those survive, get promoted and make full collections of the large heap frequent.
 * Measured with `npm run bench -- gateway` (10,000 sockets), noisy: capacity at p99 ≤ 50 ms 2.3k–4.3k pings/s (mean
 * 3.2k, three runs) against 1.4k–2.7k (mean 2.0k, two runs) with 2 MiB; steady p99 110–214 ms against 252–274 ms.
 * The benchmarks' load generator (`npm run bench`) runs with these too.
 */
export const EDGE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc', '--max-semi-space-size=16'];
