import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PACKAGE_NAME } from '../../mailroom-version.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The origin (scheme, host, port) of an http(s) URL, or nothing for anything else. */
export function imageOriginOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? [parsed.origin] : [];
  } catch {
    return [];
  }
}

/** The folder `npm run build` writes the web interface to: dist/web of the package this file is in. */
export function findWebDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * The web interface: index.html for every page of the app (the pages route in the browser), and
 * the hashed assets with a year of caching. Without a build, each page says how to make one.
 * The security headers of the pages come from page-headers.ts, which sees every answer.
 */
export function webRoutes(app: FastifyInstance, webDir = findWebDir()): WebPages {
  const assets = webDir ? resolve(webDir, 'assets') : undefined;

  const page = async (reply: FastifyReply, status: number) => {
    const html = webDir ? await readFile(join(webDir, 'index.html'), 'utf8').catch(() => undefined) : undefined;
    if (html === undefined) {
      return reply.status(503).type('text/plain; charset=utf-8').send('The web interface is not built. Run: npm run build (npm install does it), then reload. The API under /api/v1 works meanwhile.\n');
    }
    return reply.status(status).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  };
  const index = async (_request: unknown, reply: FastifyReply) => page(reply, 200);
  for (const path of ['/', '/login', '/forgot', '/personal', '/activity', '/admin', '/admin/*', '/reset/*', '/set-password/*', '/confirm-email/*', '/undo-email/*']) app.get(path, index);
  // index.html links /favicon.svg; /favicon.ico is what browsers ask for on their own (other pages, bookmarks).
  const favicon = async (_request: unknown, reply: FastifyReply) => reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON_SVG);
  app.get('/favicon.svg', favicon);
  app.get('/favicon.ico', favicon);

  app.get('/assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const file = assets ? resolve(assets, name) : undefined;
    // resolve() folds ../ away: anything that ends up outside assets/ is not ours to serve.
    if (!assets || !file?.startsWith(assets + sep)) return reply.status(404).send({ error: { code: 'not_found', message: 'No such file' } });
    // The build leaves a .gz beside each script and stylesheet; browsers that accept gzip get it.
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) ? await readFile(`${file}.gz`).catch(() => undefined) : undefined;
    const body = gzip ?? (await readFile(file).catch(() => undefined));
    if (!body) return reply.status(404).send({ error: { code: 'not_found', message: 'No such file' } });
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding')
      .type(TYPES[extname(file)] ?? 'application/octet-stream')
      .send(body);
  });

  return {
    async notFoundPage(request, reply) {
      const path = request.url.split('?')[0] ?? '';
      const browsing = (request.method === 'GET' || request.method === 'HEAD') && /\btext\/html\b/.test(String(request.headers.accept ?? ''));
      if (!browsing || path.startsWith('/api/') || path.startsWith('/assets/')) return undefined;
      return page(reply, 404);
    },
  };
}

/**
 * What the web interface adds to the 404 answer: a browser that opens an unknown page gets the
 * app, with status 404, and the app says "Page not found" with its navigation. API clients (no
 * text/html in Accept), /api/ and /assets/ keep the JSON error. Undefined: not a page.
 */
export interface WebPages {
  notFoundPage(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
}

/** The envelope of the app's heading, as a favicon (also linked from index.html). */
export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#1f5fbf"/><path d="M12 20h40v26H12z" fill="#fff"/><path d="M12 20l20 15 20-15" fill="none" stroke="#1f5fbf" stroke-width="4" stroke-linejoin="round"/></svg>\n';
