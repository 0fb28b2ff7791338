import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { createOAuthTokenProvider } from '../../src/transport/oauth-token-provider.ts';

interface ApiError {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

// What a web server (or anything else that is not a mail server) might say: a status line and a
// long page, some of which is nobody's business but its owner's.
const PAGE_SECRET = 'internal-build-7f3a9c';
const HTTP_ANSWER = [`HTTP/1.1 400 Bad Request ${'y'.repeat(3000)} ${PAGE_SECRET}`, 'Server: nginx/1.25.3', 'Content-Type: text/html', '', '<html><head><title>400 Bad Request</title></head><body>', ...Array.from({ length: 60 }, (_, i) => `<p>line ${i}: ${'x'.repeat(100)} ${PAGE_SECRET}</p>`), '</body></html>'].join(
  '\r\n',
);

describe('secrets go only where they should', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let token: string;
  let web: Server;
  let webPort: number;
  const webSockets = new Set<Socket>();

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-sec-secrets-', env: { MAILROOM_MAIL_DOMAIN: 'cloud.example.com' }, http: 'inject' });
    ({ ctx, app } = mailroom);
    token = await ctx.tokens.create('security');
    // Answers every connection at once with the whole page, as an HTTP server does to a request it cannot read.
    web = createServer((socket) => {
      webSockets.add(socket);
      socket.on('error', () => undefined);
      socket.end(HTTP_ANSWER);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webPort = (web.address() as AddressInfo).port;
  });

  after(async () => {
    await mailroom?.close();
    for (const socket of webSockets) socket.destroy();
    await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
  });

  const call = (method: 'PATCH' | 'POST' | 'GET', url: string, body?: unknown) => app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });

  describe('the XOAUTH2 token URL', () => {
    it('refuses an http:// token URL through the settings API with 400 config_invalid_value and keeps the one before', async () => {
      const good = await call('PATCH', '/api/v1/settings/mail', { mail_smtpoauth_token_url: 'https://login.example.com/token' });
      assert.equal(good.statusCode, 200, good.body);
      for (const url of ['http://login.example.com/token', 'http://10.0.0.5/token', 'http://127.0.0.1.example.com/token', 'http://localhost.example.com/token']) {
        const reply = await call('PATCH', '/api/v1/settings/mail', { mail_smtpoauth_token_url: url });
        assert.equal(reply.statusCode, 400, `${url}: ${reply.body}`);
        const { error } = reply.json<ApiError>();
        assert.equal(error.code, 'config_invalid_value', url);
        assert.match(error.message, /https:\/\//, url);
      }
      const settings = (await call('GET', '/api/v1/settings/mail')).json<{ settings: Array<{ key: string; value?: unknown }> }>().settings;
      assert.equal(settings.find((s) => s.key === 'mail_smtpoauth_token_url')?.value, 'https://login.example.com/token');
    });

    it('takes http:// to this machine (127.0.0.1, ::1, localhost), for a local endpoint and for tests', async () => {
      for (const url of ['http://127.0.0.1:8080/token', 'http://[::1]:8080/token', 'http://localhost/token']) {
        const reply = await call('PATCH', '/api/v1/settings/mail', { mail_smtpoauth_token_url: url });
        assert.equal(reply.statusCode, 200, `${url}: ${reply.body}`);
      }
    });

    it('never sends the client secret to an http:// endpoint elsewhere, even when the setting came from somewhere unchecked', async () => {
      let asked = false;
      const ask = async () =>
        createOAuthTokenProvider({
          tokenUrl: 'http://login.example.com/token',
          clientId: 'id',
          clientSecret: 'the-client-secret',
          refreshToken: 'the-refresh-token',
          clock: { now: () => new Date() },
          timeoutMs: 1000,
          fetch: async () => {
            asked = true;
            return new Response('{}', { status: 500 });
          },
        }).getAccessToken();
      await assert.rejects(ask, { code: 'oauth_not_configured' });
      assert.equal(asked, false, 'no request was made');
    });
  });

  describe('a server that is not a mail server', () => {
    /** Every string in a JSON answer, wherever it is. */
    const strings = (value: unknown): string[] => (typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : []);

    it('is named by detect with one truncated line of what it said, not its whole answer', async () => {
      const reply = await call('POST', '/api/v1/settings/mail/detect', { host: `127.0.0.1:${webPort}` });
      assert.equal(reply.statusCode, 200, reply.body);
      const texts = strings(reply.json());
      assert.ok(
        texts.some((s) => s.includes('HTTP/1.1 400 Bad Request')),
        'the first line names what answered',
      );
      assert.ok(!reply.body.includes(PAGE_SECRET), 'nothing of the page after the first line is shown');
      for (const s of texts) assert.ok(s.length <= 300 && !/[\r\n]/.test(s), `one short line: ${s.slice(0, 120)}…`);
    });

    it('is named by the test mail with one truncated line of what it said, in the error and the transcript', async () => {
      const set = await call('PATCH', '/api/v1/settings/mail', { mail_smtpmode: 'smtp', mail_smtphost: '127.0.0.1', mail_smtpport: webPort, mail_smtpsecure: '', mail_smtpauth: false, mail_smtptimeout: 3 });
      assert.equal(set.statusCode, 200, set.body);
      const reply = await call('POST', '/api/v1/settings/mail/test', { to: 'admin@example.com', debug: true });
      assert.ok(reply.statusCode >= 200 && reply.statusCode < 600, reply.body);
      const texts = strings(reply.json());
      assert.ok(
        texts.some((s) => s.includes('HTTP/1.1 400 Bad Request')),
        `the first line names what answered: ${reply.body.slice(0, 400)}`,
      );
      assert.ok(!reply.body.includes(PAGE_SECRET), `nothing of the page after the first line is shown: ${reply.body.slice(0, 2000)}`);
      const body = reply.json<{ ok: boolean; error: { code: string; reply?: string }; transcript: string }>();
      assert.equal(body.ok, false);
      assert.equal(body.error.code, 'smtp_protocol_error');
      for (const s of texts) assert.ok(s.length <= 400, `short: ${s.slice(0, 120)}…`);
      const serverLines = body.transcript.split('\n').filter((l) => l.startsWith('S: '));
      assert.equal(serverLines.length, 1, `one line of what the server said in the transcript: ${body.transcript.slice(0, 400)}`);
    });
  });
});
