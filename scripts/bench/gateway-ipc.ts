// The messages between `npm run bench -- gateway` and its child processes (servers and client fleets).

/** Parent → server child. */
export type ServerRequest = { type: 'memory' };
/** Server child → parent. */
export type ServerReport = { type: 'ready'; port: number } | { type: 'memory'; rss: number; heapUsed: number; external: number };

/** Parent → client fleet. */
export type FleetRequest =
  /** Opens one driver socket per id `first … first+count-1` (tokens minted from the key under `dataDir` when set). */
  | { type: 'connect'; url: string; first: number; count: number; dataDir: string | null }
  /** Every socket asks `driver:status` ONLINE once. */
  | { type: 'online' }
  /** Pings at `rate` per second (spread round-robin over the sockets) for `seconds`, then waits for the acks. */
  | { type: 'run'; rate: number; seconds: number }
  | { type: 'close' };

/** Client fleet → parent. */
export type FleetReport =
  | { type: 'progress'; connected: number }
  | { type: 'connected'; connected: number; failed: number; firstError: string | null }
  | { type: 'online'; ok: number; failed: Record<string, number> }
  | { type: 'ran'; sent: number; ok: number; timeouts: number; failed: Record<string, number>; latenciesMs: number[]; seconds: number }
  | { type: 'closed' };
