import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../observability/logger.ts';
import { appError, isAppError, toErrorBody } from './app-error.ts';
import type { AppError } from './app-error.ts';
import { statusOf } from './registry.ts';

/** Writes `e` as the CONTRACT.md error body with its registered status. */
export function sendError(res: Response, e: AppError): void {
  res.status(statusOf(e.code)).json(toErrorBody(e));
}

/** Mount after every route: anything no route answered is 404 NOT_FOUND in the contract shape. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, appError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};

/**
 * Body-parser (express.json) failures carry a `type`; these are the caller's mistakes and get a 4xx.
 * See body-parser's README "Errors".
 */
function fromBodyParserError(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return appError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    case 'entity.parse.failed':
      return appError('VALIDATION_FAILED', 'Malformed JSON body');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return appError('VALIDATION_FAILED', 'Unsupported body encoding or charset');
    case 'request.size.invalid':
    case 'request.aborted':
      return appError('VALIDATION_FAILED', 'Request body was incomplete');
    default:
      return undefined;
  }
}

/**
 * The last middleware of every app. Maps what reached `next(error)` (or a rejected async handler) to the
 * contract shape: an AppError as itself, body-parser errors to 413/400, anything else to 500 INTERNAL with a
 * generic detail — the real error is logged with its stack and never sent.
 */
export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late to answer with a body; Express's default handler closes the connection.
      log.error({ err: error, method: req.method, path: req.path }, 'error after the response started');
      next(error);
      return;
    }
    if (isAppError(error)) {
      sendError(res, error);
      return;
    }
    const fromBody = fromBodyParserError(error);
    if (fromBody) {
      log.debug({ method: req.method, path: req.path, code: fromBody.code }, 'rejected request body');
      sendError(res, fromBody);
      return;
    }
    log.error({ err: error, method: req.method, path: req.path }, 'unhandled error in request');
    sendError(res, appError('INTERNAL', 'Something went wrong on our side; please try again'));
  };
}
