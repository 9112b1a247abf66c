import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { openSocket } from '../../../scripts/simulate/sockets.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('a simulated app whose token expires', () => {
  it('given the server says auth:expired and disconnects, when the app renews its token, then it reconnects with the fresh token and reports no drop', async () => {
    const http = createServer();
    const io = new Server(http);
    const tokens: string[] = [];
    io.of('/driver').use((socket, next) => {
      tokens.push((socket.handshake.auth as { token: string }).token);
      next();
    });
    io.of('/driver').on('connection', (socket) => {
      if (tokens.length === 1) {
        socket.emit('auth:expired', { errors: [{ status: '401', code: 'UNAUTHENTICATED', detail: 'Token has expired' }] });
        socket.disconnect(true);
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => void io.close(() => resolve())));

    const drops: string[] = [];
    let connects = 0;
    const reconnected = new Promise<void>((resolve) => {
      const socket = openSocket(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, '/driver', 'first', 5_000, {
        onConnect: () => {
          connects++;
          if (connects === 2) resolve();
        },
        onDrop: (reason) => drops.push(reason),
        onConnectError: () => undefined,
        renewToken: () => Promise.resolve('fresh'),
      });
      cleanups.push(() => void socket.close());
    });

    await reconnected;
    expect(tokens).toEqual(['first', 'fresh']);
    expect(drops).toEqual([]);
  });
});
