/**
 * A Mailroom instance in this process for API tests: its own data folder, a context built as
 * `serve` builds it, the app (no port: requests go through fastify's inject) and an admin token.
 * Only the variables given reach it: a developer's own MAILROOM_* must not leak in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { buildContext } from '../../src/main.ts';

export interface ApiReply<T = Record<string, unknown>> {
  status: number;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: T;
  /** The body exactly as sent, to check what must never appear in it. */
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface TestInstance {
  readonly dir: string;
  readonly ctx: AppContext;
  readonly app: FastifyInstance;
  /** An admin API token. */
  readonly token: string;
  /** A JSON request with the admin token (or `token`, or none with `null`). */
  api<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, token?: string | null): Promise<ApiReply<T>>;
  close(): Promise<void>;
}

export async function startInstance(options: { prefix?: string; env?: Record<string, string> } = {}): Promise<TestInstance> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix ?? 'mailroom-instance-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], MAILROOM_DATA_DIR: join(dir, 'data'), MAILROOM_CONFIG: join(dir, 'config.json'), ...options.env };
  const ctx = await buildContext({ env, cwd: dir, logLevel: 'silent' });
  const token = await ctx.tokens.create('tests');
  const app = buildApp(ctx);
  await app.ready();
  return {
    dir,
    ctx,
    app,
    token,
    async api<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, bearer: string | null = token): Promise<ApiReply<T>> {
      const headers: Record<string, string> = {};
      if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await app.inject({ method, url, headers, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        parsed = undefined;
      }
      return { status: res.statusCode, body: parsed as T, text: res.body, headers: res.headers };
    },
    async close() {
      await app.close();
      await ctx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
