// REST calls to the system under load: JSON in and out, a bearer token, a bound on requests in flight (each one is an
// open file), a timeout, and every failure reduced to a code.
import { errorOf, type WireError } from './wire.ts';

export type HttpOutcome =
  | { readonly ok: true; readonly status: number; readonly body: unknown; readonly headers: Headers }
  | ({ readonly ok: false; readonly status: number | null } & WireError);

export interface RequestOptions {
  readonly token?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpClient {
  request(method: 'GET' | 'POST' | 'PATCH', path: string, options?: RequestOptions): Promise<HttpOutcome>;
  /** Requests waiting for a slot plus those in flight. */
  readonly pending: number;
}

export interface HttpClientOptions {
  /** Requests in flight at once; more wait their turn. */
  readonly concurrency: number;
  /** A request unanswered this long fails with HTTP_TIMEOUT, ms. */
  readonly timeoutMs: number;
}

export function httpClient(baseUrl: string, options: HttpClientOptions): HttpClient {
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> | void => {
    if (active < options.concurrency) {
      active += 1;
      return;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };

  return {
    get pending() {
      return active + waiting.length;
    },
    async request(method, path, { token, body, headers } = {}) {
      await acquire();
      try {
        const res = await fetch(`${baseUrl}${path}`, {
          method,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        const text = await res.text();
        let parsed: unknown = undefined;
        if (text !== '') {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        if (res.ok) return { ok: true, status: res.status, body: parsed, headers: res.headers };
        const e = errorOf(parsed);
        return { ok: false, status: res.status, code: e?.code ?? `HTTP_${res.status}`, detail: e?.detail ?? String(text).slice(0, 200) };
      } catch (e) {
        const name = (e as { name?: unknown } | null)?.name;
        const timedOut = name === 'TimeoutError' || name === 'AbortError';
        const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
        const detail = `${method} ${path}: ${String(cause?.code ?? cause?.message ?? (e as Error).message)}`;
        return { ok: false, status: null, code: timedOut ? 'HTTP_TIMEOUT' : 'HTTP_NETWORK', detail };
      } finally {
        release();
      }
    },
  };
}
