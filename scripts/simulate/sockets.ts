// One simulated app's Socket.IO connection: its own engine connection (a real socket, an open file), websocket only,
// reconnecting by itself; events sent with an ack and a deadline, and every failure reduced to a code.
import { io, type Socket } from 'socket.io-client';
import { ackError, errorOf, isOkAck, isTransient, type WireError } from './wire.ts';

export type Namespace = '/driver' | '/customer' | '/restaurant';

export type AckOutcome = { readonly ok: true; readonly ack: Record<string, unknown> } | ({ readonly ok: false } & WireError);

export interface SocketHooks {
  /** Every (re)connection, after the handshake. */
  onConnect(): void;
  /** A connection lost that the simulator did not close. */
  onDrop(reason: string): void;
  /** A refused or failed connection attempt. */
  onConnectError(error: WireError): void;
  /**
   * The server is about to disconnect the socket because its token expired (`auth:expired`): a fresh token to
   * reconnect with, or null to stay disconnected. The disconnect that follows is then no drop.
   */
  renewToken(): Promise<string | null>;
}

/** Opens the connection; it keeps reconnecting (also after a refused handshake with a transient code) until closed. */
export function openSocket(url: string, namespace: Namespace, token: string, timeoutMs: number, hooks: SocketHooks): Socket {
  const socket = io(`${url}${namespace}`, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    timeout: timeoutMs,
    reconnectionDelay: 1_000,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.5,
  });
  let renewing: Promise<string | null> | null = null;
  socket.on('connect', () => hooks.onConnect());
  socket.on('auth:expired', () => {
    renewing = hooks.renewToken();
  });
  socket.on('disconnect', (reason) => {
    const renewal = renewing;
    renewing = null;
    if (reason === 'io server disconnect' && renewal) {
      void renewal.then((fresh) => {
        if (fresh === null) return;
        socket.auth = { token: fresh };
        socket.connect();
      });
      return;
    }
    if (reason !== 'io client disconnect') hooks.onDrop(reason);
  });
  socket.on('connect_error', (e: Error & { data?: unknown }) => {
    const refused = errorOf(e.data);
    const error = refused ?? { code: 'SOCKET_CONNECT_ERROR', detail: `${namespace}: ${e.message}` };
    hooks.onConnectError(error);
    // A refusal by the namespace's middleware is final for socket.io-client; a transient one is worth another try.
    if (!socket.active && isTransient(error.code)) setTimeout(() => socket.connect(), 2_000 + Math.random() * 3_000).unref();
  });
  return socket;
}

/** Resolves on the first connection, or with the error of the first failed attempt. */
export function firstConnection(socket: Socket): Promise<WireError | null> {
  if (socket.connected) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (result: WireError | null) => {
      socket.off('connect', connected);
      socket.off('connect_error', failed);
      resolve(result);
    };
    const connected = () => done(null);
    const failed = (e: Error & { data?: unknown }) => done(errorOf(e.data) ?? { code: 'SOCKET_CONNECT_ERROR', detail: e.message });
    socket.on('connect', connected);
    socket.on('connect_error', failed);
  });
}

/**
 * Emits `event` with an ack callback and waits at most `timeoutMs` for it. Nothing is sent while disconnected (an
 * event buffered for later would arrive stale): that is SOCKET_NOT_CONNECTED.
 */
export async function emitAck(socket: Socket, event: string, payload: unknown, timeoutMs: number): Promise<AckOutcome> {
  if (!socket.connected) return { ok: false, code: 'SOCKET_NOT_CONNECTED', detail: `${event}: the socket is not connected` };
  try {
    const ack: unknown = await socket.timeout(timeoutMs).emitWithAck(event, payload);
    return isOkAck(ack) ? { ok: true, ack } : { ok: false, ...ackError(ack) };
  } catch {
    return { ok: false, code: 'ACK_TIMEOUT', detail: `${event}: no ack within ${timeoutMs} ms` };
  }
}
