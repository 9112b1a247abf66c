// A client fleet for `npm run bench -- gateway`: holds its share of the driver sockets (a process may hold at most
// ~20 000 open files here) and pings on command, timing each emit → ack.
import { io, type Socket } from 'socket.io-client';
import { createIssuer } from '../../src/auth/issuer.ts';
import { loadOrCreateSigningKey } from '../../src/auth/keys.ts';
import { systemClock } from '../../src/shared/clock.ts';
import type { FleetReport, FleetRequest } from './gateway-ipc.ts';

/** Handshakes in flight at once while connecting. */
const CONNECT_CONCURRENCY = 100;
/** A ping without an ack this long is a timeout, ms. */
const ACK_TIMEOUT_MS = 5_000;

const send = (report: FleetReport) => process.send?.(report);
let sockets: Socket[] = [];
let firstId = 0;

const codeOf = (ack: unknown): string | null => {
  if ((ack as { ok?: unknown } | null)?.ok === true) return null;
  return (ack as { errors?: { code?: string }[] } | null)?.errors?.[0]?.code ?? 'MALFORMED_ACK';
};

async function connectAll(url: string, first: number, count: number, dataDir: string | null): Promise<void> {
  firstId = first;
  const issuer = dataDir
    ? createIssuer({ key: await loadOrCreateSigningKey(dataDir), issuer: 'food-delivery-embedded', audience: 'food-delivery', clock: systemClock })
    : null;
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const open = async (i: number) => {
    const driverId = `BDRV-${first + i}`;
    const token = issuer ? await issuer.mint({ sub: driverId, role: 'driver', driverId }) : 'bare';
    const socket = io(`${url}/driver`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e: Error & { data?: unknown }) => {
        failed++;
        firstError ??= `${e.message} ${JSON.stringify(e.data ?? null)}`;
        resolve();
      });
    });
    if (socket.connected) sockets.push(socket);
    if (sockets.length % 250 === 0) send({ type: 'progress', connected: sockets.length });
  };
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (next < count) await open(next++);
    }),
  );
  send({ type: 'connected', connected: sockets.length, failed, firstError });
}

async function online(): Promise<void> {
  let ok = 0;
  const failed: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < sockets.length) {
        const socket = sockets[next++];
        const ack: unknown = await socket?.timeout(ACK_TIMEOUT_MS).emitWithAck('driver:status', { status: 'ONLINE' }).catch(() => ({ errors: [{ code: 'ACK_TIMEOUT' }] }));
        const code = codeOf(ack);
        if (code === null) ok++;
        else failed[code] = (failed[code] ?? 0) + 1;
      }
    }),
  );
  send({ type: 'online', ok, failed });
}

/** A plausible fix for socket `i`: drivers spread over ~10 × 10 km, each drifting a little every ping. */
function fix(i: number, n: number) {
  const drift = (n % 50) * 0.00005;
  return {
    lat: 37.7 + ((firstId + i) % 100) * 0.001 + drift,
    lng: -122.5 + (Math.floor((firstId + i) / 100) % 100) * 0.001 + drift,
    heading: (n * 7) % 360,
    speedKph: 30,
    at: new Date().toISOString(),
  };
}

async function run(rate: number, seconds: number): Promise<void> {
  const latenciesMs: number[] = [];
  const failed: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let timeouts = 0;
  let answered = 0;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let cursor = 0;
  while (sent < total && sockets.length > 0) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; sent < due; sent++) {
      const i = cursor++ % sockets.length;
      const socket = sockets[i];
      if (!socket) continue;
      const t0 = performance.now();
      socket.timeout(ACK_TIMEOUT_MS).emit('driver:location', fix(i, sent), (error: Error | null, ack: unknown) => {
        answered++;
        if (error) return void timeouts++;
        const code = codeOf(ack);
        if (code !== null) return void (failed[code] = (failed[code] ?? 0) + 1);
        ok++;
        latenciesMs.push(performance.now() - t0);
      });
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  while (answered < sent) await new Promise((r) => setTimeout(r, 10));
  send({ type: 'ran', sent, ok, timeouts, failed, latenciesMs, seconds: sendSeconds });
}

process.on('message', (m: FleetRequest) => {
  const done = (work: Promise<void>) => work.catch((e: unknown) => console.error(e));
  switch (m.type) {
    case 'connect':
      void done(connectAll(m.url, m.first, m.count, m.dataDir));
      return;
    case 'online':
      void done(online());
      return;
    case 'run':
      void done(run(m.rate, m.seconds));
      return;
    case 'close':
      for (const s of sockets) s.close();
      sockets = [];
      send({ type: 'closed' });
      return;
    default: {
      const _exhaustive: never = m;
      return _exhaustive;
    }
  }
});
process.on('disconnect', () => process.exit(0));
