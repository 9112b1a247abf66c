/** Compares two Redis stream ids (`ms-seq`): negative, zero or positive like a sort comparator. */
export function compareStreamIds(a: string, b: string): number {
  const ad = a.indexOf('-');
  const bd = b.indexOf('-');
  return Number(a.slice(0, ad)) - Number(b.slice(0, bd)) || Number(a.slice(ad + 1)) - Number(b.slice(bd + 1));
}

export const NO_ENTRY = '0-0';
