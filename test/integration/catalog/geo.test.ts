import { describe, expect, it } from 'vitest';
import { EARTH_RADIUS_KM, boundingBox, haversineKm } from '../../../src/catalog/geo.ts';

const kmPerDegree = (EARTH_RADIUS_KM * Math.PI) / 180;

describe('haversineKm', () => {
  it('given points one degree apart on the equator or a meridian, then one degree of arc', () => {
    expect(haversineKm({ lat: 0, lng: 0 }, { lat: 0, lng: 1 })).toBeCloseTo(kmPerDegree, 9);
    expect(haversineKm({ lat: 10, lng: 20 }, { lat: 11, lng: 20 })).toBeCloseTo(kmPerDegree, 9);
  });

  it('given the same point, then zero; given antipodes, then half the circumference', () => {
    expect(haversineKm({ lat: 37, lng: -122 }, { lat: 37, lng: -122 })).toBe(0);
    expect(haversineKm({ lat: 0, lng: 0 }, { lat: 0, lng: 180 })).toBeCloseTo(Math.PI * EARTH_RADIUS_KM, 6);
  });

  it('given San Francisco and Los Angeles, then about 559 km', () => {
    expect(haversineKm({ lat: 37.7749, lng: -122.4194 }, { lat: 34.0522, lng: -118.2437 })).toBeCloseTo(559.1, 0);
  });
});

describe('boundingBox', () => {
  /** Whether `box` contains the point. */
  const inside = (box: ReturnType<typeof boundingBox>, lat: number, lng: number) =>
    lat >= box.minLat && lat <= box.maxLat && box.lngRanges.some(([min, max]) => lng >= min && lng <= max);

  it('given a point away from poles and the antimeridian, then one longitude range around it', () => {
    const box = boundingBox({ lat: 37, lng: -122 }, 5);
    expect(box.lngRanges).toHaveLength(1);
    expect(box.maxLat - 37).toBeCloseTo(5 / kmPerDegree, 6);
  });

  it('given a box crossing the antimeridian, then two longitude ranges', () => {
    const box = boundingBox({ lat: 0, lng: 179.99 }, 5);
    expect(box.lngRanges).toHaveLength(2);
    expect(inside(box, 0, -179.99)).toBe(true);
    expect(inside(box, 0, 0)).toBe(false);
  });

  it('given a point near a pole, then every longitude', () => {
    expect(boundingBox({ lat: 89.99, lng: 10 }, 5).lngRanges).toEqual([[-180, 180]]);
    expect(boundingBox({ lat: -89.99, lng: 10 }, 5).lngRanges).toEqual([[-180, 180]]);
  });

  it('given points on the circle around the center, then all of them are inside the box', () => {
    for (const center of [
      { lat: 0, lng: 0 },
      { lat: 60, lng: 10 },
      { lat: -75, lng: 179.9 },
      { lat: 85, lng: -179.95 },
    ]) {
      const radiusKm = 50;
      const box = boundingBox(center, radiusKm);
      for (let bearing = 0; bearing < 360; bearing += 5) {
        // Destination point on the sphere, `radiusKm` away at `bearing`.
        const d = radiusKm / EARTH_RADIUS_KM;
        const b = (bearing * Math.PI) / 180;
        const la1 = (center.lat * Math.PI) / 180;
        const lo1 = (center.lng * Math.PI) / 180;
        const la2 = Math.asin(Math.sin(la1) * Math.cos(d) + Math.cos(la1) * Math.sin(d) * Math.cos(b));
        const lo2 = lo1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(la1), Math.cos(d) - Math.sin(la1) * Math.sin(la2));
        const lat = (la2 * 180) / Math.PI;
        const lng = ((((lo2 * 180) / Math.PI + 540) % 360) - 180);
        expect(haversineKm(center, { lat, lng })).toBeCloseTo(radiusKm, 6);
        expect(inside(box, lat, lng), `${bearing}° from ${center.lat},${center.lng}`).toBe(true);
      }
    }
  });
});
