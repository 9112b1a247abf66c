// `npm run bench -- <name>`: runs one benchmark; each prints a table and, as its last line, one JSON object.
const benches: Record<string, () => Promise<void>> = {
  runtime: async () => (await import('./runtime.ts')).runRuntimeBench(),
  knn: async () => (await import('./knn.ts')).runKnnBench(),
  dispatch: async () => (await import('./dispatch.ts')).runDispatchBench(),
  gateway: async () => (await import('./gateway.ts')).runGatewayBench(),
  orders: async () => (await import('./orders.ts')).runOrdersBench(),
};

const name = process.argv[2];
const bench = name ? benches[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(2);
}
await bench();
process.exit(0);
