import type { FastifyInstance } from 'fastify';

export type InjectMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface InjectOptions {
  /** The bearer token; none with null. */
  token: string | null;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as given instead of `body`, for a body that is not valid JSON. */
  raw?: string;
}

export interface InjectReply {
  status: number;
  contentType: string;
  /** The body exactly as sent, to check what must never appear in it. */
  text: string;
}

/** A request through fastify's inject (no port), with a JSON content type whenever there is a body. */
export async function injectRequest(app: FastifyInstance, method: InjectMethod, path: string, options: InjectOptions): Promise<InjectReply> {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers['authorization'] = `Bearer ${options.token}`;
  const payload = options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await app.inject({ method, url: path, headers, ...(payload !== undefined ? { payload } : {}) });
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text: res.body };
}
