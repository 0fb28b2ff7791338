import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodes, isMailroomError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';

export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** The one place that turns errors into HTTP answers: MailroomError codes map to statuses from the registry. */
export function installErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (isMailroomError(error)) {
      const body: ApiErrorBody = { error: { code: error.code, message: error.message, ...(error.details ? { details: { ...error.details } } : {}) } };
      // Every limit says when to come back (429s: sign-in, password reset, links mailed to outside addresses).
      const retryAfter = error.details?.retry_after;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      return reply.status(errorCodes[error.code].status).send(body);
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ error: { code: 'payload_too_large', message: 'The request body is larger than allowed' } });
    }
    if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      return reply.status(400).send({ error: { code: 'invalid_request', message: fastifyError.message } });
    }
    log.error({ err: error, event: 'request_failed', method: request.method, url: request.url }, 'unexpected error');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'An unexpected error happened; the server log has the details' } });
  });
}

/**
 * The answer for a path no route has: JSON `not_found`, unless `page` answers it (the web
 * interface's "Page not found" for a browser). Installed once the routes are, by whoever built the app.
 */
export function installNotFound(app: FastifyInstance, page?: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>): void {
  app.setNotFoundHandler(async (request, reply) => {
    const answered = page ? await page(request, reply) : undefined;
    if (answered) return answered;
    return reply.status(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url}` } });
  });
}
