import { and, assign, setup, stateIn } from 'xstate';
import { applyFacts, initialContext, type OrderContext } from './context.ts';
import type { OrderEvent } from './events.ts';
import type { DriverId, OrderStatus } from './types.ts';

/**
 * The order chart: the one place that says which event may happen in which state. It consumes the order's
 * domain events (facts), so replaying the event log through it rebuilds the state, and the decider asks it
 * (`snapshot.can(event)`) whether the events a command would produce are allowed.
 *
 * Each state node that stands for a status carries that status as its tag. Top level:
 *
 *   notPlaced ─OrderPlaced→ placed (PLACED)
 *   placed ─PaymentAuthorizationRequested [card]→ pendingPayment (PENDING_PAYMENT)
 *   placed ─OrderConfirmed [cash on delivery]→ confirmed (CONFIRMED)
 *   pendingPayment: awaitingAuthorization ─PaymentAuthorized→ authorized ─OrderConfirmed→ confirmed
 *                   awaitingAuthorization ─PaymentDeclined | PaymentAuthorizationTimedOut→ failed ─OrderCancelled→ cancelled
 *   confirmed ─OrderAcceptedByRestaurant→ fulfilment;  ─OrderRejectedByRestaurant→ rejected (REJECTED)
 *   fulfilment (parallel; see below) ─OrderDelivered→ delivered (DELIVERED) ─PaymentCaptured→ settled (SETTLED, final)
 *   placed, pendingPayment, confirmed, fulfilment.driver.beforePickup ─OrderCancelled→ cancelled (CANCELLED)
 *   cancelled, rejected ─RefundInitiated [refund due]→ (stay)
 *
 * fulfilment runs two regions at once, because dispatch starts when the restaurant accepts:
 *   kitchen: accepted (ACCEPTED) ─FoodPreparing→ preparing (PREPARING) ─OrderReadyForPickup→ readyForPickup (READY_FOR_PICKUP)
 *   driver:  beforePickup: awaitingSearch ─DriverSearchStarted→ searching ─DriverAssigned→ assigned (ASSIGNED)
 *                          searching ─DispatchFailed→ dispatchFailed ─DispatchEscalated→ escalated
 *                          dispatchFailed, escalated ─DriverSearchStarted→ searching;  ─DriverAssigned→ assigned
 *                          assigned ─DriverEnRouteToRestaurant→ enRouteToRestaurant (EN_ROUTE_TO_RESTAURANT)
 *                          ─DriverArrivedAtRestaurant→ atRestaurant (AT_RESTAURANT)
 *                          ─OrderPickedUp [food ready, assigned driver]→ afterPickup
 *            afterPickup:  pickedUp (PICKED_UP) ─DriverEnRouteToCustomer→ enRouteToCustomer (EN_ROUTE_TO_CUSTOMER)
 *                          ─DriverArrivedAtCustomer→ atCustomer (AT_CUSTOMER)
 * Driver steps are accepted only from the assigned driver. Pickup waits for the kitchen: a driver at the
 * restaurant stays AT_RESTAURANT until the food is READY_FOR_PICKUP. Cancelling is possible anywhere before
 * pickup (the policy prices it) and never after.
 */
export const orderMachine = setup({
  types: {
    context: {} as OrderContext,
    events: {} as OrderEvent,
    tags: {} as OrderStatus,
  },
  guards: {
    paysByCard: ({ context }) => context.details?.paymentMethod === 'CARD',
    paysOnDelivery: ({ context }) => context.details?.paymentMethod === 'CASH_ON_DELIVERY',
    foodReady: stateIn('#order.fulfilment.kitchen.readyForPickup'),
    fromAssignedDriver: ({ context, event }) => context.driverId !== null && driverIdOf(event) === context.driverId,
    refundDue: ({ context, event }) =>
      event.type === 'RefundInitiated' &&
      context.refund === null &&
      event.data.amountCents > 0 &&
      event.data.amountCents === context.refundDueCents,
  },
  actions: {
    record: assign(({ context, event }) => applyFacts(context, event)),
  },
}).createMachine({
  id: 'order',
  context: initialContext,
  initial: 'notPlaced',
  states: {
    notPlaced: {
      on: { OrderPlaced: { target: 'placed', actions: 'record' } },
    },
    placed: {
      tags: 'PLACED',
      on: {
        PaymentAuthorizationRequested: { guard: 'paysByCard', target: 'pendingPayment', actions: 'record' },
        OrderConfirmed: { guard: 'paysOnDelivery', target: 'confirmed', actions: 'record' },
        OrderCancelled: { target: 'cancelled', actions: 'record' },
      },
    },
    pendingPayment: {
      tags: 'PENDING_PAYMENT',
      initial: 'awaitingAuthorization',
      on: { OrderCancelled: { target: 'cancelled', actions: 'record' } },
      states: {
        awaitingAuthorization: {
          on: {
            PaymentAuthorized: { target: 'authorized', actions: 'record' },
            PaymentDeclined: { target: 'failed', actions: 'record' },
            PaymentAuthorizationTimedOut: { target: 'failed', actions: 'record' },
          },
        },
        authorized: {
          on: { OrderConfirmed: { target: '#order.confirmed', actions: 'record' } },
        },
        failed: {},
      },
    },
    confirmed: {
      tags: 'CONFIRMED',
      on: {
        OrderAcceptedByRestaurant: { target: 'fulfilment', actions: 'record' },
        OrderRejectedByRestaurant: { target: 'rejected', actions: 'record' },
        OrderCancelled: { target: 'cancelled', actions: 'record' },
      },
    },
    fulfilment: {
      type: 'parallel',
      states: {
        kitchen: {
          initial: 'accepted',
          states: {
            accepted: {
              tags: 'ACCEPTED',
              on: { FoodPreparing: { target: 'preparing', actions: 'record' } },
            },
            preparing: {
              tags: 'PREPARING',
              on: { OrderReadyForPickup: { target: 'readyForPickup', actions: 'record' } },
            },
            readyForPickup: {
              tags: 'READY_FOR_PICKUP',
            },
          },
        },
        driver: {
          initial: 'beforePickup',
          states: {
            beforePickup: {
              initial: 'awaitingSearch',
              on: { OrderCancelled: { target: '#order.cancelled', actions: 'record' } },
              states: {
                awaitingSearch: {
                  on: { DriverSearchStarted: { target: 'searching', actions: 'record' } },
                },
                searching: {
                  on: {
                    DriverAssigned: { target: 'assigned', actions: 'record' },
                    DispatchFailed: { target: 'dispatchFailed', actions: 'record' },
                  },
                },
                dispatchFailed: {
                  on: {
                    DriverSearchStarted: { target: 'searching', actions: 'record' },
                    DispatchEscalated: { target: 'escalated', actions: 'record' },
                    DriverAssigned: { target: 'assigned', actions: 'record' },
                  },
                },
                escalated: {
                  on: {
                    DriverSearchStarted: { target: 'searching', actions: 'record' },
                    DriverAssigned: { target: 'assigned', actions: 'record' },
                  },
                },
                assigned: {
                  tags: 'ASSIGNED',
                  on: {
                    DriverEnRouteToRestaurant: { guard: 'fromAssignedDriver', target: 'enRouteToRestaurant', actions: 'record' },
                  },
                },
                enRouteToRestaurant: {
                  tags: 'EN_ROUTE_TO_RESTAURANT',
                  on: {
                    DriverArrivedAtRestaurant: { guard: 'fromAssignedDriver', target: 'atRestaurant', actions: 'record' },
                  },
                },
                atRestaurant: {
                  tags: 'AT_RESTAURANT',
                  on: {
                    OrderPickedUp: {
                      guard: and(['foodReady', 'fromAssignedDriver']),
                      target: '#order.fulfilment.driver.afterPickup',
                      actions: 'record',
                    },
                  },
                },
              },
            },
            afterPickup: {
              initial: 'pickedUp',
              states: {
                pickedUp: {
                  tags: 'PICKED_UP',
                  on: {
                    DriverEnRouteToCustomer: { guard: 'fromAssignedDriver', target: 'enRouteToCustomer', actions: 'record' },
                  },
                },
                enRouteToCustomer: {
                  tags: 'EN_ROUTE_TO_CUSTOMER',
                  on: {
                    DriverArrivedAtCustomer: { guard: 'fromAssignedDriver', target: 'atCustomer', actions: 'record' },
                  },
                },
                atCustomer: {
                  tags: 'AT_CUSTOMER',
                  on: {
                    OrderDelivered: { guard: 'fromAssignedDriver', target: '#order.delivered', actions: 'record' },
                  },
                },
              },
            },
          },
        },
      },
    },
    delivered: {
      tags: 'DELIVERED',
      on: { PaymentCaptured: { target: 'settled', actions: 'record' } },
    },
    settled: {
      tags: 'SETTLED',
      type: 'final',
    },
    rejected: {
      tags: 'REJECTED',
      on: { RefundInitiated: { guard: 'refundDue', actions: 'record' } },
    },
    cancelled: {
      tags: 'CANCELLED',
      on: { RefundInitiated: { guard: 'refundDue', actions: 'record' } },
    },
  },
});

function driverIdOf(event: OrderEvent): DriverId | null {
  switch (event.type) {
    case 'DriverAssigned':
    case 'DriverEnRouteToRestaurant':
    case 'DriverArrivedAtRestaurant':
    case 'OrderPickedUp':
    case 'DriverEnRouteToCustomer':
    case 'DriverArrivedAtCustomer':
    case 'OrderDelivered':
      return event.data.driverId;
    default:
      return null;
  }
}
