import type { DestinationStream } from 'pino';
import type { ChangeClient } from './domain/user-agent.ts';
import { importOwncloudConfig } from './config/config-import.ts';
import { readRuntimeOptions, type RuntimeOptions } from './config/runtime-options.ts';
import { prepareDataDir } from './config/data-dir.ts';
import { createSecretBox, loadOrCreateSecretKey } from './config/secret-box.ts';
import { readConfigFile, readEnvSettings } from './config/setting-sources.ts';
import { createSettingsService } from './config/settings-service.ts';
import type { AppContext, Clock } from './context.ts';
import { createApiTokenRepo } from './db/api-token-repo.ts';
import { createCapturedMailRepo } from './db/captured-mail-repo.ts';
import { createTestMailRepo } from './db/test-mail-repo.ts';
import { openDatabase } from './db/database.ts';
import { createHostCooldownRepo } from './db/host-cooldown-repo.ts';
import { createAttemptRepo } from './db/attempt-repo.ts';
import { copyDatabaseTo } from './db/database-copy.ts';
import { backupDatabase } from './db/database-backup.ts';
import { migrateStepByStep, schemaStatus } from './db/schema-migrations.ts';
import { mailroomVersion } from './mailroom-version.ts';
import { createSettingsRepo } from './db/settings-repo.ts';
import { createServeAddressRepo } from './db/serve-address-repo.ts';
import { serveUrl } from './config/serve-address.ts';
import { createUserRepo } from './db/user-repo.ts';
import { createLogger } from './log/logger.ts';
import { createDetectService } from './mail/detect-service.ts';
import { createSettingFilesService } from './mail/setting-files-service.ts';
import { createDoctorService } from './mail/doctor-service.ts';
import { createMailTestService } from './mail/mail-test-service.ts';
import { createOutboxRepo } from './db/outbox-repo.ts';
import { listenForQueued, signalQueued } from './db/queue-signal.ts';
import { createOwedMailRepo } from './db/owed-mail-repo.ts';
import { createTemplateRepo } from './db/template-repo.ts';
import { layoutHtml } from './templates/defaults/layout.ts';
import { createLazyEngine } from './templates/lazy-engine.ts';
import { createMailRenderer } from './templates/render-mail.ts';
import { createTemplateService } from './templates/template-service.ts';
import { createOutboxMetrics } from './outbox/outbox-metrics.ts';
import { createOutboxService } from './outbox/outbox-service.ts';
import { createCapturedMailService } from './outbox/captured-mail-service.ts';
import { OutboxWorker } from './outbox/outbox-worker.ts';
import { sealRaw } from './outbox/sealed-raw.ts';
import { owedMail } from './outbox/owed-mail.ts';
import { createOwedMailComposer } from './outbox/owed-mail-composer.ts';
import { createOwedMailStep } from './outbox/owed-mail-step.ts';
import type { OwedAccountMail } from './users/account-mail-service.ts';
import { createHostHealth } from './transport/host-health.ts';
import { createTransportFactory } from './transport/create-transport.ts';
import { ensureFirstAdmin } from './users/admin-bootstrap.ts';
import { createTokenService } from './users/token-service.ts';
import { createAttemptLimiter } from './users/attempt-limiter.ts';
import { verifyPassword } from './users/password-hash.ts';
import { createAuthService } from './users/auth-service.ts';
import { createPasswordResetService } from './users/password-reset-service.ts';
import { createSessionService } from './users/session-service.ts';
import { createUserService } from './users/user-service.ts';
import { createAccountMailService } from './users/account-mail-service.ts';
import { createOneTimeLinks } from './users/one-time-links.ts';
import { createSessionRepo, createUserTokenRepo } from './db/session-repo.ts';
import { createNotificationRepo } from './db/notification-repo.ts';
import { createDigestScheduler } from './notifications/digest-scheduler.ts';
import { createDigestService } from './notifications/digest-service.ts';
import { createEventService } from './notifications/event-service.ts';
import { createPreferenceService } from './notifications/preference-service.ts';
import { createShareService } from './notifications/share-service.ts';
import { createUnsubscribeLinks } from './notifications/unsubscribe-links.ts';
import { createVerpAddresses } from './bounces/verp-address.ts';
import { createBounceService } from './bounces/bounce-service.ts';
import { createBounceRepo } from './db/bounce-repo.ts';
import { createBounceMailbox, createBounceMailboxPoller } from './bounces/bounce-mailbox.ts';
import { openPop3 } from './bounces/pop3-client.ts';
import { readCaFile } from './transport/ca-file.ts';
import { renderBounceMetrics } from './bounces/bounce-metrics.ts';
import { runCli, type ParentLink, type RunningServer } from './cli/program.ts';
import { startWorkerProcess, type WorkerMessage } from './worker-process.ts';
import { hostname } from 'node:os';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

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

/** The composition root: reads the environment once and wires every service. */
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
  const fileSettings = readConfigFile(runtime.configPath);
  const envSettings = readEnvSettings(env);
  // Before anything is written there: a directory other users can read is refused, a new one is 0700.
  prepareDataDir(runtime.dataDir, { create: runtime.databaseUrl === undefined || runtime.secretKey === undefined, uid: process.getuid?.() });
  const secretKey = loadOrCreateSecretKey(runtime.dataDir, runtime.secretKey);
  const secretBox = createSecretBox(secretKey);
  const database = await openDatabase({
    url: runtime.databaseUrl,
    dataDir: runtime.dataDir,
    schema: options.schemaAsIs ? 'as-is' : runtime.autoMigrate ? 'migrate' : 'check',
    mailroomVersion: mailroomVersion(),
  });
  const settingsRepo = createSettingsRepo(database.db, clock);
  const users = createUserRepo(database.db);
  const serveAddress = createServeAddressRepo(database.db, clock);
  // Where links lead while base_url is not set: where serve last listened (the worker process and
  // a separate `mailroom worker` read it from the database), else where this environment would
  // make it listen.
  const servedAt = async () => (await serveAddress.read()) ?? serveUrl(runtime.host, runtime.port, hostname());
  const settings = createSettingsService({
    store: settingsRepo,
    secretBox,
    fileSettings,
    envSettings,
    derivedBaseUrl: servedAt,
    onInvalidSaved: (key, reason) =>
      log.warn({ event: 'setting_ignored', key }, `the saved value of ${key} is not valid and is ignored (the file, the environment or the default applies): ${reason}; set it again with mailroom config:set or the web page`),
  });

  if (options.bootstrapAdmin) {
    const admin = await ensureFirstAdmin({ store: users, clock, password: runtime.adminPassword });
    if (admin.generatedPassword) {
      // Printed once, on purpose: it is the only way in to a fresh install.
      process.stderr.write(`\nMailroom created the user "admin" with the password: ${admin.generatedPassword}\nSign in and change it; it is not shown again.\n\n`);
    } else if (admin.created) {
      log.info({ event: 'admin_created' }, 'created the user admin with MAILROOM_ADMIN_PASSWORD');
    }
  }

  const capturedMail = createCapturedMailRepo(database.db, clock);
  const hostHealth = createHostHealth({
    clock,
    store: createHostCooldownRepo(database.db),
    onStoreError: (error) => log.warn({ event: 'host_cooldown_store_failed', err: error }, 'the failover cool-downs could not be shared through the database; this process goes on with its own'),
  });
  const transports = createTransportFactory({
    hostHealth,
    // In mode capture the captured mail is the delivered copy: one with a live link stays sealed.
    captureStore: { save: ({ holdsLiveLink, ...mail }) => capturedMail.save(holdsLiveLink ? { ...mail, raw: sealRaw(secretBox, mail.raw) } : mail) },
    clock,
    env,
    async saveRefreshToken(refreshToken) {
      const key = 'mail_smtpoauth_refresh_token';
      // The token in use is already the new one; failing to keep it must not fail the send.
      try {
        if (settings.lockOf(key)) {
          log.warn({ event: 'oauth_refresh_token_rotated', saved: false }, `the OAuth endpoint sent a new refresh token, but ${key} is fixed by the config file or the environment, so the new one is kept only until Mailroom restarts: remove it there and set it with config:set, so that Mailroom can store the new ones`);
          return;
        }
        await settings.update({ [key]: refreshToken });
        log.info({ event: 'oauth_refresh_token_rotated', saved: true }, 'the OAuth endpoint sent a new refresh token; saved');
      } catch (error) {
        log.error({ event: 'oauth_refresh_token_rotated', saved: false, err: error }, 'the OAuth endpoint sent a new refresh token that could not be saved');
      }
    },
  });
  const verp = createVerpAddresses(secretKey);
  const outboxRepo = createOutboxRepo(database.db, database.dialect, { claimDb: database.claimDb });
  const metrics = createOutboxMetrics();
  const workers = new Set<OutboxWorker>();
  const queuedListeners = new Set<() => void>();
  const owedRepo = createOwedMailRepo(database.db, database.dialect);
  const outboxService = createOutboxService({ store: outboxRepo, owed: owedRepo, settings, clock, secretBox });
  const outbox: typeof outboxService = {
    ...outboxService,
    async send(messages, kind) {
      const ids = await outboxService.send(messages, kind);
      // On PostgreSQL the enqueue's transaction told the other processes' workers already.
      notifyWorkers({ signalled: true });
      return ids;
    },
    // A mail made due again is sent now, not when a worker next looks.
    async sendNow(id) {
      await outboxService.sendNow(id);
      notifyWorkers();
    },
    async retry(id) {
      await outboxService.retry(id);
      notifyWorkers();
    },
    async retryMany(ids) {
      const results = await outboxService.retryMany(ids);
      if (results.some((r) => r.ok)) notifyWorkers();
      return results;
    },
    async retryAllFailed() {
      const requeued = await outboxService.retryAllFailed();
      if (requeued > 0) notifyWorkers();
      return requeued;
    },
  };
  const createWorker = () => {
    const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const worker = new OutboxWorker({
      store: outboxRepo,
      settings,
      createTransport: (s) => transports.create(s),
      settingFilesKey: (s) => transports.filesKey(s),
      clock,
      random: Math.random,
      sleep,
      log: log.child({ module: 'outbox' }),
      metrics,
      secretBox,
      workerId,
      options: runtime.worker,
      wakeups: database.dialect === 'postgres' && runtime.databaseUrl ? (onQueued) => listenForQueued({ url: runtime.databaseUrl as string, log: log.child({ module: 'outbox' }), sleep }, onQueued) : undefined,
      envelopeSender: (s) => (s.mail_bounce_verp && s.mail_smtpmode !== 'php' ? (mail) => verp.address(mail.id, s.mail_bounce_domain || s.mail_domain) : undefined),
      // The worker renders what requests owe, in a lane of its own; `serve --no-worker` has none.
      owed: createOwedMailStep({
        store: owedRepo,
        settings,
        composerForBatch: () => createOwedMailComposer({ renderer: renderer.batch(), unsubscribe }),
        secretBox,
        clock,
        log: log.child({ module: 'owed-mails' }),
        workerId,
        leaseMs: runtime.worker.leaseMs,
        // Each of the two render lanes keeps both render threads busy with a batch this size,
        // settled (and handed to the sending lanes) in one transaction.
        batchSize: 250,
        onQueued: () => worker.notify(),
      }),
    });
    workers.add(worker);
    return worker;
  };
  // Renders run in worker threads: a runaway template ends a worker, never the server's thread.
  const engine = createLazyEngine(async () => (await import('./templates/render-pool.ts')).createRenderPool({ layout: layoutHtml }));
  const templates = createTemplateService({
    store: createTemplateRepo(database.db),
    engine,
    clock,
    appearance: async () => {
      const s = await settings.get();
      return {
        logoUrl: s.mail_logo_url,
        logoDarkUrl: s.mail_logo_dark_url,
        logoWidth: s.mail_logo_width,
        logoHeight: s.mail_logo_height,
        accentColor: s.mail_accent_color,
        footer: s.mail_footer,
        instanceName: s.instance_name,
        baseUrl: s.base_url,
      };
    },
  });
  const renderer = createMailRenderer({ engine, partsOf: (name, lang) => templates.partsOf(name, lang), clock });
  const mailTest = createMailTestService({
    settings,
    history: createTestMailRepo(database.db),
    transports,
    renderer,
    clock,
    adminContact: async () => {
      const admin = await users.firstAdmin();
      return admin && { email: admin.email, language: admin.language, displayName: admin.display_name, uid: admin.uid };
    },
  });
  let signalPending = false;
  function notifyWorkers(options: { signalled?: boolean } = {}): void {
    for (const worker of workers) worker.notify();
    for (const listener of queuedListeners) listener();
    // Workers of other processes and machines, on PostgreSQL: one NOTIFY per turn of the event
    // loop, however many requests queued mail in it. Lost, it costs them one poll's wait.
    if (database.dialect !== 'postgres' || options.signalled || signalPending) return;
    signalPending = true;
    setImmediate(() => {
      signalPending = false;
      signalQueued(database.db).catch((error: unknown) => log.warn({ event: 'queue_signal_failed', err: error }, 'could not tell the other workers of new mail; they find it at their next look'));
    });
  }
  const apiTokens = createApiTokenRepo(database.db);
  const tokens = createTokenService({ store: apiTokens, clock, userExists: async (uid) => (await users.find(uid)) !== undefined });
  const sessionRepo = createSessionRepo(database.db);
  const attempts = createAttemptRepo(database.db);
  const attemptKeySecret = createHmac('sha256', secretKey).update('mailroom attempt keys').digest();
  const userTokens = createUserTokenRepo(database.db);
  const minutes = (n: number) => n * 60_000;
  const sessions = createSessionService({
    store: sessionRepo,
    findUser: (login) => userService.findForLogin(login),
    clock,
    failuresPerAccount: createAttemptLimiter({ bucket: 'login_account', limit: 5, windowMs: minutes(15), clock, store: attempts, secret: attemptKeySecret }),
    failuresPerClient: createAttemptLimiter({ bucket: 'login_client', limit: 20, windowMs: minutes(15), clock, store: attempts, secret: attemptKeySecret }),
    verifyPassword: options.verifyPassword ?? verifyPassword,
  });
  const links = createOneTimeLinks({ store: userTokens, clock });
  // The account mails are owed, each under a key of its own; sealed when it holds a live one-time link.
  const oweAccountMail = async (mail: OwedAccountMail) => {
    const dates = Object.keys(mail.data).filter((k) => mail.data[k] instanceof Date);
    const payload = { type: 'account' as const, template: mail.template, to: mail.to, data: mail.data, dates };
    const key = `${mail.template}:${randomUUID()}`;
    await owedRepo.owe([owedMail(mail.template, key, payload, mail.sealed ? secretBox : undefined)], clock.now().getTime());
    notifyWorkers();
    return key;
  };
  const userService = createUserService({
    store: users,
    clock,
    async onCredentialsChanged(uid, what) {
      // A link mailed before the change must not work after it; a new password signs out everywhere else.
      await links.voidAfterCredentialChange(uid);
      if (what.password || what.disabled) await sessions.endAll(uid, what.keepSessionHash);
      if (what.password) {
        // Without this, an owner locked out by failed guesses (often their own) stays locked out
        // for the rest of the window even after setting a new password through the reset link.
        await sessions.forgetFailures(uid);
        // "Your password was changed" would alarm someone who has just chosen their first one.
        if (!what.firstPassword) await accountMails.passwordChanged(uid, what.client);
      }
      // A new address starts without the old one's bounces; the old one's score goes with it.
      if (what.email && what.previousEmail) await bounces.clear(what.previousEmail);
    },
    sendInvitation: (uid) => accountMails.invite(uid),
    requestEmailChange: (uid, email) => accountMails.requestEmailChange(uid, email),
    checkPassword: (uid, password, stored) => sessions.checkPassword(uid, password, stored),
  });
  const notificationRepo = createNotificationRepo(database.db, database.dialect);
  const unsubscribe = createUnsubscribeLinks(secretKey);
  const preferences = createPreferenceService({ store: notificationRepo, userExists: async (uid) => (await users.find(uid)) !== undefined, unsubscribe, clock });
  const bounces = createBounceService({ store: createBounceRepo(database.db, database.dialect), verp, settings, clock, log: log.child({ module: 'bounces' }), unsubscribe: (token) => preferences.unsubscribe(token) });
  const bounceMailbox = createBounceMailbox({ settings, receive: (raw, options) => bounces.receive(raw, options), open: openPop3, readCa: (path) => readCaFile(path, 'mail_bounce_pop3_tls_ca'), log: log.child({ module: 'bounces' }) });
  // Through the directory: the strength check, the end of other sessions, and password_changed.
  const setPassword = async (uid: string, password: string, client?: ChangeClient) => {
    await userService.modify(uid, { password }, client);
  };
  const accountMails = createAccountMailService({
    links,
    settings,
    owe: oweAccountMail,
    findUser: (uid) => users.find(uid),
    setPassword,
    setEmail: async (uid, email) => {
      await userService.modify(uid, { email });
    },
    signOutEverywhere: async (uid) => {
      await sessions.endAll(uid);
      await apiTokens.deleteForUser(uid);
    },
    clock,
  });
  const passwordReset = createPasswordResetService({
    links,
    settings,
    owe: oweAccountMail,
    findUser: (login) => userService.findForLogin(login),
    setPassword,
    clock,
    sleep: (ms) => sleep(ms),
    log: log.child({ module: 'password-reset' }),
    perClient: createAttemptLimiter({ bucket: 'reset_client', limit: 5, windowMs: minutes(1), clock, store: attempts, secret: attemptKeySecret }),
    perAccount: createAttemptLimiter({ bucket: 'reset_account', limit: 3, windowMs: minutes(15), clock, store: attempts, secret: attemptKeySecret }),
    answerFloorMs: 400,
  });
  // An address past the bounce threshold is, to the notification services, no address: its
  // activities stay in the stream, and no share mail or digest is queued for it.
  const findMailableUsers = async (uids: readonly string[]) => {
    const found = await users.findMany(uids);
    const suppressed = await bounces.suppressed(found.flatMap((u) => (u.email ? [u.email] : [])));
    return suppressed.size === 0 ? found : found.map((u) => (u.email && suppressed.has(u.email.toLowerCase()) ? { ...u, email: null } : u));
  };
  const mailDeps = { findUsers: findMailableUsers, settings, renderer, unsubscribe, clock, onQueued: notifyWorkers };
  const events = createEventService({ ...mailDeps, store: notificationRepo, maxMailsPerRequest: options.maxMailsPerRequest });
  const digests = createDigestService({ ...mailDeps, store: notificationRepo, log: log.child({ module: 'digests' }) });
  const pingDatabase = async () => {
    await settingsRepo.readAll();
    return database.description;
  };
  return {
    runtime,
    log,
    clock,
    settings,
    mailTest,
    settingFiles: createSettingFilesService({ settings }),
    detect: createDetectService({ settings }),
    doctor: createDoctorService({ settings, pingDatabase, env, servedAt, checkOAuth: (s) => transports.checkOAuth(s), reputationWarning: () => bounces.reputationWarning() }),
    recordServeAddress: (host, port) => serveAddress.write(serveUrl(host, port, hostname())),
    tokens,
    users: userService,
    sessions,
    auth: createAuthService({ tokens, sessions, findUser: (uid) => users.find(uid) }),
    passwordReset,
    linkCheckLimit: createAttemptLimiter({ bucket: 'link_check_client', limit: 30, windowMs: minutes(1), clock, store: attempts, secret: attemptKeySecret }),
    accountMails,
    events,
    preferences,
    bounces,
    bounceMailbox,
    createBounceMailboxPoller: () => createBounceMailboxPoller({ mailbox: bounceMailbox, settings, log: log.child({ module: 'bounces' }) }),
    digests,
    shares: createShareService({ ...mailDeps, store: notificationRepo }),
    createDigestScheduler: () => createDigestScheduler({ digests, log: log.child({ module: 'digests' }) }),
    outbox,
    captured: createCapturedMailService({ store: capturedMail, secretBox }),
    templates,
    createWorker,
    workerLink: {
      onQueued(listener) {
        queuedListeners.add(listener);
        return () => queuedListeners.delete(listener);
      },
      wakeWorkers() {
        for (const worker of workers) worker.notify();
      },
      takeMetrics: () => metrics.takeDelta(),
      addMetrics: (delta) => metrics.addDelta(delta),
    },
    metrics: async () => metrics.render(await outboxRepo.counts(), await owedRepo.counts()) + renderBounceMetrics(await bounces.countsByKind()),
    importOwncloudConfig: (source, fileName) => importOwncloudConfig(source, fileName, settings),
    copyDatabaseTo: (url, onTable) => copyDatabaseTo(database, url, { dataDir: runtime.dataDir, now: () => clock.now(), ...(onTable ? { onTable } : {}) }),
    backupDatabase: (file, backupOptions) => backupDatabase(database, file, backupOptions),
    databaseStatus: () => schemaStatus(database, mailroomVersion()),
    migrateDatabase: (onStep) => migrateStepByStep(database, mailroomVersion(), onStep),
    health: async () => ({ database: await pingDatabase() }),
    async close() {
      await hostHealth.flush();
      await engine.close?.();
      await database.close();
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

/** Waits `ms`, or less when the signal fires; never rejects. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
