/** Percentile (0–100) of unsorted samples, nearest-rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const round = (n: number, digits = 2) => Number(n.toFixed(digits));

/** Prints rows as an aligned text table. */
export function printTable(rows: readonly Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(width[i] ?? 0)).join('  ');
  console.log(line(cols));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ''))));
}

/** A progress line on stderr that rewrites itself (plain lines when not a terminal). */
export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

/**
 * `progress` for a loop that turns every few milliseconds: shows a line at most every `intervalMs` (the default,
 * twice a second), so that the writes are not part of what the loop measures.
 */
export function throttledProgress(intervalMs = 500): (text: string) => void {
  let shownAt = -Infinity;
  return (text) => {
    const now = performance.now();
    if (now - shownAt < intervalMs) return;
    shownAt = now;
    progress(text);
  };
}

/** The run with the highest `rate` (benchmarks compare the best round of each side). */
export function fastest<T>(runs: readonly T[], rate: (run: T) => number): T {
  if (runs.length === 0) throw new Error('no runs to compare');
  return runs.reduce((a, b) => (rate(b) > rate(a) ? b : a));
}
