/** A point in WGS84 degrees: lat ∈ [-90, 90], lng ∈ [-180, 180]. */
export interface Location {
  lat: number;
  lng: number;
}

/** Mean Earth radius (IUGG), km. The same constant is used in SQL and here, so both agree on distances. */
export const EARTH_RADIUS_KM = 6371.0088;

const toRadians = (degrees: number) => (degrees * Math.PI) / 180;
const toDegrees = (radians: number) => (radians * 180) / Math.PI;

/** Great-circle distance between two points, km (haversine formula). */
export function haversineKm(a: Location, b: Location): number {
  const dLat = toRadians(b.lat - a.lat);
  const dLng = toRadians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Latitude bounds and one or two longitude ranges (two when the box crosses the antimeridian) that contain
 * every point within `radiusKm` of `center`: a cheap, index-friendly prefilter, not the answer. Near a pole the
 * box spans every longitude. After J. P. Matuschek, "Finding Points Within a Distance of a Latitude/Longitude
 * Using Bounding Coordinates".
 */
export interface BoundingBox {
  minLat: number;
  maxLat: number;
  lngRanges: [[number, number]] | [[number, number], [number, number]];
}

/**
 * Floating-point slack, km (1 mm): a point this close to the radius counts as within it, so one placed exactly
 * on the radius is never lost to rounding.
 */
export const DISTANCE_TOLERANCE_KM = 1e-6;

/** Widens the box by this many degrees (about 1.1 mm), more than DISTANCE_TOLERANCE_KM. */
const marginDegrees = 1e-8;

export function boundingBox(center: Location, radiusKm: number): BoundingBox {
  const angular = radiusKm / EARTH_RADIUS_KM;
  const minLat = center.lat - toDegrees(angular) - marginDegrees;
  const maxLat = center.lat + toDegrees(angular) + marginDegrees;
  if (minLat <= -90 || maxLat >= 90) {
    return { minLat: Math.max(minLat, -90), maxLat: Math.min(maxLat, 90), lngRanges: [[-180, 180]] };
  }
  const dLng = toDegrees(Math.asin(Math.min(1, Math.sin(angular) / Math.cos(toRadians(center.lat))))) + marginDegrees;
  const minLng = center.lng - dLng;
  const maxLng = center.lng + dLng;
  if (dLng >= 180) return { minLat, maxLat, lngRanges: [[-180, 180]] };
  if (minLng < -180) return { minLat, maxLat, lngRanges: [[minLng + 360, 180], [-180, maxLng]] };
  if (maxLng > 180) return { minLat, maxLat, lngRanges: [[minLng, 180], [-180, maxLng - 360]] };
  return { minLat, maxLat, lngRanges: [[minLng, maxLng]] };
}
