import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { readRuntimeOptions } from '../../src/config/runtime-options.ts';
import type { AppContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { startInstance, type TestInstance } from '../support/instance.ts';

interface ApiError {
  error: { code: string; message: string };
}

/** `[[[…0…]]]` nested `depth` deep. */
const nested = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

describe('HTTP hardening', () => {
  let dir: string;
  let ctx: AppContext;
  let app: FastifyInstance;
  let token: string;

  let mailroom: TestInstance;

  before(async () => {
    mailroom = await startInstance({ prefix: 'mailroom-sec-http-', env: { MAILROOM_MAIL_DOMAIN: 'cloud.example.com' } });
    ({ dir, ctx, app, token } = mailroom);
    await ctx.users.add({ uid: 'alice', password: 'Copper-kettle-64-long' });
  });

  after(async () => {
    await mailroom?.close();
  });

  describe('a body sent a byte at a time', () => {
    it('reads the request and idle time-outs from MAILROOM_HTTP_REQUEST_TIMEOUT_SECONDS and MAILROOM_HTTP_IDLE_TIMEOUT_SECONDS, 30 s and 120 s by default', () => {
      assert.deepEqual(readRuntimeOptions({}, dir).http, { requestTimeoutMs: 30_000, idleTimeoutMs: 120_000 });
      assert.deepEqual(readRuntimeOptions({ MAILROOM_HTTP_REQUEST_TIMEOUT_SECONDS: '5', MAILROOM_HTTP_IDLE_TIMEOUT_SECONDS: '60' }, dir).http, { requestTimeoutMs: 5000, idleTimeoutMs: 60_000 });
    });

    it('is cut off with 408 within the configured request time-out (2 s here), although a byte comes every 1.5 s', async () => {
      const slow = buildApp({ ...ctx, runtime: { ...ctx.runtime, http: { requestTimeoutMs: 2000, idleTimeoutMs: 120_000 } } });
      await slow.listen({ host: '127.0.0.1', port: 0 });
      const { port } = slow.server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      const started = Date.now();
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
      socket.write(`POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
      const trickle = setInterval(() => socket.write('['), 1500);
      try {
        const limit = new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 8000).unref());
        const outcome = await Promise.race([closed, limit]);
        assert.notEqual(outcome, 'still open', 'the connection was still open after 8 s');
        assert.ok((outcome as number) < 4000, `closed after ${String(outcome)} ms, the time-out is 2000 ms`);
        assert.match(answer, /^HTTP\/1\.1 408 /);
      } finally {
        clearInterval(trickle);
        socket.destroy();
        await slow.close();
      }
    });
  });

  describe('deeply nested JSON', () => {
    for (const url of ['/api/v1/events', '/api/v1/messages']) {
      it(`refuses a body nested 5000 deep on ${url} with 400 invalid_request, not a 500`, async () => {
        const payload = url === '/api/v1/events' ? `{"type":"file.created","actor":"alice","affected":["alice"],"object":{"type":"file","id":"1","name":"a.txt"},"data":{"deep":${nested(5000)}}}` : `{"to":"a@example.com","subject":"x","text":"x","key":${nested(5000)}}`;
        const reply = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload });
        assert.equal(reply.statusCode, 400, reply.body);
        assert.equal(reply.json<ApiError>().error.code, 'invalid_request');
        assert.match(reply.json<ApiError>().error.message, /nested/);
      });
    }

    it('still reads a body nested a few levels deep', async () => {
      const reply = await app.inject({ method: 'POST', url: '/api/v1/messages', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ messages: [{ to: 'a@example.com', subject: 'ok', text: 'x' }] }) });
      assert.equal(reply.statusCode, 202, reply.body);
    });
  });

  describe('server-rendered pages', () => {
    // Read from the routes: web-routes.ts serves index.html for the app and for the pages of the
    // links mailed to people (reset, set-password, confirm-email, undo-email); unsubscribe-routes.ts
    // renders its own page, at two paths, for GET and for the POST of its button.
    const pages: Array<{ method: 'GET' | 'POST'; url: string }> = [
      ...['/', '/login', '/forgot', '/personal', '/activity', '/admin', '/admin/email', '/reset/abc', '/set-password/abc', '/confirm-email/abc', '/undo-email/abc'].map((url) => ({ method: 'GET' as const, url })),
      { method: 'GET', url: '/unsubscribe/not-a-valid-token' },
      { method: 'GET', url: '/api/v1/unsubscribe/not-a-valid-token' },
      { method: 'POST', url: '/unsubscribe/not-a-valid-token' },
    ];

    it('every HTML answer carries the CSP with frame-ancestors none, nosniff and the referrer policy', async () => {
      for (const { method, url } of pages) {
        const reply = await app.inject({ method, url, headers: { accept: 'text/html' }, ...(method === 'POST' ? { payload: 'List-Unsubscribe=One-Click', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' } } : {}) });
        assert.match(String(reply.headers['content-type']), /^text\/html/, `${method} ${url} answers HTML (run npm run build first)`);
        const csp = String(reply.headers['content-security-policy']);
        assert.match(csp, /frame-ancestors 'none'/, `${method} ${url}`);
        assert.match(csp, /default-src 'self'/, `${method} ${url}`);
        assert.equal(reply.headers['x-content-type-options'], 'nosniff', `${method} ${url}`);
        assert.equal(reply.headers['referrer-policy'], 'same-origin', `${method} ${url}`);
      }
    });

    it('allows images from the origins of the two logos (light and dark) and no other', async () => {
      await ctx.settings.update({ mail_logo_url: 'https://cloud.example.com/logo.png', mail_logo_dark_url: 'https://cdn.example.net:8443/logo-dark.png' });
      try {
        const csp = String((await app.inject({ url: '/admin', headers: { accept: 'text/html' } })).headers['content-security-policy']);
        assert.match(csp, /img-src 'self' data: https:\/\/cloud\.example\.com https:\/\/cdn\.example\.net:8443;/);
      } finally {
        await ctx.settings.update({ mail_logo_url: '', mail_logo_dark_url: '' });
      }
    });

    it('JSON answers carry nosniff too', async () => {
      const reply = await app.inject({ url: '/api/v1/outbox' });
      assert.equal(reply.statusCode, 401);
      assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    });
  });
});
