export { errorRegistry, errorCodes, isErrorCode, statusOf } from './registry.ts';
export type { ErrorCode } from './registry.ts';
export { appError, isAppError, toErrorBody } from './app-error.ts';
export type { AppError, ErrorBody } from './app-error.ts';
export { fromZodError } from './zod.ts';
export { errorMiddleware, notFoundHandler, sendError } from './http.ts';
