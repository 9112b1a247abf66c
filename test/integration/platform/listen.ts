import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serves `app` on a free port of 127.0.0.1 for one test. */
export async function listen(app: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** A pino destination that keeps the JSON lines written to it. */
export function memoryLog(): { write(line: string): void; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  return {
    write: (line) => {
      written.push(line);
    },
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
