import { describe, expect, it } from 'vitest';
import { contains } from '../../../scripts/simulate/geo.ts';
import { helpText, MAX_SOCKETS_PER_PROCESS, parseOptions, processCount, type SimOptions } from '../../../scripts/simulate/options.ts';

const SEED = () => 42;

function options(...argv: string[]): SimOptions {
  const parsed = parseOptions(argv, SEED);
  if (!parsed.ok) throw new Error(`unexpected problems: ${parsed.error.join('; ')}`);
  if (parsed.value.help) throw new Error('unexpected --help');
  return parsed.value.options;
}

function problems(...argv: string[]): string[] {
  const parsed = parseOptions(argv, SEED);
  if (parsed.ok) throw new Error('expected the arguments to be refused');
  return parsed.error;
}

describe('simulate options', () => {
  it('given no arguments, when parsed, then the documented defaults apply', () => {
    const o = options();
    expect(o).toMatchObject({
      url: 'http://localhost:3000',
      drivers: 100,
      ordersPerSec: 1,
      durationS: 60,
      drainS: 30,
      restaurants: 20,
      restaurantIds: [],
      customers: 100,
      city: 'San Francisco',
      pingS: 3,
      acceptProbability: 0.9,
      acceptDelayMs: 500,
      prepS: 10,
      cardShare: 0.5,
      processes: null,
      maxSocketsPerProcess: MAX_SOCKETS_PER_PROCESS,
      tokenCommand: null,
      json: false,
      reportFile: null,
      seed: 42,
    });
    expect(contains(o.bounds, o.center)).toBe(true);
  });

  it('given the acceptance command line, when parsed, then every value is taken, in both --name value and --name=value forms', () => {
    const o = options('--drivers', '2000', '--orders-per-sec=20', '--duration', '60', '--json', '--url', 'http://10.0.0.5:8080/', '--report', 'out.html');
    expect(o).toMatchObject({ drivers: 2000, ordersPerSec: 20, durationS: 60, json: true, url: 'http://10.0.0.5:8080', reportFile: 'out.html' });
  });

  it('given a city, a centre or explicit bounds, when parsed, then drivers roam there', () => {
    expect(options('--city', 'london').city).toBe('London');
    const c = options('--center', '48.1,11.5', '--radius-km', '2');
    expect(c.center).toEqual({ lat: 48.1, lng: 11.5 });
    expect(c.bounds.north - c.bounds.south).toBeCloseTo(0.036, 3);
    const b = options('--bounds', '37.7,-122.5,37.8,-122.4');
    expect(b.bounds).toEqual({ south: 37.7, west: -122.5, north: 37.8, east: -122.4 });
    expect(b.center.lat).toBeCloseTo(37.75);
    expect(b.city).toBe('custom');
  });

  it('given existing restaurants and a token command, when parsed, then they are used instead of creating and dev tokens', () => {
    const o = options('--restaurant-ids', 'REST-1, REST-2', '--token-command', 'mint-token --role "$SIM_ROLE"');
    expect(o.restaurantIds).toEqual(['REST-1', 'REST-2']);
    expect(o.tokenCommand).toBe('mint-token --role "$SIM_ROLE"');
  });

  it('given unknown options, stray words, missing values and repeated options, when parsed, then each is named in its own sentence', () => {
    const p = problems('--drivrs', '10', 'oops', '--duration', '--json', '--url', 'a', '--url', 'b');
    expect(p).toContain('unknown option --drivrs (see --help)');
    expect(p).toContain('unexpected argument "10": options start with -- (see --help)');
    expect(p).toContain('--duration needs a value (S)');
    expect(p).toContain('--url is given more than once');
    expect(p.some((s) => s.startsWith('--url must be an http:// or https:// URL'))).toBe(true);
  });

  it('given numbers that are not numbers, not whole, or out of range, when parsed, then the problem and the allowed range are said', () => {
    expect(problems('--drivers', 'many')).toEqual(['--drivers must be a number (got "many")']);
    expect(problems('--drivers', '2.5')).toEqual(['--drivers must be a whole number (got "2.5")']);
    expect(problems('--drivers', '-1')).toEqual(['--drivers must be from 0 to 1000000 (got -1)']);
    expect(problems('--accept-probability', '1.5')).toEqual(['--accept-probability must be from 0 to 1 (got 1.5)']);
    expect(problems('--ping-seconds', '0.1')).toEqual(['--ping-seconds must be from 0.5 to 60 (got 0.1)']);
    expect(problems('--duration', '')).toEqual(['--duration must be a number (got "")']);
  });

  it('given malformed places, when parsed, then the expected form is shown', () => {
    expect(problems('--city', 'atlantis')[0]).toMatch(/^--city must be one of sf, nyc, .* \(got "atlantis"\); or use --center LAT,LNG$/);
    expect(problems('--center', '95,10')).toEqual(['--center must be LAT,LNG, e.g. 37.77,-122.42 (got "95,10")']);
    expect(problems('--bounds', '1,2,3')).toEqual(['--bounds must be SOUTH,WEST,NORTH,EAST in degrees (got "1,2,3")']);
    expect(problems('--bounds', '38,-122,37,-121')).toEqual(['--bounds must have SOUTH < NORTH and WEST < EAST (got "38,-122,37,-121")']);
    expect(problems('--bounds', '37,-122,38,-121', '--radius-km', '3')).toEqual(['--bounds and --radius-km both say where drivers roam: give one']);
    expect(problems('--restaurant-ids', 'ok,not/an/id')).toEqual(['--restaurant-ids: "not/an/id" is not an id']);
  });

  it('given a flag with a value, when parsed, then it is refused', () => {
    expect(problems('--json=yes')).toEqual(['--json is a flag and takes no value']);
  });

  it('given 20 000 drivers, when the process count is automatic, then enough processes hold at most 15 000 sockets each', () => {
    const o = options('--drivers', '20000');
    const n = processCount(o);
    expect(n).toBe(2);
    expect((20_000 + 100 + 20) / n).toBeLessThanOrEqual(MAX_SOCKETS_PER_PROCESS);
    expect(processCount(options('--drivers', '10'))).toBe(1);
    expect(processCount(options('--drivers', '10', '--processes', '3'))).toBe(3);
  });

  it('given too few processes for the sockets, when parsed, then the limit is explained', () => {
    expect(problems('--drivers', '20000', '--processes', '1')).toEqual([
      '--processes 1 would put 20120 sockets in each process; at most 15000 fit (raise --processes or leave it out)',
    ]);
  });

  it('given --help, when parsed, then help is asked for, and the help text lists every option with its default', () => {
    const parsed = parseOptions(['--help'], SEED);
    expect(parsed).toEqual({ ok: true, value: { help: true } });
    const text = helpText();
    for (const name of ['--url', '--drivers', '--orders-per-sec', '--duration', '--processes', '--token-command', '--json', '--report', '--accept-probability']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('default http://localhost:3000');
  });
});
