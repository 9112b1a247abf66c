import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { appError } from '../../../src/errors/app-error.ts';
import { errorMiddleware, notFoundHandler, sendError } from '../../../src/errors/http.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { listen, memoryLog } from './listen.ts';

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start() {
  const logged = memoryLog();
  const log = createLogger({ name: 'test', level: 'debug', destination: logged });
  const app = express();
  app.use(express.json({ limit: '1kb' }));
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  app.get('/boom', () => {
    throw new Error('secret connection string postgres://admin:hunter2@db');
  });
  app.get('/async-boom', async () => {
    await Promise.resolve();
    throw new TypeError('cannot read properties of undefined');
  });
  app.get('/conflict', (_req, res) => {
    sendError(res, appError('ALREADY_ACCEPTED', 'Order was already accepted'));
  });
  app.get('/next-app-error', (_req, _res, next) => {
    next(appError('RATE_LIMITED', 'Slow down'));
  });
  app.use(notFoundHandler);
  app.use(errorMiddleware(log));
  const server = await listen(app);
  servers.push(server);
  return { url: server.url, logged };
}

describe('errorMiddleware', () => {
  it('given a body over the limit, when posted, then 413 PAYLOAD_TOO_LARGE', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filler: 'x'.repeat(4096) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [{ status: '413', code: 'PAYLOAD_TOO_LARGE', detail: 'Request body is too large' }] });
  });

  it('given malformed JSON, when posted, then 400 VALIDATION_FAILED "Malformed JSON body"', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ status: '400', code: 'VALIDATION_FAILED', detail: 'Malformed JSON body' }] });
  });

  it('given a handler that throws, when called, then 500 INTERNAL without internals, and the stack is logged', async () => {
    const { url, logged } = await start();
    const res = await fetch(`${url}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      errors: [{ status: '500', code: 'INTERNAL', detail: 'Something went wrong on our side; please try again' }],
    });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('at ');
    const entry = logged.lines().find((l) => l['msg'] === 'unhandled error in request');
    expect((entry?.['err'] as { stack?: string } | undefined)?.stack).toContain('hunter2');
  });

  it('given an async handler that rejects, when called, then 500 INTERNAL', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/async-boom`);
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain('undefined');
  });

  it('given sendError or next(appError), when called, then the registered status and the contract shape', async () => {
    const { url } = await start();
    const conflict = await fetch(`${url}/conflict`);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ errors: [{ status: '409', code: 'ALREADY_ACCEPTED', detail: 'Order was already accepted' }] });
    const limited = await fetch(`${url}/next-app-error`);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ errors: [{ status: '429', code: 'RATE_LIMITED', detail: 'Slow down' }] });
  });

  it('given an unknown route, when called, then 404 NOT_FOUND', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/nowhere`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { errors: Array<{ code: string }> };
    expect(body.errors[0]?.code).toBe('NOT_FOUND');
  });
});
