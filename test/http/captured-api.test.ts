/**
 * The captured-mail inbox (GET /api/v1/captured, /api/v1/captured/:id) and the parsed message of
 * GET /api/v1/outbox/:id, on a real database with the default mode `capture`: mails queued
 * through the API go through the outbox worker and land in the inbox.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import type { ErrorCode } from '../../src/errors.ts';
import type { MessageHeader, MessagePart } from '../../src/message/mime-message.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { deliverQueued } from '../support/mail-fixtures.ts';
import type { CapturedMailSummary } from '../../src/domain/api-types.ts';

interface Reply {
  status: number;
  body: unknown;
}

/** A listed mail: the API's summary (and, were it ever sent, the message: the list must not have it). */
type CapturedSummary = CapturedMailSummary & { raw?: string };

type CapturedMail = CapturedSummary & { raw: string; headers: MessageHeader[]; parts: MessagePart[] };

describe('the captured-mail inbox through the API', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let adminToken: string;
  let serviceToken: string;
  let userToken: string;
  const ids: number[] = [];

  async function api(path: string, token = adminToken): Promise<Reply> {
    const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: JSON.parse(res.body) as unknown };
  }

  function code(reply: Reply): ErrorCode {
    return (reply.body as { error: { code: ErrorCode } }).error.code;
  }

  async function captured(): Promise<CapturedSummary[]> {
    const reply = await api('/api/v1/captured');
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return (reply.body as { mails: CapturedSummary[] }).mails;
  }

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-captured-api-', env: { MAILROOM_MAIL_DOMAIN: 'cloud.example.com' }, http: 'inject' });
    ({ ctx, app } = mailroom);
    adminToken = await ctx.tokens.create('admin-script');
    serviceToken = await ctx.tokens.create('host-app', { scope: 'service' });
    await ctx.users.add({ uid: 'alice', email: 'alice@example.com', invite: false });
    userToken = await ctx.tokens.create('alice-phone', { uid: 'alice' });

    const messages = [
      { to: 'wang@example.com', subject: '您好，王小明', text: '你好！\n第二行', html: '<p>你好！</p><script>alert(1)</script>' },
      { to: 'bob@example.com', subject: 'Plain only', text: 'Hello Bob' },
      { to: 'carol@example.com', subject: 'Third', html: '<p>Hi Carol</p>' },
    ];
    const res = await app.inject({ method: 'POST', url: '/api/v1/messages', headers: { authorization: `Bearer ${serviceToken}`, 'content-type': 'application/json' }, payload: JSON.stringify({ messages }) });
    assert.equal(res.statusCode, 202, res.body);
    ids.push(...(JSON.parse(res.body) as { ids: number[] }).ids);
    await deliverQueued(ctx);
  });

  after(async () => {
    await mailroom?.close();
  });

  it('lists the mails the worker captured, newest first, without the messages themselves', async () => {
    const mails = await captured();
    assert.deepEqual(
      mails.map((m) => [m.subject, m.envelopeTo]),
      [
        ['Third', ['carol@example.com']],
        ['Plain only', ['bob@example.com']],
        ['您好，王小明', ['wang@example.com']],
      ],
    );
    for (const m of mails) {
      assert.equal(m.raw, undefined);
      assert.equal(m.envelopeFrom, 'mailroom@cloud.example.com');
      assert.match(m.messageId, /^<[0-9a-f-]+@cloud\.example\.com>$/);
      assert.ok(!Number.isNaN(Date.parse(m.createdAt)));
    }
    const outbox = (await api('/api/v1/outbox')).body as { counts: Record<string, number> };
    assert.equal(outbox.counts['sent'], 3, 'in capture mode the outbox counts them as sent');
  });

  it('pages with limit and before', async () => {
    const all = await captured();
    const first = (await api('/api/v1/captured?limit=1')).body as { mails: CapturedSummary[] };
    assert.deepEqual(
      first.mails.map((m) => m.id),
      [all[0]?.id],
    );
    const next = (await api(`/api/v1/captured?limit=5&before=${all[0]?.id}`)).body as { mails: CapturedSummary[] };
    assert.deepEqual(
      next.mails.map((m) => m.id),
      all.slice(1).map((m) => m.id),
    );
    const bad = await api('/api/v1/captured?limit=0');
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'invalid_request');
  });

  it('shows one captured mail with its headers (encoded words decoded) and its text and HTML parts', async () => {
    const wang = (await captured()).find((m) => m.subject === '您好，王小明');
    const reply = await api(`/api/v1/captured/${wang?.id}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const mail = reply.body as CapturedMail;
    assert.equal(mail.subject, '您好，王小明');
    assert.ok(mail.raw.includes(`Message-ID: ${mail.messageId}`));
    const subject = mail.headers.find((h) => h.name === 'Subject');
    assert.equal(subject?.decoded, '您好，王小明');
    assert.equal(mail.headers.find((h) => h.name === 'To')?.value, 'wang@example.com');
    assert.ok(
      mail.headers.every((h) => !/[\r\n]/.test(h.value)),
      'headers are unfolded',
    );
    assert.deepEqual(
      mail.parts.map((p) => [p.contentType, p.charset, p.text ?? p.html]),
      [
        ['text/plain', 'utf-8', '你好！\n第二行'],
        ['text/html', 'utf-8', '<p>你好！</p><script>alert(1)</script>'],
      ],
    );
    assert.ok(mail.parts.every((p) => p.size > 0));
  });

  it('shows a text-only mail as one part', async () => {
    const bob = (await captured()).find((m) => m.subject === 'Plain only');
    const mail = (await api(`/api/v1/captured/${bob?.id}`)).body as CapturedMail;
    assert.deepEqual(
      mail.parts.map((p) => [p.contentType, p.text?.trimEnd()]),
      [['text/plain', 'Hello Bob']],
    );
  });

  it('answers a captured mail that does not exist with 404 not_found, a bad id with 400', async () => {
    const missing = await api('/api/v1/captured/999999');
    assert.equal(missing.status, 404);
    assert.equal(code(missing), 'not_found');
    const bad = await api('/api/v1/captured/abc');
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'invalid_request');
  });

  it('is for admins only: a service token and a user are refused with 403, no credentials with 401', async () => {
    for (const token of [serviceToken, userToken]) {
      for (const path of ['/api/v1/captured', `/api/v1/captured/1`]) {
        const reply = await api(path, token);
        assert.equal(reply.status, 403, `${path}: ${JSON.stringify(reply.body)}`);
        assert.equal(code(reply), 'forbidden');
      }
    }
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/captured' });
    assert.equal(anonymous.statusCode, 401);
  });

  it('GET /api/v1/outbox/:id gives the same headers and parts next to the row, its history and the raw message', async () => {
    const reply = await api(`/api/v1/outbox/${ids[0]}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const mail = reply.body as { state: string; acceptedBy: string | null; lastReply: string | null; raw: string; history: unknown[]; headers: MessageHeader[]; parts: MessagePart[] };
    assert.equal(mail.state, 'sent');
    assert.deepEqual(mail.history, []);
    assert.match(mail.lastReply ?? '', /^captured as #\d+$/);
    assert.equal(mail.headers.find((h) => h.name === 'Subject')?.decoded, '您好，王小明');
    assert.deepEqual(
      mail.parts.map((p) => p.text ?? p.html),
      ['你好！\n第二行', '<p>你好！</p><script>alert(1)</script>'],
    );
    const inbox = (await captured()).find((m) => m.subject === '您好，王小明');
    const kept = (await api(`/api/v1/captured/${inbox?.id}`)).body as CapturedMail;
    assert.deepEqual(kept.headers, mail.headers, 'the outbox (latin1) and the inbox (UTF-8) read alike');
  });
});
