import { Agent, request } from 'node:http';

/**
 * A JSON client for benchmarks, on `node:http` with kept-alive connections: on the 2-core machine the load generator
 * shares the CPU with the system it measures, and `fetch` (undici's WHATWG streams) costs several times more per
 * request than a plain `http.request`.
 */
export interface JsonClient {
  post(path: string, token: string | null, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  close(): void;
}

export function jsonClient(baseUrl: string, opts: { connections: number }): JsonClient {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  return {
    post(path, token, body, headers = {}) {
      const payload = JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = null;
              try {
                parsed = text ? JSON.parse(text) : null;
              } catch {
                parsed = text;
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
