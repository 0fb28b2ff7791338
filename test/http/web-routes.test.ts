import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { installNotFound } from '../../src/http/error-handler.ts';
import { installPageHeaders } from '../../src/http/page-headers.ts';
import { findWebDir, imageOriginOf, webRoutes } from '../../src/http/routes/web-routes.ts';

describe('serving the web interface', () => {
  let app: FastifyInstance;
  let webDir: string;
  before(async () => {
    // A web folder of our own, shaped like the build's: index.html and hashed assets with .gz twins.
    webDir = await mkdtemp(join(tmpdir(), 'mailroom-web-'));
    await mkdir(join(webDir, 'assets'));
    await writeFile(join(webDir, 'index.html'), '<!doctype html><title>Mailroom</title><div id="app"></div>');
    await writeFile(join(webDir, 'assets', 'app-ABC123.js'), 'console.log("app")');
    const { gzipSync } = await import('node:zlib');
    await writeFile(join(webDir, 'assets', 'app-ABC123.js.gz'), gzipSync('console.log("app")'));
    await writeFile(join(webDir, 'secret.txt'), 'not an asset');
    app = Fastify();
    installPageHeaders(app);
    webRoutes(app, webDir);
    await app.ready();
  });
  after(async () => {
    await app.close();
    await rm(webDir, { recursive: true, force: true });
  });

  it('answers every page of the app with index.html, no-cache, and a policy that allows only Mailroom itself', async () => {
    for (const url of ['/', '/login', '/forgot', '/personal', '/activity', '/admin/email', '/admin/templates', '/reset/abc-DEF_123']) {
      const reply = await app.inject({ url });
      assert.equal(reply.statusCode, 200, url);
      assert.match(reply.headers['content-type'] as string, /^text\/html/);
      assert.match(reply.body, /<div id="app">/);
      assert.equal(reply.headers['cache-control'], 'no-cache');
      const csp = reply.headers['content-security-policy'] as string;
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /https?:/, 'no other origin is allowed');
    }
  });

  it('serves assets for a year, gzipped to browsers that accept it, plain to the others', async () => {
    const zipped = await app.inject({ url: '/assets/app-ABC123.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(zipped.statusCode, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'accept-encoding');
    assert.match(zipped.headers['cache-control'] as string, /max-age=31536000, immutable/);
    assert.equal(gunzipSync(zipped.rawPayload).toString(), 'console.log("app")');
    const plain = await app.inject({ url: '/assets/app-ABC123.js', headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, 'console.log("app")');
    assert.match(plain.headers['content-type'] as string, /^text\/javascript/);
  });

  it('serves nothing outside assets/ and answers 404 for what is not there', async () => {
    for (const url of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/assets/missing.js']) {
      const reply = await app.inject({ url });
      assert.equal(reply.statusCode, 404, url);
      assert.doesNotMatch(reply.body, /not an asset/);
    }
  });

  it("allows images from the logo's origin and no other, and none for a logo URL that is not http(s)", async () => {
    const withLogo = Fastify();
    installPageHeaders(withLogo, async () => imageOriginOf('https://cloud.example.com:8443/themes/logo.png?v=2'));
    webRoutes(withLogo, webDir);
    const csp = (await withLogo.inject({ url: '/admin/templates' })).headers['content-security-policy'] as string;
    assert.match(csp, /img-src 'self' data: https:\/\/cloud\.example\.com:8443;/);
    assert.doesNotMatch(csp.replace('https://cloud.example.com:8443', ''), /https?:/, 'only that origin');
    await withLogo.close();
    assert.deepEqual(imageOriginOf(''), []);
    assert.deepEqual(imageOriginOf('javascript:alert(1)'), []);
    assert.deepEqual(imageOriginOf('http://127.0.0.1:9000/a.png'), ['http://127.0.0.1:9000']);
  });

  it('says how to build the interface when it is not built, instead of a blank page', async () => {
    const bare = Fastify();
    webRoutes(bare, join(webDir, 'not-built'));
    const reply = await bare.inject({ url: '/login' });
    assert.equal(reply.statusCode, 503);
    assert.match(reply.body, /npm run build/);
    await bare.close();
  });

  it('finds the build of this package: dist/web with index.html and hashed, gzipped assets (npm test builds first)', async () => {
    const dir = findWebDir();
    assert.ok(dir?.endsWith(join('dist', 'web')), String(dir));
    const assets = await readdir(join(dir as string, 'assets'));
    assert.ok(
      assets.some((f) => /^app-[A-Z0-9]+\.js$/.test(f)),
      assets.join(', '),
    );
    assert.ok(
      assets.some((f) => /^app-[A-Z0-9]+\.js\.gz$/.test(f)),
      'a gzipped twin',
    );
  });

  it('answers a browser at an unknown path with the app and 404, a script and /api/ with JSON; serves the favicon', async () => {
    const withPages = Fastify();
    installPageHeaders(withPages);
    installNotFound(withPages, webRoutes(withPages, webDir).notFoundPage);
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    for (const url of ['/no/such/page', '/settings?x=1']) {
      const page = await withPages.inject({ url, headers: html });
      assert.equal(page.statusCode, 404, url);
      assert.match(page.headers['content-type'] as string, /^text\/html/);
      assert.match(page.body, /<div id="app">/);
      assert.match(page.headers['content-security-policy'] as string, /default-src 'self'/, 'the page has its policy');
    }
    for (const [url, headers] of [
      ['/no/such/page', {}],
      ['/api/v1/nothing', html],
      ['/assets/missing.js', html],
    ] as const) {
      const reply = await withPages.inject({ url, headers });
      assert.equal(reply.statusCode, 404, url);
      assert.equal((JSON.parse(reply.body) as { error: { code: string } }).error.code, 'not_found', url);
    }
    assert.equal((await withPages.inject({ method: 'POST', url: '/no/such/page', headers: html })).headers['content-type']?.toString().startsWith('application/json'), true, 'only GET and HEAD get the page');
    for (const url of ['/favicon.ico', '/favicon.svg']) {
      const icon = await withPages.inject({ url });
      assert.equal(icon.statusCode, 200, url);
      assert.equal(icon.headers['content-type'], 'image/svg+xml');
      assert.match(icon.body, /^<svg /);
    }
    await withPages.close();
  });
});
