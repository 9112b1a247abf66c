// A server process for `npm run bench -- gateway`: argv[2] `gateway` (the real gateway, as `src/main.ts gateway`
// runs it) or `bare` (a Socket.IO server that only acks `driver:location` on /driver: the ceiling). Reports its
// port, and its memory (after a full GC) when asked.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startHttpProcess } from '../../src/processes/http-server.ts';
import type { ServerReport, ServerRequest } from './gateway-ipc.ts';

const send = (report: ServerReport) => process.send?.(report);
const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (m: ServerRequest) => {
  if (m.type !== 'memory') return;
  gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  send({ type: 'memory', rss, heapUsed, external });
});
process.on('disconnect', () => process.exit(0));

if (process.argv[2] === 'bare') {
  const server = createServer();
  const io = new Server(server, { maxHttpBufferSize: 16_384, serveClient: false });
  io.of('/driver').on('connection', (socket) => {
    socket.on('driver:location', (_ping: unknown, ack: unknown) => {
      if (typeof ack === 'function') (ack as (body: unknown) => void)({ ok: true });
    });
  });
  server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }));
} else {
  const config = loadConfig(process.env);
  if (!config.ok || !config.value.redisUrl || !config.value.databaseUrl) {
    console.error(config.ok ? 'REDIS_URL and DATABASE_URL are required' : config.error);
    process.exit(2);
  }
  const http = await startHttpProcess({
    config: config.value,
    redisUrl: config.value.redisUrl,
    databaseUrl: config.value.databaseUrl,
    serve: { api: false, gateway: true },
    log: createLogger({ name: 'bench-gateway', level: config.value.logLevel }),
  });
  send({ type: 'ready', port: http.port });
}
