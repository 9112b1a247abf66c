// `npm run simulate -- [options]` (see --help): a city of drivers, customers and restaurants against the system,
// through the public contract only.
import { EXIT, runSimulation } from './coordinator.ts';
import { helpText, parseOptions } from './options.ts';

const parsed = parseOptions(process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`${parsed.error.map((p) => `simulate: ${p}`).join('\n')}\n`);
  process.exit(EXIT.failed);
}
if (parsed.value.help) {
  process.stdout.write(`${helpText()}\n`);
  process.exit(EXIT.ok);
}
runSimulation(parsed.value.options).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`simulate: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(EXIT.failed);
  },
);
