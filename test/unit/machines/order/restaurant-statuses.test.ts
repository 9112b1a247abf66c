import { describe, expect, it } from 'vitest';
import { OPEN_FOR_RESTAURANT, restaurantSees } from '../../../../machines/order/restaurant-statuses.ts';
import { ORDER_STATUSES } from '../../../../machines/order/types.ts';

describe("the restaurant's statuses", () => {
  it('given an unpaid order (PLACED, PENDING_PAYMENT), then the restaurant does not see it; every other status it sees', () => {
    expect(ORDER_STATUSES.filter((s) => !restaurantSees(s))).toEqual(['PLACED', 'PENDING_PAYMENT']);
  });

  it('given the open orders a console replays, then each is a status the restaurant sees and none is past pickup', () => {
    expect(OPEN_FOR_RESTAURANT.every(restaurantSees)).toBe(true);
    const pickedUp = ORDER_STATUSES.indexOf('PICKED_UP');
    expect(OPEN_FOR_RESTAURANT.every((s) => ORDER_STATUSES.indexOf(s) < pickedUp && s !== 'REJECTED')).toBe(true);
  });
});
