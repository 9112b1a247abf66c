import type { Socket } from 'socket.io';
import type { Principal, Role } from '../src/auth/principal.ts';
import type { Verifier } from '../src/auth/verifier.ts';
import { appError, toErrorBody } from '../src/errors/app-error.ts';

interface SocketAuth {
  principal: Principal;
  /** When the handshake's token expires, ms since the Unix epoch. */
  expiresAt: number;
}

/** The authenticated principal of a socket, set by the handshake middleware. */
export function principalOfSocket(socket: Socket): Principal {
  return (socket.data as SocketAuth).principal;
}

/** When the socket's token expires (ms since the Unix epoch): the gateway disconnects it then. */
export function tokenExpiryOfSocket(socket: Socket): number {
  return (socket.data as SocketAuth).expiresAt;
}

/**
 * Namespace middleware: verifies `auth.token` of the handshake (the same verifier as REST) and the role. A refused
 * handshake reaches the client as a `connect_error` whose `data` is the CONTRACT.md error body.
 */
export function requireSocketRole(verifier: Verifier, roles: readonly Role[]) {
  return (socket: Socket, next: (err?: Error) => void) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0) return next(refusal(appError('UNAUTHENTICATED', 'auth.token is missing')));
    verifier.verify(token).then(
      (result) => {
        if (!result.ok) return next(refusal(result.error));
        const { principal, expiresAt } = result.value;
        if (!roles.includes(principal.role)) return next(refusal(appError('FORBIDDEN', `role ${principal.role} may not use this namespace`)));
        Object.assign(socket.data as SocketAuth, { principal, expiresAt } satisfies SocketAuth);
        next();
      },
      () => next(refusal(appError('UNAVAILABLE', 'token could not be checked'))),
    );
  };
}

function refusal(e: ReturnType<typeof appError>): Error & { data: unknown } {
  return Object.assign(new Error(e.code), { data: toErrorBody(e) });
}
