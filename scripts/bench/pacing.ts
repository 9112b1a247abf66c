import { throttledProgress } from './stats.ts';

/**
 * Calls `send(i)` for i = 0…total−1 spread evenly at `rate` per second (a burst every 2 ms) — an offered load, not
 * a saturating one. `describe(sent)`, if given, is the progress line, shown twice a second (more often would put the
 * progress writes themselves into the latencies measured).
 */
export async function paced(rate: number, total: number, send: (i: number) => void, describe?: (sent: number) => string): Promise<void> {
  const start = performance.now();
  const show = throttledProgress();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) send(sent);
    if (describe) show(describe(sent));
    await new Promise((r) => setTimeout(r, 2));
  }
}
