import type { Principal } from '../src/auth/principal.ts';

/**
 * Room names, the one place they are spelled. Workers push to these rooms (through the Redis adapter) and the
 * gateways put sockets in them.
 */
export const rooms = {
  order: (orderId: string) => `order:${orderId}`,
  driver: (driverId: string) => `driver:${driverId}`,
  customer: (customerId: string) => `customer:${customerId}`,
  restaurant: (restaurantId: string) => `restaurant:${restaurantId}`,
  ops: () => 'ops',
  /** `/ops` sockets watching one actor (the dashboard's live inspector). */
  watch: (address: string) => `watch:${address}`,
};

/** The rooms a principal's socket joins on connect: its own driver/customer/restaurant room. */
export function homeRooms(p: Principal): string[] {
  switch (p.role) {
    case 'driver':
      return p.driverId ? [rooms.driver(p.driverId)] : [];
    case 'customer':
      return p.customerId ? [rooms.customer(p.customerId)] : [];
    case 'restaurant':
      return p.restaurantId ? [rooms.restaurant(p.restaurantId)] : [];
    case 'admin':
    case 'support':
    case 'ops':
      return [rooms.ops()];
    default: {
      const _exhaustive: never = p.role;
      return _exhaustive;
    }
  }
}
