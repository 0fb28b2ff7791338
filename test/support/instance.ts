/**
 * A Mailroom instance in this process for API tests (startTestMailroom with the app, no port:
 * requests go through fastify's inject) with an admin token and a JSON request helper.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom } from './test-mailroom.ts';

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
  const mailroom = await startTestMailroom({ prefix: options.prefix ?? 'mailroom-instance-', ...(options.env ? { env: options.env } : {}), http: 'inject' });
  const { dir, ctx, app } = mailroom;
  const token = await ctx.tokens.create('tests');
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
    close: () => mailroom.close(),
  };
}
