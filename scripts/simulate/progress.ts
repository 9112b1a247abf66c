// The live progress line: one line on stderr, rewritten in place on a terminal, printed every few seconds otherwise.
import { socketsOf, type Phase, type RunAggregate } from './aggregate.ts';

export interface ProgressState {
  readonly phase: Phase;
  /** Seconds into the phase, and how long it lasts at most (null: until done). */
  readonly elapsedS: number;
  readonly limitS: number | null;
}

export function progressLine(agg: RunAggregate, state: ProgressState, now: number): string {
  const g = agg.gauges();
  const t = agg.totals;
  const errors = Object.values(agg.errors).reduce((a, b) => a + b, 0);
  const p99 = agg.recentP99('ping', now);
  const clock = state.limitS === null ? `${Math.floor(state.elapsedS)}s` : `${Math.floor(state.elapsedS)}/${Math.round(state.limitS)}s`;
  return [
    `${state.phase} ${clock}`,
    `sockets ${socketsOf(g)}/${g.socketsPlanned}`,
    `pings ${Math.round(agg.recentRate('pingsApplied', now, 3))}/s p99 ${p99 === null ? '–' : `${Math.round(p99)}ms`}`,
    `orders ${t.ordersPlaced} placed ${t.ordersAssigned} assigned ${t.ordersDelivered} delivered ${t.ordersFailed} failed ${g.ordersInFlight} in flight`,
    `on trip ${g.driversOnTrip}`,
    `errors ${errors}`,
    ...(g.loopLagMs > 200 ? [`sim lag ${Math.round(g.loopLagMs)}ms`] : []),
  ].join(' · ');
}

export interface ProgressWriter {
  update(line: string): void;
  /** Ends the rewritten line (so that what follows starts on its own line). */
  done(): void;
}

export function progressWriter(stream: NodeJS.WriteStream, quiet: boolean): ProgressWriter {
  let lastPlain = 0;
  let open = false;
  return {
    update(line) {
      if (quiet) return;
      if (stream.isTTY) {
        const width = stream.columns > 20 ? stream.columns - 1 : 200;
        stream.write(`\r\x1b[K${line.slice(0, width)}`);
        open = true;
      } else if (Date.now() - lastPlain >= 5_000) {
        lastPlain = Date.now();
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
