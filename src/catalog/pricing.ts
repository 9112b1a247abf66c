import { err, ok } from '../shared/result.ts';
import type { Result } from '../shared/result.ts';
import { MAX_ORDER_LINES, MAX_QUANTITY_PER_ITEM } from './model.ts';
import type { MenuItem, OrderLine, PricedOrder, PricingError } from './model.ts';

const invalid = (detail: string): Result<never, PricingError> => err({ code: 'VALIDATION_FAILED', detail });

/** Longest item id checked against the menu (longer ones cannot exist; see the menu_items table). */
const maxItemIdLength = 128;
/** At most this many ids are named in one detail. */
const maxNamed = 5;

function named(ids: readonly string[]): string {
  const shown = ids.slice(0, maxNamed).join(', ');
  return ids.length > maxNamed ? `${shown} and ${ids.length - maxNamed} more` : shown;
}

/**
 * The checks that need no catalog: at least one line and at most MAX_ORDER_LINES, each item once, each quantity
 * a whole number from 1 to MAX_QUANTITY_PER_ITEM. Lines arrive from other modules (and at times straight from
 * a request), so their types are checked too.
 */
export function checkOrderLines(lines: readonly OrderLine[]): Result<void, PricingError> {
  if (lines.length === 0) return invalid('An order needs at least one item');
  if (lines.length > MAX_ORDER_LINES) return invalid(`An order has at most ${MAX_ORDER_LINES} distinct items`);
  const seen = new Set<string>();
  for (const [index, line] of lines.entries()) {
    const { itemId, quantity } = line as { itemId: unknown; quantity: unknown };
    if (typeof itemId !== 'string' || itemId.length === 0 || itemId.length > maxItemIdLength) {
      return invalid(`Item ${index + 1} has no valid itemId`);
    }
    if (seen.has(itemId)) return invalid(`Item ${itemId} is listed more than once`);
    seen.add(itemId);
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY_PER_ITEM) {
      return invalid(`Quantity of item ${itemId} must be a whole number from 1 to ${MAX_QUANTITY_PER_ITEM}`);
    }
  }
  return ok(undefined);
}

/**
 * Prices `lines` from `menu` (the restaurant's items that the lines name; absent ones are not on its menu).
 * Every price comes from the menu. Fails on the first kind of problem found, naming the items concerned:
 * invalid lines, items not on the menu, unavailable items, items priced in different currencies.
 */
export function priceOrderLines(
  restaurantId: string,
  lines: readonly OrderLine[],
  menu: ReadonlyMap<string, MenuItem>,
): Result<PricedOrder, PricingError> {
  const checked = checkOrderLines(lines);
  if (!checked.ok) return checked;

  const found: Array<{ line: OrderLine; item: MenuItem }> = [];
  const unknown: string[] = [];
  for (const line of lines) {
    const item = menu.get(line.itemId);
    if (item === undefined) unknown.push(line.itemId);
    else found.push({ line, item });
  }
  if (unknown.length > 0) {
    return err({ code: 'NOT_FOUND', detail: `Not on the menu of restaurant ${restaurantId}: ${named(unknown)}` });
  }
  const unavailable = found.filter(({ item }) => !item.available).map(({ item }) => item.itemId);
  if (unavailable.length > 0) return invalid(`Currently unavailable: ${named(unavailable)}`);

  const currencies = [...new Set(found.map(({ item }) => item.currency))];
  const currency = currencies[0];
  if (currency === undefined) return invalid('An order needs at least one item');
  if (currencies.length > 1) return invalid(`Items are priced in different currencies (${currencies.join(', ')})`);

  const items = found.map(({ line, item }) => ({
    itemId: item.itemId,
    name: item.name,
    quantity: line.quantity,
    unitPriceCents: item.priceCents,
  }));
  const totalCents = items.reduce((sum, i) => sum + i.unitPriceCents * i.quantity, 0);
  return ok({ items, totalCents, currency });
}
