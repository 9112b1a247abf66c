import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../../scripts/simulate/summary.ts';
import { startFakeSystem, type FakeOptions, type FakeSystem } from './fake-system.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A small, fast city: trips of a few hundred metres at 50× speed, food ready in half a second. */
const FAST = [
  ...['--radius-km', '1', '--restaurant-radius-km', '0.3', '--delivery-radius-km', '0.5', '--time-scale', '50', '--prep-seconds', '0.5'],
  ...['--restaurant-delay-ms', '100', '--accept-delay-ms', '100', '--pickup-retry-ms', '200', '--ping-seconds', '1', '--restaurants', '3'],
];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly summary: Summary | null;
}

/** Runs the simulator; `interruptWhen` is polled, and once it holds the run gets a SIGINT (Ctrl-C). */
function simulate(args: readonly string[], interruptWhen?: () => boolean): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/simulate/index.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const poll =
    interruptWhen &&
    setInterval(() => {
      if (!interruptWhen()) return;
      clearInterval(poll);
      child.kill('SIGINT');
    }, 100);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      if (poll) clearInterval(poll);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let summary: Summary | null = null;
      try {
        summary = JSON.parse(last) as Summary;
      } catch {
        summary = null;
      }
      resolve({ code, stdout, stderr, summary });
    }),
  );
}

describe('the simulator against a stand-in system that speaks the contract', () => {
  let fake: FakeSystem | null = null;
  const start = async (options: FakeOptions = {}) => (fake = await startFakeSystem(options));
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('given drivers that accept most offers, when a run places orders from two processes, then every order is assigned and delivered, declines are not errors, and the summary is the last line', async () => {
    const system = await start();
    const run = await simulate([
      ...['--url', system.url, '--drivers', '30', '--customers', '6', '--orders-per-sec', '3', '--duration', '6', '--drain-seconds', '30'],
      ...['--accept-probability', '0.7', '--processes', '2', '--seed', '11', '--json', '--quiet', ...FAST],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const s = run.summary as Summary;
    const context = JSON.stringify(s, null, 2);
    expect(s.processes).toBe(2);
    expect(s.socketsHeld, context).toBe(30 + 6 + 3);
    expect(s.ordersPlaced, context).toBeGreaterThanOrEqual(15);
    expect(system.ordersCreated()).toBe(s.ordersPlaced);
    expect(s.ordersAssigned, context).toBe(s.ordersPlaced);
    expect(s.ordersDelivered, context).toBe(s.ordersPlaced);
    expect(s.tripsCompleted, context).toBe(s.ordersPlaced);
    expect(s.ordersFailed, context).toBe(0);
    expect(s.offersDeclined, context).toBeGreaterThan(0);
    expect(s.errors, context).toEqual({});
    expect(s.expected.PICKUP_NOT_READY ?? 0, context).toBeGreaterThanOrEqual(0);
    // Every ping counted as applied was applied; a driver's last ping may be applied while the run closes its socket,
    // its ack never arriving — at most one per driver.
    expect(s.pingsApplied, context).toBeLessThanOrEqual(system.pings());
    expect(system.pings(), context).toBeLessThanOrEqual(s.pingsSent);
    expect(system.pings() - s.pingsApplied, context).toBeLessThanOrEqual(30);
    expect(s.p50AssignMs, context).not.toBeNull();
    expect(s.p99DeliverMs, context).not.toBeNull();
    expect(system.violations).toEqual([]);
    expect(run.stdout).toContain('placed → delivered');
  }, 90_000);

  it('given injected rejections and cancellations, when simulated, then those orders fail with their reasons and nothing counts as an error', async () => {
    const system = await start();
    const run = await simulate([
      ...['--url', system.url, '--drivers', '20', '--customers', '4', '--orders-per-sec', '4', '--duration', '5', '--drain-seconds', '30'],
      ...['--reject-probability', '0.3', '--cancel-probability', '0.3', '--seed', '12', '--json', '--quiet', ...FAST],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const s = run.summary as Summary;
    const context = JSON.stringify(s, null, 2);
    expect(s.errors, context).toEqual({});
    expect(s.ordersFailed, context).toBeGreaterThan(0);
    expect(Object.keys(s.failureReasons).every((r) => r === 'REJECTED: simulated' || r === 'CANCELLED: simulated'), context).toBe(true);
    expect(s.ordersDelivered + s.ordersFailed, context).toBe(s.ordersPlaced);
    expect(system.violations).toEqual([]);
  }, 90_000);

  it('given order answers that get lost, when the customer retries with the same Idempotency-Key, then no order is placed twice and the lost answers are counted', async () => {
    const system = await start({ loseEveryNthOrderAnswer: 3 });
    const run = await simulate([
      ...['--url', system.url, '--drivers', '10', '--customers', '3', '--orders-per-sec', '3', '--duration', '4', '--drain-seconds', '30'],
      ...['--seed', '13', '--json', '--quiet', ...FAST],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const s = run.summary as Summary;
    expect(s.ordersPlaced).toBe(system.ordersCreated());
    expect(s.errors.UNAVAILABLE).toBeGreaterThan(0);
    expect(s.errorsBySite['UNAVAILABLE @ POST /v1/orders']).toBe(s.errors.UNAVAILABLE);
    expect(s.ordersDelivered).toBe(s.ordersPlaced);
  }, 90_000);

  it('given a token command instead of dev tokens, when simulated, then every identity gets its token from the command', async () => {
    const system = await start();
    const mint =
      `node -e 'const w={role:process.env.SIM_ROLE};for(const [k,e] of [["driverId","SIM_DRIVER_ID"],["customerId","SIM_CUSTOMER_ID"],["restaurantId","SIM_RESTAURANT_ID"]])` +
      `if(process.env[e])w[k]=process.env[e];console.log("fake."+Buffer.from(JSON.stringify(w)).toString("base64url"))'`;
    const run = await simulate([
      ...['--url', system.url, '--drivers', '4', '--customers', '2', '--restaurants', '1', '--orders-per-sec', '1', '--duration', '3'],
      ...['--drain-seconds', '30', '--token-command', mint, '--seed', '14', '--json', '--quiet', ...FAST.filter((a, i, all) => a !== '--restaurants' && all[i - 1] !== '--restaurants')],
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.summary?.socketsHeld).toBe(7);
    expect(run.summary?.errors).toEqual({});
    expect(run.summary?.ordersDelivered).toBe(run.summary?.ordersPlaced);
  }, 90_000);

  it('given a long run, when interrupted (Ctrl-C) during the load phase, then it ends the load, drains, prints the summary and exits 130', async () => {
    const system = await start();
    const run = await simulate(
      [...['--url', system.url, '--drivers', '10', '--customers', '2', '--orders-per-sec', '2', '--duration', '600', '--processes', '2'], ...['--json', '--quiet', ...FAST]],
      () => system.ordersCreated() >= 4,
    );
    expect(run.code, run.stderr).toBe(130);
    const s = run.summary as Summary;
    expect(s.loadSeconds).toBeLessThan(60);
    expect(s.ordersPlaced).toBeGreaterThan(0);
    expect(s.ordersDelivered + s.ordersFailed).toBe(s.ordersPlaced);
  }, 60_000);

  it('given a URL where nothing listens, when simulated, then it stops at setup with a clear message and status 1', async () => {
    const run = await simulate(['--url', 'http://127.0.0.1:1', '--quiet', '--timeout-ms', '2000']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('simulate: setup failed: cannot reach http://127.0.0.1:1');
  }, 30_000);

  it('given bad options, when started, then every problem is printed and nothing runs', async () => {
    const run = await simulate(['--drivers', 'lots', '--bogus']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('simulate: --drivers must be a number (got "lots")');
    expect(run.stderr).toContain('simulate: unknown option --bogus (see --help)');
  }, 30_000);
});
