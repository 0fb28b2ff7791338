/**
 * A Mailroom in the test's own process, built as `serve` builds it (buildContext), in a temporary
 * folder of its own: the data folder is `dir/data`, the config file `dir/config.json` (absent
 * unless the test writes it). Only the variables given reach it, besides PATH: a developer's own
 * MAILROOM_* must not leak in. Logs are silent unless a level is given.
 *
 * What else runs is asked for: `http: 'inject'` builds the app without a port (requests go through
 * fastify's inject), `http: 'listen'` starts the server as serve does on 127.0.0.1 and a port the
 * OS picks (unless MAILROOM_HOST / MAILROOM_PORT say otherwise); `worker: true` starts an outbox
 * worker. `settings` are saved before either starts. close() stops all of it and removes the folder.
 *
 * instance.ts (API tests with a token) and browser.ts (a served Mailroom for the pages) are made
 * of this; a test that needs a context and nothing else uses it directly.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { buildContext, startServer, type BuildContextOptions } from '../../src/main.ts';
import type { OutboxWorker } from '../../src/outbox/outbox-worker.ts';

export type SettingsUpdate = Parameters<AppContext['settings']['update']>[0];

export interface TestMailroomOptions extends Omit<BuildContextOptions, 'env' | 'cwd' | 'logLevel'> {
  /** The start of the temporary folder's name, e.g. 'mailroom-outbox-api-'. */
  prefix?: string;
  /** MAILROOM_* variables (and any other) on top of PATH, MAILROOM_DATA_DIR and MAILROOM_CONFIG. */
  env?: Record<string, string>;
  /** 'silent' unless given. */
  logLevel?: string;
  /** Saved with ctx.settings.update() before the app or the worker starts. */
  settings?: SettingsUpdate;
  /** 'inject': the app without a port; 'listen': the server serve starts, on a port of its own. */
  http?: 'inject' | 'listen';
  /** Start an outbox worker (mails are then delivered as they are queued). */
  worker?: boolean;
}

export interface TestMailroom {
  /** The temporary folder (its realpath), removed by close(). */
  readonly dir: string;
  /** `dir/data`, MAILROOM_DATA_DIR. */
  readonly dataDir: string;
  /** The whole environment it was built with: for a second context or a `mailroom` command on the same data. */
  readonly env: Record<string, string>;
  readonly ctx: AppContext;
  /** The app (with `http`); requests through app.inject(). */
  readonly app: FastifyInstance;
  /** http://HOST:PORT, no trailing slash (with `http: 'listen'`). */
  readonly url: string;
  /** The outbox worker (with `worker: true`). */
  readonly worker: OutboxWorker;
  close(): Promise<void>;
}

export async function startTestMailroom(options: TestMailroomOptions = {}): Promise<TestMailroom> {
  const { prefix = 'mailroom-test-', env: moreEnv = {}, logLevel = 'silent', settings, http, worker: withWorker = false, ...buildOptions } = options;
  // Its real path, so that paths a command prints compare equal to it.
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  const dataDir = join(dir, 'data');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    MAILROOM_DATA_DIR: dataDir,
    MAILROOM_CONFIG: join(dir, 'config.json'),
    ...(http === 'listen' ? { MAILROOM_HOST: '127.0.0.1', MAILROOM_PORT: '0' } : {}),
    ...moreEnv,
  };
  let ctx: AppContext | undefined;
  let app: FastifyInstance | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;
  let worker: OutboxWorker | undefined;
  const close = async () => {
    await worker?.stop();
    await server?.close();
    await app?.close();
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    ctx = await buildContext({ ...buildOptions, env, cwd: dir, logLevel });
    if (settings !== undefined) await ctx.settings.update(settings);
    if (http === 'inject') {
      app = buildApp(ctx);
      await app.ready();
    } else if (http === 'listen') {
      server = await startServer(ctx);
    }
    if (withWorker) {
      worker = ctx.createWorker();
      worker.start();
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const built = ctx;
  const missing = (what: string, option: string) => new Error(`this test Mailroom has no ${what}: start it with ${option}`);
  return {
    dir,
    dataDir,
    env,
    ctx: built,
    get app(): FastifyInstance {
      if (!app) throw missing('app', "http: 'inject'");
      return app;
    },
    get url(): string {
      if (!server) throw missing('server', "http: 'listen'");
      return server.url;
    },
    get worker(): OutboxWorker {
      if (!worker) throw missing('worker', 'worker: true');
      return worker;
    },
    close,
  };
}
