import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteNamespace } from '../../actors/delete-namespace.ts';
import { runtimeKeys } from '../../actors/keys.ts';
import { findFreePort } from '../../src/infra/free-port.ts';
import { TEST_REDIS_URL } from '../support/cluster.ts';
import { freshDatabase } from '../support/database.ts';
import { SHARDS, testSystemEnv } from '../support/system.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS_DIR = join(root, 'test-results/dashboard');
const LOG_DIR = join(root, 'test-results/logs');
/** Debian's `chromium` package (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Headless, as root, on a machine without internet: nothing may try to reach Google's services. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Simulated drivers: few enough for a loaded 2-core machine, enough that one is always roaming. */
const DRIVERS = 12;
const WORKERS = 2;
/** Most waits: generous, because CI runs this next to Postgres, Redis, two workers, the simulator and Chromium. */
const WAIT_MS = 45_000;

/** Statuses before a driver has the order, and statuses with a driver on it (CONTRACT.md order chart). */
const KITCHEN_STATUSES = ['PLACED', 'PENDING_PAYMENT', 'CONFIRMED', 'ACCEPTED', 'PREPARING', 'READY_FOR_PICKUP'];
const DRIVER_STATUSES = ['ASSIGNED', 'EN_ROUTE_TO_RESTAURANT', 'AT_RESTAURANT', 'PICKED_UP', 'EN_ROUTE_TO_CUSTOMER', 'AT_CUSTOMER', 'DELIVERED', 'SETTLED'];
/** Fill colours of drivers on the map (app.js COLORS, and grey for offline/other), as RGB. */
const DRIVER_FILLS = [
  [0x16, 0xa3, 0x4a],
  [0xf5, 0x9e, 0x0b],
  [0x25, 0x63, 0xeb],
  [0x9c, 0xa3, 0xaf],
];

/** A driver as the dashboard drew it: `data-drivers` of the map canvas, plus the canvas pixel at its centre. */
interface DrawnDriver {
  driverId: string;
  state: string;
  lat: number;
  lng: number;
  x: number;
  y: number;
  pixel: number[];
}
/** A card of the order board: the order and the column (status) it sits in. */
interface BoardCard {
  orderId: string;
  status: string;
  driver: string;
}

// The project's TypeScript has no DOM library: the functions run in the page see the DOM through these shapes.
interface PageElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  textContent: string | null;
}
interface PageCanvas extends PageElement {
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Iterable<number> } };
}
interface PageDocument {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

/** Runs in the page: every drawn driver with the pixel at its centre, read in one go (the map redraws every 2 s). */
function readMap(): DrawnDriver[] {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const canvas = doc.getElementById('map') as PageCanvas | null;
  if (!canvas) return [];
  const drawn = JSON.parse(canvas.getAttribute('data-drivers') ?? '[]') as Omit<DrawnDriver, 'pixel'>[];
  const ctx = canvas.getContext('2d');
  return drawn.map((d) => ({ ...d, pixel: [...ctx.getImageData(Math.round(d.x), Math.round(d.y), 1, 1).data] }));
}

/** Runs in the page: every card of the order board with its column's status. */
function readBoard(): BoardCard[] {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const cards: BoardCard[] = [];
  for (const column of doc.querySelectorAll('#board .column[data-status]')) {
    for (const card of column.querySelectorAll('.card[data-order-id]')) {
      cards.push({
        orderId: card.getAttribute('data-order-id') ?? '',
        status: column.getAttribute('data-status') ?? '',
        driver: card.querySelector('.muted')?.textContent ?? '',
      });
    }
  }
  return cards;
}

/** Runs in the page: the rows of the workers table — id and the shards listed as "n: s1, s2, …". */
function readWorkers(): { workerId: string; shards: number[] }[] {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  return [...doc.querySelectorAll('#workers tbody tr')].map((tr) => {
    const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
    const shards = (cells[2] ?? '').replace(/^\d+:\s*/, '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    return { workerId: cells[0] ?? '', shards: shards.map(Number) };
  });
}

/** Runs in the page: what the inspector shows, read at one instant (it refreshes every second). */
function readInspector(): { meta: string; state: string; context: unknown } {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const text = (id: string) => doc.getElementById(id)?.textContent ?? '';
  const context = text('inspect-context');
  return { meta: text('inspect-meta'), state: text('inspect-state'), context: context === '' ? null : (JSON.parse(context) as unknown) };
}

const isDriverFill = (pixel: number[]) => pixel[3] === 255 && DRIVER_FILLS.some((rgb) => rgb.every((c, i) => c === pixel[i]));

/** A child process whose output goes to a log file, the last few KB also kept for failure messages. */
function logged(child: ChildProcess, file: string) {
  const log: WriteStream = createWriteStream(file);
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  // 'close': the process is gone and both of its streams are drained.
  child.once('close', () => log.end());
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, file, exited, tail: () => tail };
}
type Logged = ReturnType<typeof logged>;

const running = (p: Logged | undefined): p is Logged => p !== undefined && p.child.exitCode === null && p.child.signalCode === null;

describe('the ops dashboard in a real browser (headless Chromium)', () => {
  const namespace = `t-${randomUUID().slice(0, 8)}`;
  let system: Logged | undefined;
  let simulation: Logged | undefined;
  let browser: Browser | undefined;
  let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    await browser?.close().catch(() => {});
    // The simulator runs in one process (no children of its own): nothing of it is left once it is killed.
    if (running(simulation)) simulation.child.kill('SIGKILL');
    await simulation?.exited;
    if (running(system)) system.child.kill('SIGTERM');
    const code = await system?.exited;
    const redis = new Redis(TEST_REDIS_URL);
    await deleteNamespace(redis, runtimeKeys(namespace));
    redis.disconnect();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    // A system that does not stop cleanly on SIGTERM is a failure too (after everything was cleaned up).
    if (system) expect(code, `the system exited with ${code} on SIGTERM; log: ${system.file}`).toBe(0);
  }, 60_000);

  it(
    'given the system (2 workers) and a small simulated city, when an ops user opens /ops/ and signs in with the dev token, ' +
      'then the workers and shards are listed, a driver moves on the map, an order moves through its statuses on the board, ' +
      'and the inspector shows that order’s state and context and follows it live until it is settled',
    async () => {
      // Fail, not skip: CI installs Chromium, and a dashboard that was never opened in a browser is not tested.
      expect(
        existsSync(CHROMIUM),
        `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`,
      ).toBe(true);
      rmSync(SHOTS_DIR, { recursive: true, force: true });
      mkdirSync(SHOTS_DIR, { recursive: true });
      mkdirSync(LOG_DIR, { recursive: true });
      let shot = 0;
      const screenshot = async (page: Page, name: string) => {
        shot += 1;
        await page.screenshot({ path: join(SHOTS_DIR, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
      };

      // ── the system: `src/main.ts all` (API, gateway, 2 workers) on the test Redis and a fresh database ─────────────
      const port = await findFreePort();
      const base = `http://127.0.0.1:${port}`;
      [db, dataDir, browser] = await Promise.all([
        freshDatabase(),
        mkdtemp(join(tmpdir(), 'fd-dashboard-')),
        chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      ]);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...testSystemEnv({ namespace, databaseUrl: db.url, dataDir }),
        PORT: String(port),
        WORKERS: String(WORKERS),
        AUTH_DEV_TOKENS: '1',
      };
      delete env.KAFKA_BROKERS;
      delete env.DEMO_CITY;
      system = logged(
        spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }),
        join(LOG_DIR, `${namespace}-dashboard-system.log`),
      );
      const sys = system;
      await expect
        .poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: WAIT_MS, interval: 250, message: `/readyz (log: ${sys.file})` })
        .toBe(200);

      // ── a small city: the fleet simulator through the public API, fast enough that orders finish within seconds ──
      simulation = logged(
        spawn(
          process.execPath,
          [
            ...['--import', 'tsx', 'scripts/simulate/index.ts', '--url', base, '--id-prefix', 'E2E', '--seed', '7', '--quiet', '--processes', '1'],
            ...['--drivers', String(DRIVERS), '--customers', '4', '--restaurants', '2', '--orders-per-sec', '0.4', '--duration', '3600'],
            ...['--radius-km', '1', '--restaurant-radius-km', '0.3', '--delivery-radius-km', '0.6', '--ping-seconds', '1', '--speed-kph', '40'],
            // Restaurants take 4 s to accept and drivers 1 s to take an offer: every order spends a few of the board's
            // 2 s refreshes in the kitchen's statuses before a driver has it; trips take ~10–20 s.
            ...['--time-scale', '10', '--prep-seconds', '3', '--restaurant-delay-ms', '4000', '--accept-probability', '1', '--accept-delay-ms', '1000'],
          ],
          { cwd: root, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
        ),
        join(LOG_DIR, `${namespace}-dashboard-simulate.log`),
      );

      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));

      try {
        // ── 1. sign in with the dev-token button; the cluster panel lists both workers and every shard ──────────────
        await page.goto(`${base}/ops/`);
        await expect.poll(() => page.locator('#dev-token').isVisible(), { timeout: WAIT_MS, message: 'the dev-token button shows' }).toBe(true);
        await screenshot(page, 'sign-in');
        await page.locator('#dev-token').click();
        // (The panels are drawn under the sign-in form even before it: `main { display: grid }` in style.css beats the
        // `hidden` attribute of #app. The sign-in form going away is what tells that the token was taken.)
        await expect.poll(() => page.locator('#login').isVisible(), { timeout: WAIT_MS, message: 'the sign-in form goes away' }).toBe(false);
        expect(await page.locator('#logout').isVisible()).toBe(true);
        await expect.poll(() => page.locator('#conn').textContent(), { timeout: WAIT_MS, message: 'the /ops socket is live' }).toBe('live');

        const rows = page.locator('#workers tbody tr');
        await expect.poll(() => rows.count(), { timeout: WAIT_MS, message: 'both workers are listed' }).toBe(WORKERS);
        await expect
          .poll(() => page.locator('#cluster-meta').textContent(), { timeout: WAIT_MS })
          .toContain(`${WORKERS} workers, ${SHARDS} shards`);
        // Each worker row: id, pid, "n: s1, s2, …"; together the rows own every shard exactly once.
        await expect
          .poll(async () => (await page.evaluate(readWorkers)).flatMap((w) => w.shards).sort((a, b) => a - b), {
            timeout: WAIT_MS,
            message: 'the workers together own every shard once',
          })
          .toEqual(Array.from({ length: SHARDS }, (_, i) => i));
        const opsToken = await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('fd-ops-token'));
        expect(opsToken, 'the dev token is kept for the session').toBeTruthy();
        // The workers listed are the live workers the API reports.
        await expect
          .poll(
            async () => {
              const res = await fetch(`${base}/v1/ops/cluster`, { headers: { authorization: `Bearer ${opsToken}` } });
              const api = ((await res.json()) as { workers: { workerId: string }[] }).workers.map((w) => w.workerId).sort();
              const shown = (await page.evaluate(readWorkers)).map((w) => w.workerId).sort();
              return { shown, api, same: shown.join() === api.join() && api.length === WORKERS };
            },
            { timeout: WAIT_MS, message: 'the workers listed are the live workers' },
          )
          .toMatchObject({ same: true });
        // Per-shard lag/pending comes from the metrics the workers publish periodically.
        await expect.poll(() => page.locator('#shards .shard').count(), { timeout: WAIT_MS, message: 'a tile per shard' }).toBe(SHARDS);
        await screenshot(page, 'cluster');

        // ── 2. a driver moves on the map: its drawn position and its coordinates change between two redraws ──────────
        const simDrivers = (ds: DrawnDriver[]) => ds.filter((d) => d.driverId.startsWith('E2E-'));
        await expect
          .poll(async () => simDrivers(await page.evaluate(readMap)).length, { timeout: WAIT_MS, message: `all ${DRIVERS} simulated drivers are drawn (log: ${simulation.file})` })
          .toBe(DRIVERS);
        const first = simDrivers(await page.evaluate(readMap));
        // Drawn means painted: most drivers' centre pixel is a driver colour (a neighbour's outline may cross one).
        expect(first.filter((d) => isDriverFill(d.pixel)).length, JSON.stringify(first)).toBeGreaterThanOrEqual(DRIVERS / 2);
        await screenshot(page, 'map-before');
        const before = new Map(first.map((d) => [d.driverId, d]));
        let moved: string | undefined;
        await expect
          .poll(
            async () => {
              const latest = simDrivers(await page.evaluate(readMap));
              for (const to of latest) {
                const from = before.get(to.driverId);
                if (!from || !isDriverFill(from.pixel) || !isDriverFill(to.pixel)) continue;
                const pixels = Math.hypot(to.x - from.x, to.y - from.y);
                if (pixels >= 1 && (to.lat !== from.lat || to.lng !== from.lng)) moved = to.driverId;
              }
              return moved ?? JSON.stringify(latest);
            },
            { timeout: WAIT_MS, interval: 500, message: 'a driver is drawn at a new position after it moved' },
          )
          .toMatch(/^E2E-DRV-\d+$/);
        await screenshot(page, 'map-after');

        // ── 3. an order moves across the board: one card seen in a kitchen column, later in a driver column ──────────
        const seen = new Map<string, { statuses: string[]; driver: string }>();
        const sampleBoard = async () => {
          for (const card of await page.evaluate(readBoard)) {
            const entry = seen.get(card.orderId) ?? { statuses: [], driver: '' };
            if (entry.statuses.at(-1) !== card.status) entry.statuses.push(card.status);
            entry.driver = card.driver;
            seen.set(card.orderId, entry);
          }
        };
        const travelled = () =>
          [...seen].find(
            ([, e]) => e.statuses.some((s) => KITCHEN_STATUSES.includes(s)) && e.statuses.some((s) => DRIVER_STATUSES.includes(s)) && new Set(e.statuses).size >= 2,
          );
        await expect.poll(async () => (await sampleBoard(), seen.size), { timeout: WAIT_MS, message: 'orders show on the board' }).toBeGreaterThan(0);
        await screenshot(page, 'board-first-orders');
        await expect
          .poll(async () => (await sampleBoard(), travelled()?.[0] ?? JSON.stringify(Object.fromEntries(seen))), {
            timeout: WAIT_MS,
            interval: 250,
            message: 'an order is seen in a kitchen status, then in a driver status',
          })
          .toMatch(/^ORD-[\w-]+$/);
        const [orderId, journey] = travelled() as [string, { statuses: string[]; driver: string }];
        expect(journey.driver, `the card names the order's driver once assigned (${JSON.stringify(journey)})`).toMatch(/^driver E2E-DRV-\d+$/);
        await screenshot(page, 'board-order-moved');

        // ── 4. the inspector: click that order's card; it shows the order actor's state and context, live ──────────
        const card = page.locator(`.card[data-order-id="${orderId}"]`);
        // The board redraws every 2 s and cards shift as orders move: click until the inspector watches this order.
        await expect
          .poll(
            async () => {
              await card.click({ timeout: 5_000 });
              return page.locator('#address').inputValue();
            },
            { timeout: WAIT_MS, interval: 500, message: 'a click on the card puts its order in the inspector' },
          )
          .toBe(`order:${orderId}`);
        // The inspector shows the order's state as the actor itself reports it (asked through the API), where it lives,
        // and the order's view as its context. It refreshes every second: poll until one read agrees with the actor.
        const statuses = [...KITCHEN_STATUSES, ...DRIVER_STATUSES];
        const where = new RegExp(`^order:${orderId} — shard \\d+ on w-[0-9a-f]+, `);
        await expect
          .poll(
            async () => {
              const shown = await page.evaluate(readInspector);
              const res = await fetch(`${base}/v1/ops/actors/${encodeURIComponent(`order:${orderId}`)}`, { headers: { authorization: `Bearer ${opsToken}` } });
              const actual = ((await res.json()) as { state: string }).state;
              const context = shown.context as { orderId?: string; status?: string } | null;
              const agrees = shown.state === actual && statuses.includes(actual) && where.test(shown.meta) && context?.orderId === orderId && context.status === actual;
              return agrees ? 'agrees' : { shown, actual };
            },
            { timeout: WAIT_MS, interval: 500, message: 'the inspector shows the order as the order actor reports it' },
          )
          .toBe('agrees');
        await screenshot(page, 'inspector');

        // … and follows it live, without another click, until it is settled: delivered by the driver the card named.
        await expect
          .poll(() => page.evaluate(readInspector), { timeout: WAIT_MS, interval: 500, message: `the inspector follows order:${orderId} to SETTLED` })
          .toMatchObject({
            meta: expect.stringMatching(where),
            state: 'SETTLED',
            context: { orderId, status: 'SETTLED', driverId: journey.driver.replace(/^driver /, ''), deliveredAt: expect.any(String) },
          });
        await screenshot(page, 'inspector-settled');

        expect(pageErrors, 'uncaught errors in the page').toEqual([]);
      } catch (e) {
        await screenshot(page, 'failure').catch(() => {});
        process.stderr.write(
          `\n--- system log ${system.file} (tail) ---\n${system.tail()}\n--- simulator log ${simulation.file} (tail) ---\n${simulation.tail()}\n` +
            `--- page errors ---\n${pageErrors.join('\n')}\n`,
        );
        throw e;
      }
    },
    150_000,
  );
});
