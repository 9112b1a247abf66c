// Line charts as inline SVG text: axes, ticks, a legend and vertical phase markers. No scripts, no external assets.

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** [x, y]; a null y breaks the line. */
  readonly points: readonly (readonly [number, number | null])[];
}

export interface ChartSpec {
  readonly title: string;
  readonly yLabel: string;
  readonly xLabel?: string;
  readonly series: readonly ChartSeries[];
  readonly markers?: readonly { readonly x: number; readonly label: string }[];
  readonly width?: number;
  readonly height?: number;
}

export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** 1, 2 or 5 times a power of ten, at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** Ticks from 0 to at least `max`, about `count` of them. */
export function ticks(max: number, count = 5): number[] {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const step = niceStep(top / count);
  const out: number[] = [];
  for (let v = 0; v < top + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const formatTick = (v: number) => (Math.abs(v) >= 10_000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(4))));

export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 260;
  const m = { left: 64, right: 16, top: 30, bottom: 44 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xs = spec.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = spec.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y): y is number => y !== null && Number.isFinite(y));
  const xMin = xs.length > 0 ? Math.min(...xs) : 0;
  const xMax = xs.length > 0 ? Math.max(...xs, xMin + 1) : 1;
  const yTicks = ticks(ys.length > 0 ? Math.max(...ys) : 1);
  const yMax = yTicks.at(-1) as number;
  const sx = (x: number) => m.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => m.top + plotH - (y / yMax) * plotH;
  const f = (n: number) => n.toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(spec.title)}">`);
  parts.push(`<text x="${m.left}" y="18" font-size="14" font-weight="600">${escapeXml(spec.title)}</text>`);
  for (const y of yTicks) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${f(sy(y))}" y2="${f(sy(y))}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${m.left - 6}" y="${f(sy(y) + 4)}" font-size="11" text-anchor="end" fill="#555">${formatTick(y)}</text>`);
  }
  for (const x of ticks(xMax - xMin, 8).map((t) => t + xMin).filter((x) => x <= xMax)) {
    parts.push(`<text x="${f(sx(x))}" y="${height - m.bottom + 16}" font-size="11" text-anchor="middle" fill="#555">${formatTick(x)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#888"/>`);
  parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#888"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 6}" font-size="11" text-anchor="middle" fill="#555">${escapeXml(spec.xLabel ?? 'seconds since start')}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="#555">${escapeXml(spec.yLabel)}</text>`);
  for (const [i, marker] of (spec.markers ?? []).entries()) {
    if (marker.x < xMin || marker.x > xMax) continue;
    parts.push(`<line x1="${f(sx(marker.x))}" x2="${f(sx(marker.x))}" y1="${m.top}" y2="${m.top + plotH}" stroke="#999" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${f(sx(marker.x) + 3)}" y="${m.top + plotH - 4 - (i % 2) * 12}" font-size="10" fill="#777">${escapeXml(marker.label)}</text>`);
  }
  for (const s of spec.series) {
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f(sx(x))} ${f(sy(y))}`;
      pen = true;
    }
    if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.6"/>`);
  }
  let lx = m.left + 8;
  for (const s of spec.series) {
    parts.push(`<rect x="${lx}" y="${m.top + 2}" width="10" height="10" fill="${escapeXml(s.color)}"/>`);
    parts.push(`<text x="${lx + 14}" y="${m.top + 11}" font-size="11">${escapeXml(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('');
}
