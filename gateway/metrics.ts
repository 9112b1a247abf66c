import type { Namespace } from 'socket.io';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the gateway reports about itself; `dispatchEvents` calls `event` once per answered client event. */
export interface GatewayMetrics {
  /** `outcome`: `ok`, or the error code the ack carried. `event` is a known event name (unknown ones are `other`). */
  event(namespace: string, event: string, outcome: string, seconds: number): void;
}

/**
 * `gateway_sockets{namespace}` (read at scrape time), `gateway_events_total{namespace,event,outcome}` and
 * `gateway_event_seconds{namespace,event}` (event received → ack sent) in `registry`.
 */
export function gatewayMetrics(registry: Registry, namespaces: readonly Namespace[]): GatewayMetrics {
  new Gauge({
    name: 'gateway_sockets',
    help: 'Sockets connected to this gateway, by namespace',
    labelNames: ['namespace'],
    registers: [registry],
    collect() {
      for (const nsp of namespaces) this.set({ namespace: nsp.name }, nsp.sockets.size);
    },
  });
  const events = new Counter({ name: 'gateway_events_total', help: 'Client events answered, by outcome (ok or the error code)', labelNames: ['namespace', 'event', 'outcome'], registers: [registry] });
  const seconds = new Histogram({
    name: 'gateway_event_seconds',
    help: 'Client event received → ack sent, seconds',
    labelNames: ['namespace', 'event'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Label children resolved once per label set: every event passes here.
  const counters = new Map<string, Counter.Internal>();
  const histograms = new Map<string, Histogram.Internal<string>>();
  return {
    event(namespace, event, outcome, s) {
      const counterKey = `${namespace}|${event}|${outcome}`;
      let counter = counters.get(counterKey);
      if (!counter) counters.set(counterKey, (counter = events.labels(namespace, event, outcome)));
      counter.inc();
      const histogramKey = `${namespace}|${event}`;
      let histogram = histograms.get(histogramKey);
      if (!histogram) histograms.set(histogramKey, (histogram = seconds.labels(namespace, event)));
      histogram.observe(s);
    },
  };
}
