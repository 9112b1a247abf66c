// `npm run simulate -- [options]`: every option, its unit and default, and the parser (pure: argv in, options or the
// list of problems out).
import { CITIES, boundsAround, centerOf, type Bounds, type LatLng } from './geo.ts';
import { err, ok, type Result } from '../../src/shared/result.ts';

/** A process holds at most this many sockets (the open-file limit here is 20 000; HTTP and the runtime need some). */
export const MAX_SOCKETS_PER_PROCESS = 15_000;

export interface SimOptions {
  /** Base URL of the system under load. @default http://localhost:3000 */
  readonly url: string;
  /** Simulated drivers, one `/driver` socket each. @default 100 */
  readonly drivers: number;
  /** Orders placed per second during the load phase (all processes together). @default 1 */
  readonly ordersPerSec: number;
  /** Length of the load phase (after every socket connected), s. @default 60 */
  readonly durationS: number;
  /** After the load phase, longest wait for orders in flight to be delivered or fail, s. @default 30 */
  readonly drainS: number;
  /** Restaurants created near the centre (ignored with `restaurantIds`). @default 20 */
  readonly restaurants: number;
  /** Existing restaurants to use instead of creating some (their menus are read, not written). */
  readonly restaurantIds: readonly string[];
  /** Customers placing orders, one `/customer` socket each. @default 100 */
  readonly customers: number;
  /** Where the city is: its name (for the report) and bounds; drivers roam and customers live inside. */
  readonly city: string;
  readonly center: LatLng;
  readonly bounds: Bounds;
  /** Restaurants lie within this distance of the centre, km. @default 1.5 */
  readonly restaurantRadiusKm: number;
  /** Drop-offs lie within this distance of their restaurant, km. @default 2 */
  readonly deliveryRadiusKm: number;
  /** Between location pings of a driver, s. @default 3 */
  readonly pingS: number;
  /** Driving speed, km/h: roaming drivers drive at it, drivers on a trip at `speedKph × timeScale`. @default 30 */
  readonly speedKph: number;
  /** How much faster than real time drivers on a trip drive (so that trips end within a run). @default 20 */
  readonly timeScale: number;
  /** Chance that a driver accepts an offer (else it declines — an injected refusal, not an error). @default 0.9 */
  readonly acceptProbability: number;
  /** A driver answers an offer after this long, ms. @default 500 */
  readonly acceptDelayMs: number;
  /** A restaurant accepts a new order after this long, ms. @default 1000 */
  readonly restaurantDelayMs: number;
  /** Food is ready this long after the restaurant accepted, s (simulated time is already scaled). @default 10 */
  readonly prepS: number;
  /** A driver waiting for the food tries PICKED_UP again after this long, ms. @default 1000 */
  readonly pickupRetryMs: number;
  /** Share of orders paid by card (the rest cash on delivery). @default 0.5 */
  readonly cardShare: number;
  /** Injected: chance that a restaurant rejects an order. @default 0 */
  readonly rejectProbability: number;
  /** Injected: chance that a customer cancels an order a few seconds after placing it. @default 0 */
  readonly cancelProbability: number;
  /** Processes holding the sockets; null = as many as needed for `maxSocketsPerProcess`. */
  readonly processes: number | null;
  /** Sockets one process holds at most (drives the automatic process count). @default 15000 */
  readonly maxSocketsPerProcess: number;
  /** New sockets per second while connecting (all processes together). @default 1000 */
  readonly connectRate: number;
  /** HTTP requests in flight at once, per process. @default 64 */
  readonly httpConcurrency: number;
  /** A socket event or HTTP request unanswered this long is an error, ms. @default 10000 */
  readonly timeoutMs: number;
  /** A shell command printing a token (env SIM_ROLE, SIM_SUB, SIM_DRIVER_ID, SIM_CUSTOMER_ID, SIM_RESTAURANT_ID); null = dev tokens. */
  readonly tokenCommand: string | null;
  /** Prefix of the simulated ids (`<prefix>-DRV-1`, `<prefix>-CUST-1`). @default SIM */
  readonly idPrefix: string;
  /** Print the summary as one JSON object on the last line of stdout. */
  readonly json: boolean;
  /** Write a self-contained HTML report here. */
  readonly reportFile: string | null;
  /** Seed of every random choice. @default random */
  readonly seed: number;
  /** No progress line. */
  readonly quiet: boolean;
  /** Exit with status 2 when the run saw errors it did not inject. */
  readonly failOnError: boolean;
}

type Kind = 'int' | 'number' | 'fraction' | 'string' | 'flag';

interface Spec {
  readonly kind: Kind;
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
  readonly value?: string;
}

/** Every option: name → kind, range and the line `--help` prints. */
const SPECS: Readonly<Record<string, Spec>> = {
  url: { kind: 'string', value: 'URL', help: 'base URL of the system (default http://localhost:3000)' },
  drivers: { kind: 'int', min: 0, max: 1_000_000, value: 'N', help: 'simulated drivers, one /driver socket each (default 100)' },
  'orders-per-sec': { kind: 'number', min: 0, max: 10_000, value: 'R', help: 'orders placed per second (default 1)' },
  duration: { kind: 'number', min: 1, max: 86_400, value: 'S', help: 'load phase, seconds, after all sockets connected (default 60)' },
  'drain-seconds': { kind: 'number', min: 0, max: 3_600, value: 'S', help: 'then wait at most this long for orders in flight (default 30)' },
  restaurants: { kind: 'int', min: 1, max: 10_000, value: 'N', help: 'restaurants created near the centre (default 20)' },
  'restaurant-ids': { kind: 'string', value: 'ID,…', help: 'use these existing restaurants instead of creating some' },
  customers: { kind: 'int', min: 1, max: 100_000, value: 'N', help: 'customers placing orders, one /customer socket each (default 100)' },
  city: { kind: 'string', value: 'NAME', help: `city centre: ${Object.keys(CITIES).join(', ')} (default sf)` },
  center: { kind: 'string', value: 'LAT,LNG', help: 'city centre as coordinates (instead of --city)' },
  'radius-km': { kind: 'number', min: 0.2, max: 200, value: 'KM', help: 'drivers roam the square of ±KM around the centre (default 4)' },
  bounds: { kind: 'string', value: 'S,W,N,E', help: 'drivers roam this lat/lng rectangle (instead of --radius-km)' },
  'restaurant-radius-km': { kind: 'number', min: 0, max: 200, value: 'KM', help: 'restaurants within KM of the centre (default 1.5)' },
  'delivery-radius-km': { kind: 'number', min: 0.05, max: 100, value: 'KM', help: 'drop-offs within KM of the restaurant (default 2)' },
  'ping-seconds': { kind: 'number', min: 0.5, max: 60, value: 'S', help: 'between a driver\'s location pings (default 3)' },
  'speed-kph': { kind: 'number', min: 1, max: 150, value: 'KPH', help: 'driving speed (default 30)' },
  'time-scale': { kind: 'number', min: 1, max: 1_000, value: 'X', help: 'drivers on a trip drive X times faster than real (default 20)' },
  'accept-probability': { kind: 'fraction', value: 'P', help: 'chance a driver accepts an offer, else declines (default 0.9)' },
  'accept-delay-ms': { kind: 'int', min: 0, max: 600_000, value: 'MS', help: 'a driver answers an offer after MS (default 500)' },
  'restaurant-delay-ms': { kind: 'int', min: 0, max: 600_000, value: 'MS', help: 'a restaurant accepts a new order after MS (default 1000)' },
  'prep-seconds': { kind: 'number', min: 0, max: 3_600, value: 'S', help: 'food ready S after the restaurant accepted (default 10)' },
  'pickup-retry-ms': { kind: 'int', min: 100, max: 60_000, value: 'MS', help: 'a driver waiting for the food retries PICKED_UP every MS (default 1000)' },
  'card-share': { kind: 'fraction', value: 'P', help: 'share of orders paid by card, the rest cash (default 0.5)' },
  'reject-probability': { kind: 'fraction', value: 'P', help: 'injected: chance a restaurant rejects an order (default 0)' },
  'cancel-probability': { kind: 'fraction', value: 'P', help: 'injected: chance a customer cancels soon after placing (default 0)' },
  processes: { kind: 'int', min: 1, max: 64, value: 'N', help: 'processes holding the sockets (default: enough for --max-sockets-per-process)' },
  'max-sockets-per-process': { kind: 'int', min: 10, max: MAX_SOCKETS_PER_PROCESS, value: 'N', help: `sockets per process at most (default ${MAX_SOCKETS_PER_PROCESS})` },
  'connect-rate': { kind: 'number', min: 1, max: 100_000, value: 'N', help: 'new sockets per second while connecting (default 1000)' },
  'http-concurrency': { kind: 'int', min: 1, max: 2_000, value: 'N', help: 'HTTP requests in flight per process (default 64)' },
  'timeout-ms': { kind: 'int', min: 100, max: 600_000, value: 'MS', help: 'an unanswered socket event or HTTP request is an error after MS (default 10000)' },
  'token-command': {
    kind: 'string',
    value: 'CMD',
    help: 'shell command printing a token; env SIM_ROLE, SIM_SUB, SIM_DRIVER_ID, SIM_CUSTOMER_ID, SIM_RESTAURANT_ID (default: POST /v1/auth/dev-tokens)',
  },
  'id-prefix': { kind: 'string', value: 'P', help: 'prefix of simulated ids, e.g. P-DRV-1 (default SIM)' },
  json: { kind: 'flag', help: 'print the summary as one JSON object on the last line of stdout' },
  report: { kind: 'string', value: 'FILE', help: 'write a self-contained HTML report with charts' },
  seed: { kind: 'int', min: 0, max: 4_294_967_295, value: 'N', help: 'seed of every random choice (default random)' },
  quiet: { kind: 'flag', help: 'no progress line' },
  'fail-on-error': { kind: 'flag', help: 'exit with status 2 when there were errors the simulation did not inject' },
  help: { kind: 'flag', help: 'this text' },
};

export function helpText(): string {
  const rows = Object.entries(SPECS).map(([name, spec]) => [`--${name}${spec.value ? ` ${spec.value}` : ''}`, spec.help] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    'Fleet simulator: drivers, customers and restaurants against the public API and sockets.',
    '',
    'usage: npm run simulate -- [options]',
    '',
    ...rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`),
    '',
    'Example: npm run simulate -- --drivers 2000 --orders-per-sec 20 --duration 60 --json --report sim.html',
  ].join('\n');
}

export type Parsed = { readonly help: true } | { readonly help: false; readonly options: SimOptions };

/** Parses `--name value`, `--name=value` and flags; every problem is reported, each as one sentence. */
export function parseOptions(argv: readonly string[], randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 32)): Result<Parsed, string[]> {
  const raw = new Map<string, string>();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}": options start with -- (see --help)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = Object.hasOwn(SPECS, name) ? SPECS[name] : undefined;
    if (!spec) {
      problems.push(`unknown option --${name} (see --help)`);
      continue;
    }
    if (raw.has(name)) problems.push(`--${name} is given more than once`);
    if (spec.kind === 'flag') {
      if (eq !== -1) problems.push(`--${name} is a flag and takes no value`);
      raw.set(name, 'true');
      continue;
    }
    const value = eq === -1 ? argv[i + 1] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) {
      problems.push(`--${name} needs a value (${spec.value ?? 'a value'})`);
      continue;
    }
    if (eq === -1) i += 1;
    raw.set(name, value);
  }
  if (raw.has('help')) return problems.length > 0 ? err(problems) : ok({ help: true });

  const num = (name: string, fallback: number): number => {
    const spec = SPECS[name] as Spec;
    const text = raw.get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    const [min, max] = spec.kind === 'fraction' ? [0, 1] : [spec.min ?? -Infinity, spec.max ?? Infinity];
    if (text.trim() === '' || !Number.isFinite(n)) problems.push(`--${name} must be a number (got "${text}")`);
    else if (spec.kind === 'int' && !Number.isInteger(n)) problems.push(`--${name} must be a whole number (got "${text}")`);
    else if (n < min || n > max) problems.push(`--${name} must be from ${min} to ${max} (got ${text})`);
    else return n;
    return fallback;
  };
  const str = (name: string): string | undefined => raw.get(name);

  const url = str('url') ?? 'http://localhost:3000';
  if (!/^https?:\/\/[^/\s]+/.test(url)) problems.push(`--url must be an http:// or https:// URL (got "${url}")`);

  const cityName = str('city') ?? 'sf';
  const city = Object.hasOwn(CITIES, cityName.toLowerCase()) ? CITIES[cityName.toLowerCase()] : undefined;
  if (!city) problems.push(`--city must be one of ${Object.keys(CITIES).join(', ')} (got "${cityName}"); or use --center LAT,LNG`);
  let center: LatLng = city?.center ?? (CITIES.sf as { center: LatLng }).center;
  const centerText = str('center');
  if (centerText !== undefined) {
    const parsed = numbers(centerText, 2);
    if (!parsed || !validLatLng(parsed[0] as number, parsed[1] as number)) problems.push(`--center must be LAT,LNG, e.g. 37.77,-122.42 (got "${centerText}")`);
    else center = { lat: parsed[0] as number, lng: parsed[1] as number };
  }
  const radiusKm = num('radius-km', 4);
  let bounds = boundsAround(center, radiusKm);
  const boundsText = str('bounds');
  if (boundsText !== undefined) {
    const b = numbers(boundsText, 4);
    const [south, west, north, east] = b ?? [];
    if (south === undefined || west === undefined || north === undefined || east === undefined || !validLatLng(south, west) || !validLatLng(north, east)) {
      problems.push(`--bounds must be SOUTH,WEST,NORTH,EAST in degrees (got "${boundsText}")`);
    } else if (south >= north || west >= east) {
      problems.push(`--bounds must have SOUTH < NORTH and WEST < EAST (got "${boundsText}")`);
    } else {
      bounds = { south, west, north, east };
      if (centerText === undefined) center = centerOf(bounds);
    }
  }
  if (boundsText !== undefined && raw.has('radius-km')) problems.push('--bounds and --radius-km both say where drivers roam: give one');

  const restaurantIds = (str('restaurant-ids') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const badId = restaurantIds.find((s) => !/^[A-Za-z0-9._~@-]{1,128}$/.test(s));
  if (badId !== undefined) problems.push(`--restaurant-ids: "${badId}" is not an id`);
  if (raw.has('restaurant-ids') && restaurantIds.length === 0) problems.push('--restaurant-ids needs at least one id');

  const idPrefix = str('id-prefix') ?? 'SIM';
  if (!/^[A-Za-z0-9._~@]{1,40}$/.test(idPrefix)) problems.push(`--id-prefix must be 1–40 letters, digits or ._~@ (got "${idPrefix}")`);

  const tokenCommand = str('token-command') ?? null;
  if (tokenCommand !== null && tokenCommand.trim() === '') problems.push('--token-command must not be empty');

  const reportFile = str('report') ?? null;
  if (reportFile !== null && reportFile.trim() === '') problems.push('--report needs a file name');

  const options: SimOptions = {
    url: url.replace(/\/+$/, ''),
    drivers: num('drivers', 100),
    ordersPerSec: num('orders-per-sec', 1),
    durationS: num('duration', 60),
    drainS: num('drain-seconds', 30),
    restaurants: num('restaurants', 20),
    restaurantIds,
    customers: num('customers', 100),
    city: centerText !== undefined || boundsText !== undefined ? 'custom' : (city?.name ?? cityName),
    center,
    bounds,
    restaurantRadiusKm: num('restaurant-radius-km', 1.5),
    deliveryRadiusKm: num('delivery-radius-km', 2),
    pingS: num('ping-seconds', 3),
    speedKph: num('speed-kph', 30),
    timeScale: num('time-scale', 20),
    acceptProbability: num('accept-probability', 0.9),
    acceptDelayMs: num('accept-delay-ms', 500),
    restaurantDelayMs: num('restaurant-delay-ms', 1000),
    prepS: num('prep-seconds', 10),
    pickupRetryMs: num('pickup-retry-ms', 1000),
    cardShare: num('card-share', 0.5),
    rejectProbability: num('reject-probability', 0),
    cancelProbability: num('cancel-probability', 0),
    processes: raw.has('processes') ? num('processes', 1) : null,
    maxSocketsPerProcess: num('max-sockets-per-process', MAX_SOCKETS_PER_PROCESS),
    connectRate: num('connect-rate', 1000),
    httpConcurrency: num('http-concurrency', 64),
    timeoutMs: num('timeout-ms', 10_000),
    tokenCommand,
    idPrefix,
    json: raw.has('json'),
    reportFile,
    seed: raw.has('seed') ? num('seed', 0) : randomSeed(),
    quiet: raw.has('quiet'),
    failOnError: raw.has('fail-on-error'),
  };
  if (options.processes !== null) {
    const perProcess = Math.ceil(socketsNeeded(options) / options.processes);
    if (perProcess > options.maxSocketsPerProcess) {
      problems.push(
        `--processes ${options.processes} would put ${perProcess} sockets in each process; at most ${options.maxSocketsPerProcess} fit (raise --processes or leave it out)`,
      );
    }
  }
  return problems.length > 0 ? err(problems) : ok({ help: false, options });
}

/** Sockets the whole simulation holds: drivers, customers, restaurant consoles. */
export function socketsNeeded(o: Pick<SimOptions, 'drivers' | 'customers' | 'restaurants' | 'restaurantIds'>): number {
  return o.drivers + o.customers + (o.restaurantIds.length > 0 ? o.restaurantIds.length : o.restaurants);
}

/** Processes to use: as asked, or as few as hold every socket within the per-process limit. */
export function processCount(o: SimOptions): number {
  return o.processes ?? Math.max(1, Math.ceil(socketsNeeded(o) / o.maxSocketsPerProcess));
}

function numbers(text: string, count: number): number[] | null {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== count || parts.some((p) => p === '')) return null;
  const values = parts.map(Number);
  return values.every(Number.isFinite) ? values : null;
}

const validLatLng = (lat: number, lng: number) => lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180;
