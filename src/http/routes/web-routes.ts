import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * Everything the pages load comes from Mailroom itself; mail previews are shown in a sandboxed
 * frame (srcdoc), and their inline styles need 'unsafe-inline' for styles only. Images may also
 * come from the origin of the admin's own logo (mail_logo_url), so that previews show it; other
 * remote images in mails (trackers, say) stay blocked, as a careful mail program blocks them.
 */
function contentSecurityPolicy(imageOrigins: readonly string[]): string {
  const images = ["'self'", 'data:', ...imageOrigins].join(' ');
  return `default-src 'self'; img-src ${images}; style-src 'self' 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;
}

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
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mailroom') return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * The web interface: index.html for every page of the app (the pages route in the browser), and
 * the hashed assets with a year of caching. Without a build, each page says how to make one.
 */
export function webRoutes(app: FastifyInstance, webDir = findWebDir(), imageOrigins: () => Promise<string[]> = async () => []): void {
  const assets = webDir ? resolve(webDir, 'assets') : undefined;
  const pageHeaders = (reply: FastifyReply, csp: string) =>
    reply.header('content-security-policy', csp).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('cache-control', 'no-cache');

  const index = async (_request: unknown, reply: FastifyReply) => {
    const html = webDir ? await readFile(join(webDir, 'index.html'), 'utf8').catch(() => undefined) : undefined;
    if (html === undefined) {
      return reply.status(503).type('text/plain; charset=utf-8').send('The web interface is not built. Run: npm run build (npm install does it), then reload. The API under /api/v1 works meanwhile.\n');
    }
    const csp = contentSecurityPolicy(await imageOrigins().catch(() => []));
    return pageHeaders(reply, csp).type('text/html; charset=utf-8').send(html);
  };
  for (const path of ['/', '/login', '/forgot', '/personal', '/activity', '/admin', '/admin/*', '/reset/*', '/set-password/*', '/confirm-email/*', '/undo-email/*']) app.get(path, index);

  app.get('/assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const file = assets ? resolve(assets, name) : undefined;
    // resolve() folds ../ away: anything that ends up outside assets/ is not ours to serve.
    if (!assets || !file || !file.startsWith(assets + sep)) return reply.status(404).send({ error: { code: 'not_found', message: 'No such file' } });
    // The build leaves a .gz beside each script and stylesheet; browsers that accept gzip get it.
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) ? await readFile(`${file}.gz`).catch(() => undefined) : undefined;
    const body = gzip ?? (await readFile(file).catch(() => undefined));
    if (!body) return reply.status(404).send({ error: { code: 'not_found', message: 'No such file' } });
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff')
      .type(TYPES[extname(file)] ?? 'application/octet-stream')
      .send(body);
  });
}
