import express, { type Router } from 'express';
import { errorMiddleware, notFoundHandler } from '../errors/http.ts';
import type { Logger } from '../observability/logger.ts';

/** Largest JSON body accepted; larger ones get 413 PAYLOAD_TOO_LARGE. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The REST application: the given route groups, then the 404 and error mappers, so every failure leaves in the
 * CONTRACT.md error shape.
 */
export function createHttpApp(routes: readonly Router[], log: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(express.json({ limit: MAX_BODY_BYTES }));
  for (const r of routes) app.use(r);
  app.use(notFoundHandler);
  app.use(errorMiddleware(log));
  return app;
}
