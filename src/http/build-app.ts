import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { RuntimeOptions } from '../config/runtime-options.ts';
import type { AppContext } from '../context.ts';
import { installErrorHandler, installNotFound } from './error-handler.ts';
import { installJsonBodyParser } from './json-body.ts';
import { installPageHeaders } from './page-headers.ts';
import { metricsRoutes } from './routes/metrics-routes.ts';
import { outboxRoutes } from './routes/outbox-routes.ts';
import { bounceRoutes } from './routes/bounce-routes.ts';
import { settingsRoutes } from './routes/settings-routes.ts';
import { templateRoutes } from './routes/template-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { eventRoutes } from './routes/event-routes.ts';
import { unsubscribeRoutes } from './routes/unsubscribe-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { imageOriginOf, webRoutes } from './routes/web-routes.ts';

/**
 * Fastify leaves requestTimeout and connectionTimeout at 0 (never): a client that sends a body a
 * byte every few seconds would hold its connection, and a few hundred of them the server. Node
 * checks the request deadline every connectionsCheckingInterval (30 s by default), so that check
 * runs every second here, or the deadline could be overrun by half a minute.
 */
function serverOptions(http: RuntimeOptions['http']): FastifyHttpOptions<Server> {
  return {
    logger: false,
    requestTimeout: http.requestTimeoutMs,
    connectionTimeout: http.idleTimeoutMs,
    http: { connectionsCheckingInterval: Math.min(1000, http.requestTimeoutMs), headersTimeout: Math.min(60_000, http.requestTimeoutMs) },
  };
}

/** The HTTP API without listening, so tests can call it with inject() or on a real port. */
export function buildApp(ctx: AppContext): FastifyInstance {
  // Fastify's own logger stays off: its pino typings lag ours, and every line we want goes
  // through ctx.log with a stable `event` field anyway.
  const app = Fastify({ ...serverOptions(ctx.runtime.http), bodyLimit: 1024 * 1024, ...(ctx.runtime.trustProxy.length > 0 ? { trustProxy: ctx.runtime.trustProxy } : {}) });
  installErrorHandler(app, ctx.log.child({ module: 'http' }));
  installJsonBodyParser(app);
  installPageHeaders(app, async () => {
    const s = await ctx.settings.get();
    return [...new Set([...imageOriginOf(s.mail_logo_url), ...imageOriginOf(s.mail_logo_dark_url)])];
  });
  metricsRoutes(app, ctx);
  settingsRoutes(app, ctx);
  outboxRoutes(app, ctx);
  bounceRoutes(app, ctx);
  templateRoutes(app, ctx);
  authRoutes(app, ctx);
  userRoutes(app, ctx);
  eventRoutes(app, ctx);
  unsubscribeRoutes(app, ctx);
  installNotFound(app, webRoutes(app).notFoundPage);
  return app;
}

/** Only /healthz and /metrics: what `mailroom worker` serves on MAILROOM_METRICS_PORT. */
export function buildMetricsApp(ctx: AppContext): FastifyInstance {
  const app = Fastify(serverOptions(ctx.runtime.http));
  installErrorHandler(app, ctx.log.child({ module: 'http' }));
  metricsRoutes(app, ctx);
  installNotFound(app);
  return app;
}
