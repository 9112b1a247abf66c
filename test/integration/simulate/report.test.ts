import { describe, expect, it } from 'vitest';
import { RunAggregate } from '../../../scripts/simulate/aggregate.ts';
import { lineChart, niceStep, ticks } from '../../../scripts/simulate/chart.ts';
import { parseOptions } from '../../../scripts/simulate/options.ts';
import { movingAverage, renderReport } from '../../../scripts/simulate/report.ts';
import { StatsRecorder } from '../../../scripts/simulate/stats.ts';
import { buildSummary } from '../../../scripts/simulate/summary.ts';

const T0 = Date.parse('2024-05-01T12:00:00Z');

function sampleReport(): string {
  const parsed = parseOptions(['--drivers', '10', '--token-command', 'echo secret-token'], () => 1);
  if (!parsed.ok || parsed.value.help) throw new Error('bad test options');
  const options = parsed.value.options;
  const agg = new RunAggregate(T0);
  agg.mark('connecting', T0);
  agg.mark('load', T0 + 1_000);
  for (let s = 1; s <= 12; s++) {
    const rec = new StatsRecorder();
    rec.count('pingsApplied', 3 + (s % 3));
    rec.latency('ping', 10 + s);
    rec.count('ordersPlaced');
    rec.latency('assign', 2_000 + s * 10);
    if (s === 5) rec.error('HTTP_502', 'GET /x', '<b>Bad Gateway</b> & friends');
    agg.add(0, T0 + s * 1_000, rec.take({ driverSockets: 10, customerSockets: 1, restaurantSockets: 1, socketsPlanned: 12, driversOnTrip: s % 4, ordersInFlight: s, loopLagMs: 2 }));
  }
  agg.mark('drain', T0 + 13_000);
  const summary = buildSummary(agg, options, { processes: 1, restaurants: 1, socketsHeld: 12, socketsPlanned: 12, now: T0 + 14_000 });
  return renderReport({ summary, options, seconds: agg.series(), windows: agg.windowSeries(), marks: agg.marks, startedAt: new Date(T0) });
}

describe('HTML report', () => {
  it('given a run, when rendered, then it is one self-contained page: inline SVG charts, no scripts, nothing fetched', () => {
    const html = sampleReport();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import/i);
    for (const title of ['Location pings applied per second', 'Orders per second', 'Ping → applied, per 5 s window', 'p99 per 5 s window']) {
      expect(html).toContain(escape(title));
    }
  });

  it('given text from the system in errors, when rendered, then it is escaped, and the token command is not shown', () => {
    const html = sampleReport();
    expect(html).toContain('&lt;b&gt;Bad Gateway&lt;/b&gt; &amp; friends');
    expect(html).not.toContain('<b>Bad Gateway</b>');
    expect(html).not.toContain('secret-token');
  });
});

describe('SVG line chart', () => {
  it('given per-second counts, when averaged over 3 s, then each point is the mean of itself and its neighbours', () => {
    expect(movingAverage([[0, 0], [1, 6], [2, 0], [3, 3]], 1)).toEqual([[0, 3], [1, 2], [2, 3], [3, 1.5]]);
  });

  it('given a gap in a series, when drawn, then the line is broken there (a new M segment) and the chart keeps its size', () => {
    const svg = lineChart({
      title: 'T',
      yLabel: 'y',
      width: 400,
      height: 200,
      series: [{ name: 'a', color: '#000', points: [[0, 1], [1, 2], [2, null], [3, 4], [4, 5]] }],
    });
    expect(svg).toContain('viewBox="0 0 400 200"');
    expect(svg.match(/<path d="([^"]*)"/)?.[1]?.match(/M/g)).toHaveLength(2);
  });

  it('given an empty chart, when drawn, then it still renders axes without NaN', () => {
    const svg = lineChart({ title: 'Empty', yLabel: 'y', series: [{ name: 'a', color: '#000', points: [] }] });
    expect(svg).not.toContain('NaN');
  });

  it('given axis maxima, when ticked, then steps are 1, 2 or 5 × 10ⁿ and reach the maximum', () => {
    expect(niceStep(0.7)).toBe(1);
    expect(niceStep(13)).toBe(20);
    expect(niceStep(3_100)).toBe(5_000);
    expect(ticks(97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks(0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
