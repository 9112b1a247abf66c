import { createServer } from 'node:net';

/**
 * A TCP port on `host` that was free a moment ago: the OS picks it for a listener on port 0, which is closed
 * again. Another process may take it before the caller binds, so callers retry on "address in use".
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('listener on port 0 reported no port')) : resolve(port)));
    });
  });
}
