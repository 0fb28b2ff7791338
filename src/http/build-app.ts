import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { installErrorHandler } from './error-handler.ts';
import { metricsRoutes } from './routes/metrics-routes.ts';
import { outboxRoutes } from './routes/outbox-routes.ts';
import { settingsRoutes } from './routes/settings-routes.ts';
import { templateRoutes } from './routes/template-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { eventRoutes } from './routes/event-routes.ts';
import { unsubscribeRoutes } from './routes/unsubscribe-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { imageOriginOf, webRoutes } from './routes/web-routes.ts';

/** The HTTP API without listening, so tests can call it with inject() or on a real port. */
export function buildApp(ctx: AppContext): FastifyInstance {
  // Fastify's own logger stays off: its pino typings lag ours, and every line we want goes
  // through ctx.log with a stable `event` field anyway.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, ...(ctx.runtime.trustProxy.length > 0 ? { trustProxy: ctx.runtime.trustProxy } : {}) });
  installErrorHandler(app, ctx.log.child({ module: 'http' }));
  metricsRoutes(app, ctx);
  settingsRoutes(app, ctx);
  outboxRoutes(app, ctx);
  templateRoutes(app, ctx);
  authRoutes(app, ctx);
  userRoutes(app, ctx);
  eventRoutes(app, ctx);
  unsubscribeRoutes(app, ctx);
  webRoutes(app, undefined, async () => imageOriginOf((await ctx.settings.get()).mail_logo_url));
  return app;
}

/** Only /healthz and /metrics: what `mailroom worker` serves on MAILROOM_METRICS_PORT. */
export function buildMetricsApp(ctx: AppContext): FastifyInstance {
  const app = Fastify({ logger: false });
  installErrorHandler(app, ctx.log.child({ module: 'http' }));
  metricsRoutes(app, ctx);
  return app;
}
