import type { DestinationStream } from 'pino';
import { importOwncloudConfig } from './config/config-import.ts';
import { readRuntimeOptions, type RuntimeOptions } from './config/runtime-options.ts';
import type { AppContext, Clock } from './context.ts';
import { createLogger } from './log/logger.ts';
import { createDoctorService } from './mail/doctor-service.ts';
import { renderBounceMetrics } from './bounces/bounce-metrics.ts';
import { runCli, type ParentLink, type RunningServer } from './cli/program.ts';
import { startWorkerProcess, type WorkerMessage } from './worker-process.ts';
import { wireStorage } from './wiring/storage.ts';
import { wireMail } from './wiring/mail.ts';
import { wireNotifications } from './wiring/notifications.ts';
import { bootstrapFirstAdmin, wirePeople } from './wiring/people.ts';
import { wireWorkers } from './wiring/workers.ts';

export interface BuildContextOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  clock?: Clock;
  /** The log level whatever MAILROOM_LOG_LEVEL says (tests). */
  logLevel?: string;
  /** The log level when MAILROOM_LOG_LEVEL is not set (info unless given). */
  defaultLogLevel?: string;
  /** Where log lines go; standard error unless given. */
  logDestination?: DestinationStream;
  /** Create the first admin when the database has no user (serve does; one-off commands need not). */
  bootstrapAdmin?: boolean;
  /** Open the database as it is, neither migrating nor refusing pending migrations (db:status, db:migrate, db:backup). */
  schemaAsIs?: boolean;
  /** Tests a sign-in's password against its stored hash; scrypt unless given (tests count the calls). */
  verifyPassword?: (password: string, stored: string) => Promise<boolean>;
  /** How many mails one request may owe; MAX_MAILS_PER_REQUEST unless given (tests use a small one). */
  maxMailsPerRequest?: number;
}

/**
 * The composition root: reads the environment once and wires every service. Each part is wired
 * in src/wiring/ by a function that takes the parts before it and returns its share of the
 * context, in the order they depend on each other: storage (the database, the secret key, the
 * settings), mail (transports, templates, the outbox and its "mail queued" hook), notifications
 * and their bounces, people, and the workers.
 */
export async function buildContext(options: BuildContextOptions = {}): Promise<AppContext> {
  const env = options.env ?? process.env;
  const runtime: RuntimeOptions = readRuntimeOptions(env, options.cwd ?? process.cwd());
  const clock = options.clock ?? { now: () => new Date() };
  const log = createLogger({
    level: options.logLevel ?? runtime.logLevel ?? options.defaultLogLevel ?? 'info',
    // Lines for a person on a terminal, for a collector anywhere else; a destination given by the
    // caller gets JSON unless MAILROOM_LOG_FORMAT says otherwise.
    format: runtime.logFormat ?? (!options.logDestination && process.stderr.isTTY ? 'pretty' : 'json'),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const storage = await wireStorage({ runtime, env, clock, log, schemaAsIs: options.schemaAsIs === true });
  if (options.bootstrapAdmin) await bootstrapFirstAdmin({ storage, clock, log, password: runtime.adminPassword });
  const mail = wireMail({ env, clock, log, storage });
  const notifications = wireNotifications({ clock, log, storage, mail, maxMailsPerRequest: options.maxMailsPerRequest });
  const people = wirePeople({ clock, log, storage, mail, bounces: notifications.bounces, verifyPassword: options.verifyPassword });
  const workers = wireWorkers({ runtime, clock, log, storage, mail, notifications });
  const { settings } = storage;
  const { bounces } = notifications;
  return {
    runtime,
    log,
    clock,
    ...storage.context,
    ...mail.context,
    ...notifications.context,
    ...people.context,
    ...workers.context,
    // These span the parts: the doctor asks the database, the transports and the bounces;
    // /metrics counts the outbox and the bounces.
    doctor: createDoctorService({ settings, pingDatabase: storage.pingDatabase, env, servedAt: storage.servedAt, checkOAuth: (s) => mail.transports.checkOAuth(s), reputationWarning: () => bounces.reputationWarning() }),
    metrics: async () => (await mail.outboxMetrics()) + renderBounceMetrics(await bounces.countsByKind()),
    importOwncloudConfig: (source, fileName) => importOwncloudConfig(source, fileName, settings),
    async close() {
      await mail.close();
      await storage.database.close();
    },
  };
}

/** Runs the `mailroom` command; resolves with the exit code. */
export function main(argv: string[]): Promise<number> {
  // Whatever this process writes is for Mailroom alone: files SQLite makes besides the database
  // (which take its 0600), and any a command or a future backup writes. The data directory and
  // its files get explicit modes too, for callers of buildContext that keep their own umask.
  process.umask(0o077);
  // `mailroom outbox:list | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  return runCli(argv, {
    buildContext,
    startServer,
    startMetricsServer,
    startWorkerProcess: (ctx) => startWorkerProcess(ctx, process.env),
    parent: process.send ? parentLink() : undefined,
    stdout: process.stdout,
    stderr: process.stderr,
  }).finally(() => {
    // A worker started by serve: the open channel would keep this process alive.
    if (process.connected) process.disconnect();
  });
}

/** This process's IPC channel to the `serve` that started it (see worker-process.ts). */
function parentLink(): ParentLink {
  const gone = new Promise<void>((resolve) => process.once('disconnect', () => resolve()));
  return {
    onWake(listener) {
      process.on('message', (message: WorkerMessage) => {
        if (message.type === 'wake') listener();
      });
    },
    sendMetrics(delta) {
      if (process.connected) process.send?.({ type: 'metrics', delta } satisfies WorkerMessage);
    },
    gone,
  };
}

/** `serve`: the HTTP API on MAILROOM_HOST:MAILROOM_PORT. */
export async function startServer(ctx: AppContext): Promise<RunningServer> {
  // Loaded only by `serve`: the worker and the one-off commands do without fastify's ~19 MiB.
  const { buildApp } = await import('./http/build-app.ts');
  const app = buildApp(ctx);
  await app.listen({ host: ctx.runtime.host, port: ctx.runtime.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : ctx.runtime.port;
  // Before the worker process starts: it reads the address from the database.
  await ctx.recordServeAddress(ctx.runtime.host, port);
  return { url: `http://${ctx.runtime.host.includes(':') ? `[${ctx.runtime.host}]` : ctx.runtime.host}:${port}`, close: () => app.close() };
}

/** `worker`: /metrics and /healthz on MAILROOM_METRICS_HOST:MAILROOM_METRICS_PORT, when the port is set. */
export async function startMetricsServer(ctx: AppContext): Promise<RunningServer | undefined> {
  const listen = ctx.runtime.metricsListen;
  if (!listen) return undefined;
  const { buildMetricsApp } = await import('./http/build-app.ts');
  const app = buildMetricsApp(ctx);
  await app.listen(listen);
  return { url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`, close: () => app.close() };
}
