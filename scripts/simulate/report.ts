// `--report FILE.html`: one self-contained page (inline CSS and SVG, nothing fetched) with the summary and charts
// over time.
import type { PhaseMark, SecondPoint, WindowPoint } from './aggregate.ts';
import { escapeXml, lineChart, type ChartSeries } from './chart.ts';
import type { SimOptions } from './options.ts';
import type { Latency } from './protocol.ts';
import { errorTotal, type Summary } from './summary.ts';

export interface ReportData {
  readonly summary: Summary;
  readonly options: SimOptions;
  readonly seconds: readonly SecondPoint[];
  readonly windows: readonly WindowPoint[];
  readonly marks: readonly PhaseMark[];
  /** When the run started (shown in the title). */
  readonly startedAt: Date;
}

const COLORS = { a: '#1f77b4', b: '#ff7f0e', c: '#2ca02c', d: '#d62728', e: '#9467bd' };

export function renderReport(data: ReportData): string {
  const { summary: s } = data;
  // The charts end where finishing begins: what the final settling counts (orders never assigned) is in the totals.
  const end = data.marks.find((m) => m.phase === 'finishing')?.t ?? Number.POSITIVE_INFINITY;
  const seconds = data.seconds.filter((p) => p.t < end);
  const windows = data.windows.filter((w) => w.t < end);
  const markers = data.marks.filter((m) => m.phase !== 'setup' && m.phase !== 'done' && m.phase !== 'finishing').map((m) => ({ x: m.t, label: m.phase }));
  const perSecond = (name: string, color: string, value: (p: SecondPoint) => number): ChartSeries => ({ name, color, points: seconds.map((p) => [p.t, value(p)]) });
  /** Per-second counts arrive with the ticks, which jitter across second boundaries: shown as a centred 3 s average. */
  const rate = (name: string, color: string, value: (p: SecondPoint) => number): ChartSeries => ({ name, color, points: movingAverage(seconds.map((p) => [p.t, value(p)]), 1) });
  const perWindow = (name: string, color: string, kind: 'p50' | 'p99', latency: Latency, scale = 1): ChartSeries => ({
    name,
    color,
    points: windows.map((w) => {
      const v = w[kind][latency];
      return [w.t, v === null ? null : v / scale];
    }),
  });

  const charts = [
    lineChart({
      title: 'Sockets held',
      yLabel: 'sockets',
      markers,
      series: [perSecond('connected', COLORS.a, (p) => p.sockets), perSecond('drivers on a trip', COLORS.b, (p) => p.onTrip)],
    }),
    lineChart({ title: 'Location pings applied per second (3 s average)', yLabel: 'pings/s', markers, series: [rate('pings/s', COLORS.a, (p) => p.counters.pingsApplied)] }),
    lineChart({
      title: 'Orders per second (3 s average)',
      yLabel: 'orders/s',
      markers,
      series: [
        rate('placed', COLORS.a, (p) => p.counters.ordersPlaced),
        rate('assigned', COLORS.b, (p) => p.counters.ordersAssigned),
        rate('delivered', COLORS.c, (p) => p.counters.ordersDelivered),
        rate('failed', COLORS.d, (p) => p.counters.ordersFailed),
      ],
    }),
    lineChart({
      title: 'Ping → applied, per 5 s window',
      yLabel: 'ms',
      markers,
      series: [perWindow('p50', COLORS.a, 'p50', 'ping'), perWindow('p99', COLORS.d, 'p99', 'ping')],
    }),
    lineChart({
      title: 'Placed → assigned and placed → delivered, p99 per 5 s window',
      yLabel: 'seconds',
      markers,
      series: [perWindow('assigned p99', COLORS.b, 'p99', 'assign', 1000), perWindow('delivered p99', COLORS.c, 'p99', 'deliver', 1000)],
    }),
    lineChart({
      title: 'Orders in flight and errors per second',
      yLabel: 'count',
      markers,
      series: [perSecond('orders in flight', COLORS.e, (p) => p.inFlight), rate('errors/s', COLORS.d, (p) => p.errors)],
    }),
  ];

  const ms = (v: number | null) => (v === null ? '–' : `${v.toLocaleString('en-US')} ms`);
  const table = (rows: readonly (readonly [string, string | number])[]) =>
    `<table>${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(String(v))}</td></tr>`).join('')}</table>`;
  const counts = (title: string, c: Readonly<Record<string, number>>, details?: Readonly<Record<string, string>>) =>
    `<h3>${escapeXml(title)}</h3>` +
    (Object.keys(c).length === 0
      ? '<p class="none">none</p>'
      : `<table>${Object.entries(c)
          .map(([k, n]) => `<tr><th>${escapeXml(k)}</th><td>${n}</td>${details ? `<td class="detail">${escapeXml(details[k] ?? '')}</td>` : ''}</tr>`)
          .join('')}</table>`);
  const errors = errorTotal(s);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fleet simulation — ${escapeXml(s.city)} — ${escapeXml(data.startedAt.toISOString())}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1600px; padding: 0 16px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; } h3 { font-size: 14px; margin: 16px 0 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(760px, 1fr)); gap: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.card b { display: block; font-size: 20px; }
.bad b { color: #c62828; } .good b { color: #2e7d32; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
th { font-weight: 500; color: #555; } .detail { color: #777; font-size: 12px; } .none { color: #777; }
svg { background: #fff; border: 1px solid #eee; border-radius: 6px; max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>Fleet simulation of ${escapeXml(s.city)} against ${escapeXml(s.url)}</h1>
<p>Started ${escapeXml(data.startedAt.toISOString())} · seed ${s.seed} · ${s.processes} process${s.processes === 1 ? '' : 'es'} · connect ${s.connectSeconds} s, load ${s.loadSeconds} s, drain ${s.drainSeconds} s</p>
<div class="cards">
${card('sockets held', `${s.socketsHeld} / ${s.socketsPlanned}`)}
${card('pings/s', s.pingsPerSec)}
${card('orders placed', s.ordersPlaced)}
${card('assigned', s.ordersAssigned)}
${card('delivered', s.ordersDelivered)}
${card('failed', s.ordersFailed, s.ordersFailed > 0 ? 'bad' : '')}
${card('p99 ping → applied', ms(s.p99PingMs))}
${card('p99 placed → assigned', ms(s.p99AssignMs))}
${card('errors', errors, errors > 0 ? 'bad' : 'good')}
</div>
<h2>Over time</h2>
<div class="grid">
${charts.join('\n')}
</div>
<h2>Latency</h2>
<table>
<tr><th></th><th>p50</th><th>p95</th><th>p99</th></tr>
<tr><th>ping → applied</th><td>${ms(s.p50PingMs)}</td><td>${ms(s.p95PingMs)}</td><td>${ms(s.p99PingMs)}</td></tr>
<tr><th>placed → assigned</th><td>${ms(s.p50AssignMs)}</td><td>${ms(s.p95AssignMs)}</td><td>${ms(s.p99AssignMs)}</td></tr>
<tr><th>placed → delivered</th><td>${ms(s.p50DeliverMs)}</td><td>${ms(s.p95DeliverMs)}</td><td>${ms(s.p99DeliverMs)}</td></tr>
<tr><th>POST /v1/orders</th><td>${ms(s.p50PlaceMs)}</td><td></td><td>${ms(s.p99PlaceMs)}</td></tr>
</table>
<h2>Outcomes</h2>
${counts('Errors (not injected)', s.errors, s.errorDetails)}
${counts('Errors by where they happened', s.errorsBySite)}
${counts('Expected refusals (injected, or part of the game)', s.expected)}
${counts('Failed orders by reason', s.failureReasons)}
<h2>Totals</h2>
${table([
  ['drivers', s.drivers],
  ['customers', s.customers],
  ['restaurants', s.restaurants],
  ['sockets peak', s.socketsPeak],
  ['pings sent / applied', `${s.pingsSent} / ${s.pingsApplied}`],
  ['offers received / accepted / declined', `${s.offersReceived} / ${s.offersAccepted} / ${s.offersDeclined}`],
  ['trips completed', s.tripsCompleted],
  ['orders still open at the end', s.ordersOpenAtEnd],
  ['simulator: worst event-loop delay (p99 of a second)', `${s.simLoopLagMs} ms`],
])}
<h2>Options</h2>
${table(
  Object.entries(data.options)
    .filter(([k]) => k !== 'tokenCommand')
    .map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)] as const),
)}
<h2>Summary (JSON)</h2>
<pre>${escapeXml(JSON.stringify(s, null, 2))}</pre>
</body>
</html>
`;
}

/** The mean of each point and its `radius` neighbours on either side (fewer at the ends). */
export function movingAverage(points: readonly (readonly [number, number])[], radius: number): [number, number][] {
  return points.map(([x], i) => {
    const around = points.slice(Math.max(0, i - radius), i + radius + 1);
    return [x, around.reduce((sum, [, y]) => sum + y, 0) / around.length];
  });
}

const card = (label: string, value: string | number, cls = '') =>
  `<div class="card${cls ? ` ${cls}` : ''}"><span>${escapeXml(label)}</span><b>${escapeXml(String(value))}</b></div>`;
