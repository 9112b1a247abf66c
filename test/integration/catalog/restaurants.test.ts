import { beforeEach, describe, expect, it } from 'vitest';
import { EARTH_RADIUS_KM } from '../../../src/catalog/geo.ts';
import { T0, admin, customer, driver, errorBody, restaurantPrincipal, useCatalog } from './harness.ts';
import type { Catalog } from './harness.ts';

const currentCatalog = useCatalog();
let catalog: Catalog;
beforeEach(() => {
  catalog = currentCatalog();
});

/** Degrees of latitude spanning `km` along a meridian (exact on the sphere the distances are computed on). */
const kmOfLatitude = (km: number) => (km / EARTH_RADIUS_KM) * (180 / Math.PI);

async function createRestaurant(name: string, lat: number, lng: number): Promise<string> {
  const res = await catalog.call('POST', '/v1/restaurants', {
    token: await catalog.token(admin),
    body: { name, location: { lat, lng } },
  });
  expect(res.status).toBe(201);
  return (res.body as { restaurantId: string }).restaurantId;
}

describe('POST /v1/restaurants', () => {
  it('given an admin and a valid body, when posted, then 201 with the restaurant and a Location, and it is stored', async () => {
    const res = await catalog.call('POST', '/v1/restaurants', {
      token: await catalog.token(admin),
      body: {
        name: '  Luigi’s Pizza ',
        location: { lat: 37.7749, lng: -122.4194 },
        address: { street: '1 Market St', city: 'San Francisco', state: 'CA', zipCode: '94105' },
      },
    });
    expect(res.status).toBe(201);
    const expected = {
      restaurantId: 'REST-T1',
      name: 'Luigi’s Pizza',
      location: { lat: 37.7749, lng: -122.4194 },
      address: { street: '1 Market St', city: 'San Francisco', state: 'CA', zipCode: '94105' },
      createdAt: new Date(T0).toISOString(),
    };
    expect(res.body).toEqual(expected);
    expect(res.headers.get('location')).toBe('/v1/restaurants/REST-T1');

    const again = await catalog.call('GET', '/v1/restaurants/REST-T1', { token: await catalog.token(customer) });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(expected);
    expect(await catalog.count('restaurants')).toBe(1);
  });

  it('given no address or a null one, when posted, then address is null', async () => {
    const token = await catalog.token(admin);
    for (const body of [
      { name: 'A', location: { lat: 0, lng: 0 } },
      { name: 'B', location: { lat: 0, lng: 0 }, address: null },
    ]) {
      const res = await catalog.call('POST', '/v1/restaurants', { token, body });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: body.name, address: null });
    }
  });

  it('given the extreme coordinates, when posted, then they are accepted', async () => {
    const token = await catalog.token(admin);
    for (const location of [
      { lat: 90, lng: 180 },
      { lat: -90, lng: -180 },
    ]) {
      const res = await catalog.call('POST', '/v1/restaurants', { token, body: { name: 'Edge', location } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ location });
    }
  });

  const valid = { name: 'Pho 88', location: { lat: 37.7, lng: -122.4 } };
  const badBodies: Array<[string, unknown]> = [
    ['no name', { location: valid.location }],
    ['no location', { name: 'x' }],
    ['an empty name', { ...valid, name: '' }],
    ['a blank name', { ...valid, name: '   ' }],
    ['a numeric name', { ...valid, name: 42 }],
    ['a too long name', { ...valid, name: 'x'.repeat(201) }],
    ['an unknown field', { ...valid, rating: 5 }],
    ['an unknown location field', { ...valid, location: { ...valid.location, alt: 10 } }],
    ['a null location', { ...valid, location: null }],
    ['a location without lng', { ...valid, location: { lat: 1 } }],
    ['a string latitude', { ...valid, location: { lat: '37.7', lng: -122.4 } }],
    ['a latitude above 90', { ...valid, location: { lat: 90.0001, lng: 0 } }],
    ['a latitude below -90', { ...valid, location: { lat: -91, lng: 0 } }],
    ['a longitude above 180', { ...valid, location: { lat: 0, lng: 180.5 } }],
    ['a longitude below -180', { ...valid, location: { lat: 0, lng: -181 } }],
    ['an address with an unknown field', { ...valid, address: { street: 's', city: 'c', zipCode: '12345', floor: 2 } }],
    ['an address without street', { ...valid, address: { city: 'c', zipCode: '12345' } }],
    ['an address with a bad zip code', { ...valid, address: { street: 's', city: 'c', zipCode: '!' } }],
    ['a string address', { ...valid, address: '1 Main St' }],
    ['an array body', [valid]],
    ['a JSON null body', 'null'],
    ['an infinite latitude (1e400)', '{"name":"x","location":{"lat":1e400,"lng":0}}'],
    ['a NaN latitude (not JSON)', '{"name":"x","location":{"lat":NaN,"lng":0}}'],
    ['malformed JSON', '{"name":'],
  ];
  it.each(badBodies)('given %s, when posted, then 400 VALIDATION_FAILED and nothing is written', async (_label, body) => {
    const res = await catalog.call('POST', '/v1/restaurants', { token: await catalog.token(admin), body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
    expect(await catalog.count('restaurants')).toBe(0);
  });

  it('given no body at all, when posted, then 400 VALIDATION_FAILED', async () => {
    const res = await catalog.call('POST', '/v1/restaurants', { token: await catalog.token(admin) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
  });

  it('given a validation failure, then the detail names the fields and nothing internal', async () => {
    const res = await catalog.call('POST', '/v1/restaurants', {
      token: await catalog.token(admin),
      body: { name: 'x', location: { lat: 95, lng: 'west' }, extra: true },
    });
    expect(res.status).toBe(400);
    const detail = (res.body as { errors: Array<{ detail: string }> }).errors[0]?.detail;
    expect(detail).toContain('location.lat');
    expect(detail).toContain('location.lng');
    expect(detail).toContain('extra');
  });

  it('given no token, when posted, then 401 UNAUTHENTICATED and nothing is written', async () => {
    const res = await catalog.call('POST', '/v1/restaurants', { body: valid });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorBody(401, 'UNAUTHENTICATED'));
    expect(await catalog.count('restaurants')).toBe(0);
  });

  it('given a forged token, when posted, then 401 UNAUTHENTICATED and nothing is written', async () => {
    const res = await catalog.call('POST', '/v1/restaurants', { token: 'not.a.jwt', body: valid });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorBody(401, 'UNAUTHENTICATED'));
    expect(await catalog.count('restaurants')).toBe(0);
  });

  it.each([
    ['customer', customer],
    ['driver', driver],
    ['restaurant', restaurantPrincipal('REST-T1')],
    ['support', { sub: 'sup-1', role: 'support' as const }],
    ['ops', { sub: 'ops-1', role: 'ops' as const }],
  ])('given a %s token, when posted, then 403 FORBIDDEN and nothing is written', async (_role, principal) => {
    const res = await catalog.call('POST', '/v1/restaurants', { token: await catalog.token(principal), body: valid });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorBody(403, 'FORBIDDEN'));
    expect(await catalog.count('restaurants')).toBe(0);
  });

  it('given a bad body from a customer, when posted, then 403 (roles are checked before the body)', async () => {
    const res = await catalog.call('POST', '/v1/restaurants', { token: await catalog.token(customer), body: { nope: 1 } });
    expect(res.status).toBe(403);
  });
});

describe('GET /v1/restaurants/{restaurantId}', () => {
  it.each([
    ['customer', customer],
    ['driver', driver],
    ['restaurant', restaurantPrincipal('REST-OTHER')],
    ['admin', admin],
  ])('given a %s token, when read, then 200 with the restaurant', async (_role, principal) => {
    const id = await createRestaurant('Sushi Go', 35.68, 139.76);
    const res = await catalog.call('GET', `/v1/restaurants/${id}`, { token: await catalog.token(principal) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      restaurantId: id,
      name: 'Sushi Go',
      location: { lat: 35.68, lng: 139.76 },
      address: null,
      createdAt: new Date(T0).toISOString(),
    });
  });

  it.each([['REST-NOPE'], ['%20bad%20id'], ['x'.repeat(300)]])('given the unknown id %s, when read, then 404 NOT_FOUND', async (id) => {
    const res = await catalog.call('GET', `/v1/restaurants/${id}`, { token: await catalog.token(customer) });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody(404, 'NOT_FOUND'));
  });

  it('given no token, when read, then 401 UNAUTHENTICATED', async () => {
    const id = await createRestaurant('Sushi Go', 35.68, 139.76);
    const res = await catalog.call('GET', `/v1/restaurants/${id}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorBody(401, 'UNAUTHENTICATED'));
  });
});

interface ListBody {
  restaurants: Array<{ restaurantId: string; name: string; distanceKm?: number }>;
}

describe('GET /v1/restaurants (no near): newest first', () => {
  it('given restaurants created over time, when listed, then newest first, capped by limit, without distances', async () => {
    const ids: string[] = [];
    for (const name of ['First', 'Second', 'Third']) {
      ids.push(await createRestaurant(name, 10, 10));
      catalog.clock.advance(1000);
    }
    const token = await catalog.token(customer);
    const all = await catalog.call('GET', '/v1/restaurants', { token });
    expect(all.status).toBe(200);
    expect((all.body as ListBody).restaurants.map((r) => r.name)).toEqual(['Third', 'Second', 'First']);
    expect((all.body as ListBody).restaurants[0]).not.toHaveProperty('distanceKm');

    const two = await catalog.call('GET', '/v1/restaurants?limit=2', { token });
    expect((two.body as ListBody).restaurants.map((r) => r.restaurantId)).toEqual([ids[2], ids[1]]);
  });

  it('given no restaurants, when listed, then an empty list', async () => {
    const res = await catalog.call('GET', '/v1/restaurants', { token: await catalog.token(driver) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ restaurants: [] });
  });
});

describe('GET /v1/restaurants?near=…: nearest first within the radius', () => {
  const center = { lat: 37, lng: -122 };

  /** Restaurants due north (positive km) or south (negative) of the center, named by their distance. */
  async function placeAlongMeridian(kms: number[]): Promise<void> {
    for (const km of kms) await createRestaurant(`${km} km`, center.lat + kmOfLatitude(km), center.lng);
  }

  it('given restaurants at known distances, when searched with the default radius, then nearest first and farther ones excluded', async () => {
    await placeAlongMeridian([4, -1, 2.5, 6, 30]);
    await createRestaurant('elsewhere', -33.86, 151.2);
    const res = await catalog.call('GET', `/v1/restaurants?near=${center.lat},${center.lng}`, { token: await catalog.token(customer) });
    expect(res.status).toBe(200);
    const found = (res.body as ListBody).restaurants;
    expect(found.map((r) => r.name)).toEqual(['-1 km', '2.5 km', '4 km']);
    expect(found.map((r) => r.distanceKm)).toEqual([1, 2.5, 4]);
    expect(found[0]).toMatchObject({ restaurantId: expect.stringMatching(/^REST-/), location: { lng: center.lng }, address: null });
  });

  it('given a wider radius and a limit, when searched, then they apply', async () => {
    await placeAlongMeridian([4, -1, 2.5, 6, 30]);
    const token = await catalog.token(customer);
    const ten = await catalog.call('GET', `/v1/restaurants?near=${center.lat},${center.lng}&radiusKm=10`, { token });
    expect((ten.body as ListBody).restaurants.map((r) => r.name)).toEqual(['-1 km', '2.5 km', '4 km', '6 km']);
    const fifty = await catalog.call('GET', `/v1/restaurants?near=${center.lat},%20${center.lng}&radiusKm=50&limit=2`, { token });
    expect((fifty.body as ListBody).restaurants.map((r) => r.name)).toEqual(['-1 km', '2.5 km']);
    const small = await catalog.call('GET', `/v1/restaurants?near=${center.lat},${center.lng}&radiusKm=0.5`, { token });
    expect(small.body).toEqual({ restaurants: [] });
  });

  it('given a restaurant exactly on the radius, when searched, then it is included', async () => {
    await placeAlongMeridian([5]);
    const res = await catalog.call('GET', `/v1/restaurants?near=${center.lat},${center.lng}`, { token: await catalog.token(customer) });
    expect((res.body as ListBody).restaurants.map((r) => r.name)).toEqual(['5 km']);
  });

  it('given restaurants east and west at a high latitude, when searched, then the bounding box cuts off none inside', async () => {
    // Along the 80th parallel: the longitude offset whose great-circle distance is `km`.
    const lat = 80;
    const lngOffset = (km: number) =>
      (2 * Math.asin(Math.sin(km / (2 * EARTH_RADIUS_KM)) / Math.cos((lat * Math.PI) / 180)) * 180) / Math.PI;
    await createRestaurant('4.99 km east', lat, 10 + lngOffset(4.99));
    await createRestaurant('4.5 km west', lat, 10 - lngOffset(4.5));
    await createRestaurant('5.01 km west', lat, 10 - lngOffset(5.01));
    const res = await catalog.call('GET', `/v1/restaurants?near=${lat},10`, { token: await catalog.token(customer) });
    const found = (res.body as ListBody).restaurants;
    expect(found.map((r) => r.name)).toEqual(['4.5 km west', '4.99 km east']);
    expect(found.map((r) => r.distanceKm)).toEqual([4.5, 4.99]);
  });

  it('given restaurants across the antimeridian, when searched, then they are found', async () => {
    await createRestaurant('across', 0, -179.995);
    await createRestaurant('same side, too far', 0, 179.9);
    const res = await catalog.call('GET', '/v1/restaurants?near=0,179.995', { token: await catalog.token(customer) });
    const found = (res.body as ListBody).restaurants;
    expect(found.map((r) => r.name)).toEqual(['across']);
    expect(found[0]?.distanceKm).toBeCloseTo(0.01 * (Math.PI / 180) * EARTH_RADIUS_KM, 3);
  });

  it('given a restaurant across the pole, when searched near the pole, then it is found', async () => {
    await createRestaurant('over the pole', 89.99, 180);
    const res = await catalog.call('GET', '/v1/restaurants?near=89.99,0', { token: await catalog.token(customer) });
    const found = (res.body as ListBody).restaurants;
    expect(found.map((r) => r.name)).toEqual(['over the pole']);
    expect(found[0]?.distanceKm).toBeCloseTo(0.02 * (Math.PI / 180) * EARTH_RADIUS_KM, 3);
  });

  it.each([
    ['near=abc'],
    ['near=37.7'],
    ['near=91,0'],
    ['near=-90.5,0'],
    ['near=0,181'],
    ['near=0,-180.01'],
    ['near=NaN,0'],
    ['near=1e1,2'],
    ['near=Infinity,0'],
    ['near=1,2,3'],
    ['near='],
    ['near=1,2&near=3,4'],
    ['near=1,2&radiusKm=0'],
    ['near=1,2&radiusKm=-1'],
    ['near=1,2&radiusKm=50.01'],
    ['near=1,2&radiusKm=abc'],
    ['radiusKm=5'],
    ['limit=0'],
    ['limit=101'],
    ['limit=1.5'],
    ['color=red'],
  ])('given the query %s, when searched, then 400 VALIDATION_FAILED', async (query) => {
    const res = await catalog.call('GET', `/v1/restaurants?${query}`, { token: await catalog.token(customer) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED'));
  });

  it('given no token, when searched, then 401 UNAUTHENTICATED', async () => {
    const res = await catalog.call('GET', '/v1/restaurants?near=37,-122');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorBody(401, 'UNAUTHENTICATED'));
  });
});

describe('the router leaves other paths alone', () => {
  it('given a path it does not serve, when called without a token, then the app answers 404 (not 401)', async () => {
    const res = await catalog.call('GET', '/v1/elsewhere');
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody(404, 'NOT_FOUND'));
  });
});
