import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import type { OutboxAttempt, OutboxRow } from '../../src/domain/outbox.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { postfixSettings, deliverQueued } from '../support/mail-fixtures.ts';
import { readMaildir, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { injectRequest } from '../support/inject.ts';
import { simpleParser } from 'mailparser';
import type { ApiErrorBody } from '../../src/http/error-handler.ts';

interface Accepted {
  ids: number[];
  duplicates: number[];
}

interface OutboxList {
  counts: Record<string, number>;
  mails: OutboxRow[];
  next: number | null;
}

type BatchResult = { id: number; ok: true; state: string } | { id: number; ok: false; error: { code: ErrorCode; message: string } };

type OutboxMail = OutboxRow & { raw: string; history: OutboxAttempt[] };

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

type Method = 'GET' | 'POST';

function json<T>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

function apiError(reply: Reply): ApiErrorBody['error'] {
  return json<ApiErrorBody>(reply).error;
}

const MiB = 1024 * 1024;

describe('the outbox API on a real database', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let token: string;
  const sinks: SmtpSink[] = [];

  /** In-process through the app; `raw` sends a body as given instead of as JSON of it. */
  function api(method: Method, path: string, options: { token?: string | null; body?: unknown; raw?: string } = {}): Promise<Reply> {
    return injectRequest(app, method, path, { ...options, token: options.token === undefined ? token : options.token });
  }

  async function outbox(query = ''): Promise<OutboxList> {
    const reply = await api('GET', `/api/v1/outbox${query}`);
    assert.equal(reply.status, 200, reply.text);
    return json<OutboxList>(reply);
  }

  async function mail(id: number): Promise<OutboxMail> {
    const reply = await api('GET', `/api/v1/outbox/${id}`);
    assert.equal(reply.status, 200, reply.text);
    return json<OutboxMail>(reply);
  }

  /** Every row of the outbox, whatever its state. */
  async function total(): Promise<number> {
    return Object.values((await outbox()).counts).reduce((sum, n) => sum + n, 0);
  }

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-outbox-api-', env: { MAILROOM_MAIL_DOMAIN: 'cloud.example.com' }, http: 'inject' });
    ({ ctx, app } = mailroom);
    token = await ctx.tokens.create('test');
  });

  after(async () => {
    await mailroom?.close();
    await Promise.all(sinks.map((s) => s.stop()));
  });

  describe('POST /api/v1/messages', () => {
    it('queues one message with 202 and its id, and GET /api/v1/outbox lists it as queued', async () => {
      const reply = await api('POST', '/api/v1/messages', { body: { to: 'alice@example.com', subject: 'Hello', text: 'one' } });
      assert.equal(reply.status, 202, reply.text);
      const body = json<Accepted>(reply);
      assert.equal(body.ids.length, 1);
      assert.ok(Number.isInteger(body.ids[0]) && (body.ids[0] as number) >= 1);
      assert.deepEqual(body.duplicates, []);

      const list = await outbox();
      assert.equal(list.counts['queued'], 1);
      assert.equal(list.mails.length, 1);
      const [row] = list.mails;
      assert.equal(row?.id, body.ids[0]);
      assert.equal(row?.state, 'queued');
      assert.deepEqual(row?.recipients, ['alice@example.com']);
      assert.equal(row?.subject, 'Hello');
      assert.match(row?.messageId ?? '', /^<[^<>@\s]+@cloud\.example\.com>$/, 'the Message-ID is fixed at enqueue');
    });

    it('queues every message of { messages: [...] } and answers with their ids in order', async () => {
      const before = await total();
      const messages = [1, 2, 3].map((n) => ({ to: `batch-${n}@example.com`, subject: `Batch ${n}`, text: `number ${n}` }));
      const reply = await api('POST', '/api/v1/messages', { body: { messages } });
      assert.equal(reply.status, 202, reply.text);
      const { ids, duplicates } = json<Accepted>(reply);
      assert.equal(ids.length, 3);
      assert.equal(new Set(ids).size, 3);
      assert.deepEqual(duplicates, []);
      assert.equal(await total(), before + 3);
      for (const [i, id] of ids.entries()) assert.deepEqual((await mail(id)).recipients, [`batch-${i + 1}@example.com`]);
    });

    it('queues a message sent twice with the same key once, listing the id as a duplicate the second time', async () => {
      const message = { to: 'keyed@example.com', subject: 'Once', text: 'only once', key: 'order-4711' };
      const first = await api('POST', '/api/v1/messages', { body: message });
      assert.equal(first.status, 202, first.text);
      const {
        ids: [id],
        duplicates,
      } = json<Accepted>(first);
      assert.deepEqual(duplicates, []);
      const count = await total();

      const second = await api('POST', '/api/v1/messages', { body: message });
      assert.equal(second.status, 202, second.text);
      assert.deepEqual(json<Accepted>(second), { ids: [id], duplicates: [id] });
      assert.equal(await total(), count, 'no new row');
    });

    it('refuses 1001 messages with 413 batch_too_large and queues none of them', async () => {
      const before = await total();
      const messages = Array.from({ length: 1001 }, (_, i) => ({ to: `many-${i}@example.com`, subject: 'Many', text: 'x' }));
      const reply = await api('POST', '/api/v1/messages', { body: { messages } });
      assert.equal(reply.status, 413, reply.text);
      const error = apiError(reply);
      assert.equal(error.code, 'batch_too_large');
      assert.match(error.message, /1000/);
      assert.equal(await total(), before);
    });

    it('refuses a batch with one invalid address with 400 invalid_address naming that message, and queues none', async () => {
      const before = await total();
      const messages = [
        { to: 'good-1@example.com', subject: 'A', text: 'x' },
        { to: 'a@b@c', subject: 'B', text: 'x' },
        { to: 'good-3@example.com', subject: 'C', text: 'x' },
      ];
      const reply = await api('POST', '/api/v1/messages', { body: { messages } });
      assert.equal(reply.status, 400, reply.text);
      const error = apiError(reply);
      assert.equal(error.code, 'invalid_address');
      assert.match(error.message, /^message 2: /);
      assert.match(error.message, /a@b@c/);
      assert.equal(error.details?.['index'], 1);
      assert.equal(await total(), before);
    });

    it('refuses a line break in the subject with 400 header_injection and queues nothing', async () => {
      const before = await total();
      const reply = await api('POST', '/api/v1/messages', { body: { to: 'victim@example.com', subject: 'Hi\r\nBcc: everyone@example.com', text: 'x' } });
      assert.equal(reply.status, 400, reply.text);
      assert.equal(apiError(reply).code, 'header_injection');
      assert.match(apiError(reply).message, /subject/);
      assert.equal(await total(), before);
    });

    it('refuses a 6 MiB text part with 413 message_too_large, although the body is within the route limit', async () => {
      const before = await total();
      const reply = await api('POST', '/api/v1/messages', { body: { to: 'big@example.com', subject: 'Big', text: 'x'.repeat(6 * MiB) } });
      assert.equal(reply.status, 413, reply.text);
      const error = apiError(reply);
      assert.equal(error.code, 'message_too_large');
      assert.match(error.message, /text part is 6\.0 MiB; at most 5 MiB/);
      assert.equal(await total(), before);
    });

    it('refuses a body over the 12 MiB route limit with 413 payload_too_large', async () => {
      const raw = JSON.stringify({ to: 'huge@example.com', subject: 'Huge', text: 'x'.repeat(12 * MiB + 16) });
      const reply = await api('POST', '/api/v1/messages', { raw });
      assert.equal(reply.status, 413, reply.text.slice(0, 200));
      assert.equal(apiError(reply).code, 'payload_too_large');
    });

    it('refuses a request without a token with 401 unauthorized and queues nothing', async () => {
      const before = await total();
      const reply = await api('POST', '/api/v1/messages', { token: null, body: { to: 'anon@example.com', subject: 'S', text: 'T' } });
      assert.equal(reply.status, 401);
      assert.equal(apiError(reply).code, 'unauthorized');
      const list = await api('GET', '/api/v1/outbox', { token: null });
      assert.equal(list.status, 401);
      assert.equal(await total(), before);
    });
  });

  describe('GET /api/v1/outbox and /api/v1/outbox/:id', () => {
    it('refuses an unknown status with 400 invalid_request', async () => {
      const reply = await api('GET', '/api/v1/outbox?status=bogus');
      assert.equal(reply.status, 400, reply.text);
      assert.equal(apiError(reply).code, 'invalid_request');
    });

    it('lists only the mails of the asked status, newest first', async () => {
      const { mails } = await outbox('?status=queued&limit=2');
      assert.equal(mails.length, 2);
      assert.ok(mails.every((m) => m.state === 'queued'));
      assert.ok((mails[0]?.id ?? 0) > (mails[1]?.id ?? 0));
    });

    it('answers a mail that does not exist with 404 not_found', async () => {
      const reply = await api('GET', '/api/v1/outbox/999999');
      assert.equal(reply.status, 404, reply.text);
      assert.equal(apiError(reply).code, 'not_found');
    });
  });

  describe('after a worker ran against a server that refuses every recipient (550)', () => {
    let failedId: number;

    before(async () => {
      const sink = await startSmtpSink(['-f', 'RCPT']);
      sinks.push(sink);
      const patched = await app.inject({
        method: 'PATCH',
        url: '/api/v1/settings/mail',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${sink.port}`, mail_smtptimeout: 3 }),
      });
      assert.equal(patched.statusCode, 200, patched.body);
      const reply = await api('POST', '/api/v1/messages', { body: { to: 'refused@example.com', subject: 'Refused', text: 'x' } });
      assert.equal(reply.status, 202, reply.text);
      failedId = json<Accepted>(reply).ids[0] as number;
      await deliverQueued(ctx);
    });

    it('shows the mail as failed with the 5xx reply and an attempt in its history', async () => {
      const row = await mail(failedId);
      assert.equal(row.state, 'failed');
      assert.equal(row.attempts, 1);
      assert.match(row.lastReply ?? '', /^5\d\d /);
      assert.match(row.lastError ?? '', /^smtp_recipient_rejected: /);
      assert.equal(row.history.length, 1);
      const [attempt] = row.history;
      assert.equal(attempt?.outcome, 'failed');
      assert.equal(attempt?.code, 'smtp_recipient_rejected');
      assert.equal(attempt?.reply, row.lastReply);
      assert.equal(attempt?.host, `127.0.0.1:${sinks[0]?.port}`);
      assert.equal((await outbox()).counts['queued'] ?? 0, 0, 'the worker took every queued mail');
    });

    it('queues the failed mail again on POST /api/v1/outbox/:id/retry with 202', async () => {
      const reply = await api('POST', `/api/v1/outbox/${failedId}/retry`);
      assert.equal(reply.status, 202, reply.text);
      const row = await mail(failedId);
      assert.equal(row.state, 'queued');
      assert.equal(row.history.length, 1, 'the failed attempt stays in the history');
    });

    it('refuses to retry a mail that is queued with 400 invalid_request', async () => {
      const reply = await api('POST', `/api/v1/outbox/${failedId}/retry`);
      assert.equal(reply.status, 400, reply.text);
      assert.equal(apiError(reply).code, 'invalid_request');
      assert.match(apiError(reply).message, /not failed or cancelled/);
    });

    it('answers a retry of a mail that does not exist with 404 not_found', async () => {
      const reply = await api('POST', '/api/v1/outbox/999999/retry');
      assert.equal(reply.status, 404, reply.text);
      assert.equal(apiError(reply).code, 'not_found');
    });

    it('exports the queue and the counters at GET /metrics as Prometheus text', async () => {
      const reply = await api('GET', '/metrics', { token: null });
      assert.equal(reply.status, 200);
      assert.match(reply.contentType, /^text\/plain/);
      assert.match(reply.text, /^mailroom_outbox_mails\{state="queued"\} 1$/m);
      assert.match(reply.text, /^mailroom_outbox_mails\{state="failed"\} [1-9]\d*$/m);
      assert.match(reply.text, /^mailroom_sent_total \d+$/m);
      assert.match(reply.text, /^mailroom_failed_total [1-9]\d*$/m);
    });

    it('queues every failed mail again on POST /api/v1/outbox/retry-failed, and says how many', async () => {
      await deliverQueued(ctx);
      const failed = (await outbox()).counts['failed'] ?? 0;
      assert.ok(failed >= 1, 'the retried mail failed again at the refusing server');
      assert.equal((await api('POST', '/api/v1/outbox/retry-failed', { token: null })).status, 401, 'not without a token');

      const reply = await api('POST', '/api/v1/outbox/retry-failed');
      assert.equal(reply.status, 202, reply.text);
      assert.deepEqual(json<{ requeued: number }>(reply), { requeued: failed });
      const after = await outbox();
      assert.equal(after.counts['failed'] ?? 0, 0, 'no mail is failed any more');
      assert.equal((await mail(failedId)).state, 'queued');
      assert.deepEqual(json<{ requeued: number }>(await api('POST', '/api/v1/outbox/retry-failed')), { requeued: 0 }, 'nothing left to retry');
    });
  });
  describe('POST /api/v1/outbox/:id/cancel, against the real Postfix', () => {
    let postfix: PostfixServer;

    before(async () => {
      postfix = await startPostfix();
      await ctx.settings.update({ ...postfixSettings(postfix), mail_smtptimeout: 5 });
    });
    after(() => postfix?.stop());

    async function queue(to: string, subject: string): Promise<number> {
      const reply = await api('POST', '/api/v1/messages', { body: { to, subject, text: 'x' } });
      assert.equal(reply.status, 202, reply.text);
      return json<Accepted>(reply).ids[0] as number;
    }

    async function deliverAll(): Promise<void> {
      await deliverQueued(ctx);
    }

    it('cancels a queued mail, which the worker then never sends, while the next one is delivered; retry sends it after all', async () => {
      const cancelled = await queue('cancelled@example.org', 'Never sent');
      const kept = await queue('kept@example.org', 'Sent');
      assert.equal((await api('POST', `/api/v1/outbox/${cancelled}/cancel`, { token: null })).status, 401, 'not without a token');

      const reply = await api('POST', `/api/v1/outbox/${cancelled}/cancel`);
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(json<unknown>(reply), { id: cancelled, state: 'cancelled' });
      assert.equal((await mail(cancelled)).state, 'cancelled');

      await deliverAll();
      await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'kept@example.org');
      assert.equal((await mail(kept)).state, 'sent');
      assert.equal((await mail(cancelled)).state, 'cancelled', 'the worker left it alone');
      assert.deepEqual(
        (await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === 'cancelled@example.org'),
        [],
      );

      // A sent mail cannot be called back, and a cancelled one is cancelled already: 409, nothing changes.
      const sent = await api('POST', `/api/v1/outbox/${kept}/cancel`);
      assert.equal(sent.status, 409, sent.text);
      assert.equal(apiError(sent).code, 'outbox_not_cancellable');
      assert.equal(apiError(sent).message, `Mail #${kept} is sent: it was sent already, and a sent mail cannot be called back`);
      const again = await api('POST', `/api/v1/outbox/${cancelled}/cancel`);
      assert.equal(again.status, 409, again.text);
      assert.match(apiError(again).message, /is cancelled: it was cancelled already$/);
      assert.equal((await api('POST', '/api/v1/outbox/999999/cancel')).status, 404);
      assert.equal((await api('POST', '/api/v1/outbox/abc/cancel')).status, 400);

      assert.equal((await api('POST', `/api/v1/outbox/${cancelled}/retry`)).status, 202);
      await deliverAll();
      await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'cancelled@example.org');
      assert.equal((await mail(cancelled)).state, 'sent');
    });

    it('cancels a failed mail, so that "Retry all failed" leaves it out', async () => {
      const refusing = await startSmtpSink(['-f', 'RCPT']);
      sinks.push(refusing);
      await ctx.settings.update({ mail_smtphost: `127.0.0.1:${refusing.port}`, mail_smtpsecure: '', mail_smtpauth: false });
      const id = await queue('failed-then-cancelled@example.org', 'Failed');
      try {
        await deliverAll();
      } finally {
        await ctx.settings.update(postfixSettings(postfix));
      }
      assert.equal((await mail(id)).state, 'failed', 'refused with 550');
      const failedBefore = (await outbox()).counts['failed'] ?? 0;
      assert.equal((await api('POST', `/api/v1/outbox/${id}/cancel`)).status, 200);
      assert.equal((await outbox()).counts['failed'] ?? 0, failedBefore - 1);
      assert.deepEqual(json<{ requeued: number }>(await api('POST', '/api/v1/outbox/retry-failed')), { requeued: failedBefore - 1 });
      assert.equal((await mail(id)).state, 'cancelled');
    });

    it('refuses to cancel a mail a worker is handing to the server at that moment, which then arrives', async () => {
      // A server that holds the message until told to answer, so that the mail stays "sending".
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      let dataStarted: () => void = () => {};
      const started = new Promise<void>((resolve) => (dataStarted = resolve));
      const slow = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, _session, callback) {
          stream.resume();
          stream.on('end', () => {
            dataStarted();
            void held.then(() => callback(null));
          });
        },
      });
      slow.on('error', () => {});
      await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', () => resolve()));
      try {
        await ctx.settings.update({ mail_smtphost: `127.0.0.1:${(slow.server.address() as AddressInfo).port}`, mail_smtpsecure: '', mail_smtpauth: false });
        const id = await queue('in-flight@example.org', 'In flight');
        const worker = ctx.createWorker();
        try {
          const running = worker.runOnce();
          await started;
          const reply = await api('POST', `/api/v1/outbox/${id}/cancel`);
          assert.equal(reply.status, 409, reply.text);
          assert.equal(apiError(reply).code, 'outbox_not_cancellable');
          assert.match(apiError(reply).message, new RegExp(`^Mail #${id} is sending: a worker is handing it to the mail server right now`));
          release();
          await running;
        } finally {
          release();
          await worker.stop();
        }
        assert.equal((await mail(id)).state, 'sent', 'the refused cancel changed nothing');
      } finally {
        await new Promise<void>((resolve) => slow.close(() => resolve()));
        await ctx.settings.update(postfixSettings(postfix));
      }
    });
  });

  describe('search, Send now, several mails at once, the .eml file and the test mails', () => {
    let userToken: string;
    let serviceToken: string;

    before(async () => {
      await ctx.users.add({ uid: 'ursula', email: 'ursula@example.com', invite: false });
      userToken = await ctx.tokens.create('ursula-laptop', { uid: 'ursula' });
      serviceToken = await ctx.tokens.create('host-app', { scope: 'service' });
    });

    async function queue(to: string, subject: string): Promise<number> {
      const reply = await api('POST', '/api/v1/messages', { body: { to, subject, text: `About ${subject}.` } });
      assert.equal(reply.status, 202, reply.text);
      return json<Accepted>(reply).ids[0] as number;
    }

    /** A server of smtp-sink with these flags, as the mail server. */
    async function serverWith(flags: string[]): Promise<void> {
      const sink = await startSmtpSink(flags);
      sinks.push(sink);
      // The Postfix of the tests above is gone, with its CA file.
      await ctx.settings.update({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${sink.port}`, mail_smtpsecure: '', mail_smtptls_ca: '', mail_smtpauth: false, mail_smtptimeout: 3 });
    }

    async function runWorker(): Promise<void> {
      await deliverQueued(ctx);
    }

    it('finds mails by a part of a recipient or the subject, in any case, and pages the matches with `next`', async () => {
      const a = await queue('Quincy.Search@example.com', 'Quarterly figures');
      const b = await queue('robin@example.com', 'Your QUINCY-7 order');
      await queue('sam@example.com', 'Unrelated');
      const found = await outbox('?search=quincy');
      assert.deepEqual(
        found.mails.map((m) => m.id),
        [b, a],
        'by subject and by recipient, newest first',
      );
      assert.equal(found.next, null);
      assert.deepEqual(
        (await outbox('?search=%25')).mails.filter((m) => [a, b].includes(m.id)),
        [],
        'a % is no wildcard',
      );
      const first = await outbox('?search=QUINCY&limit=1');
      assert.deepEqual(
        first.mails.map((m) => m.id),
        [b],
      );
      assert.equal(first.next, b);
      assert.deepEqual(
        (await outbox(`?search=quincy&limit=1&before=${first.next}`)).mails.map((m) => m.id),
        [a],
      );
      assert.deepEqual((await outbox('?search=quincy&status=failed')).mails, [], 'with the state filter');
      const long = await api('GET', `/api/v1/outbox?search=${'x'.repeat(201)}`);
      assert.equal(long.status, 400, long.text);
      assert.equal(apiError(long).code, 'invalid_request');
      // Out of the way of the tests below.
      await api('POST', '/api/v1/outbox/cancel', { body: { ids: (await outbox('?status=queued&limit=1000')).mails.map((m) => m.id) } });
    });

    it('sends a deferred mail at once on POST /api/v1/outbox/:id/send-now, once the server takes it', async () => {
      await serverWith(['-r', 'RCPT']);
      const id = await queue('later@example.com', 'Deferred then sent');
      await runWorker();
      const deferred = await mail(id);
      assert.equal(deferred.state, 'queued');
      assert.equal(deferred.attempts, 1);
      assert.match(deferred.lastError ?? '', /^smtp_/);
      assert.ok(deferred.nextAttemptAt > Date.now() + 5_000, 'the next attempt is a while away');
      const listed = (await outbox('?status=queued')).mails.find((m) => m.id === id);
      assert.equal(listed?.lastError, deferred.lastError, 'the list carries the last error');
      assert.equal(listed?.nextAttemptAt, deferred.nextAttemptAt, 'and the next attempt');

      await serverWith([]);
      await runWorker();
      assert.equal((await mail(id)).state, 'queued', 'not due yet: the worker left it');
      const now = await api('POST', `/api/v1/outbox/${id}/send-now`);
      assert.equal(now.status, 202, now.text);
      assert.ok((await mail(id)).nextAttemptAt <= Date.now());
      await runWorker();
      const sent = await mail(id);
      assert.equal(sent.state, 'sent');
      assert.equal(sent.attempts, 2);

      const again = await api('POST', `/api/v1/outbox/${id}/send-now`);
      assert.equal(again.status, 409, again.text);
      assert.equal(apiError(again).code, 'outbox_not_queued');
      assert.match(apiError(again).message, new RegExp(`^Mail #${id} is sent already: only a queued mail can be sent now`));
      const missing = await api('POST', '/api/v1/outbox/999999/send-now');
      assert.equal(missing.status, 404, missing.text);
      assert.equal(apiError(missing).code, 'not_found');
    });

    it('retries and cancels several mails on POST /api/v1/outbox/retry and /cancel, answering for each id', async () => {
      await serverWith(['-f', 'RCPT']);
      const one = await queue('first-refused@example.com', 'Refused one');
      const two = await queue('second-refused@example.com', 'Refused two');
      await runWorker();
      assert.deepEqual([(await mail(one)).state, (await mail(two)).state], ['failed', 'failed']);
      const sent = (await outbox('?status=sent')).mails[0]?.id as number;

      const retried = await api('POST', '/api/v1/outbox/retry', { body: { ids: [one, two, sent, 999999, one] } });
      assert.equal(retried.status, 200, retried.text);
      assert.deepEqual(json<{ results: BatchResult[] }>(retried).results, [
        { id: one, ok: true, state: 'queued' },
        { id: two, ok: true, state: 'queued' },
        { id: sent, ok: false, error: { code: 'outbox_not_retryable', message: `Mail #${sent} is sent: only a failed or cancelled mail can be retried` } },
        { id: 999999, ok: false, error: { code: 'not_found', message: 'No mail #999999 in the outbox' } },
      ]);
      assert.deepEqual([(await mail(one)).state, (await mail(two)).state], ['queued', 'queued']);

      const cancelled = await api('POST', '/api/v1/outbox/cancel', { body: { ids: [one, two, sent] } });
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.deepEqual(
        json<{ results: BatchResult[] }>(cancelled).results.map((r) => [r.id, r.ok ? r.state : r.error.code]),
        [
          [one, 'cancelled'],
          [two, 'cancelled'],
          [sent, 'outbox_not_cancellable'],
        ],
      );
      await runWorker();
      assert.deepEqual([(await mail(one)).state, (await mail(two)).state], ['cancelled', 'cancelled'], 'no worker sent them');
    });

    it('refuses a batch without ids, with a bad id or with more than 1000 ids', async () => {
      for (const body of [{}, { ids: [] }, { ids: ['1'] }, { ids: [0] }, { ids: [1.5] }, { ids: 7 }]) {
        const reply = await api('POST', '/api/v1/outbox/retry', { body });
        assert.equal(reply.status, 400, `${JSON.stringify(body)}: ${reply.text}`);
        assert.equal(apiError(reply).code, 'invalid_request');
        assert.match(apiError(reply).message, /^ids/);
      }
      const many = await api('POST', '/api/v1/outbox/cancel', { body: { ids: Array.from({ length: 1001 }, (_, i) => i + 1) } });
      assert.equal(many.status, 413, many.text);
      assert.equal(apiError(many).code, 'batch_too_large');
    });

    it('gives a mail as a .eml file that parses to the same headers', async () => {
      const id = await queue('eml-reader@example.com', 'Report für März');
      const reply = await app.inject({ method: 'GET', url: `/api/v1/outbox/${id}/eml`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(reply.statusCode, 200, reply.body);
      assert.equal(reply.headers['content-type'], 'message/rfc822');
      assert.equal(reply.headers['content-disposition'], `attachment; filename="mail-${id}.eml"`);
      const parsed = await simpleParser(reply.rawPayload);
      assert.equal(parsed.subject, 'Report für März');
      assert.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '', 'eml-reader@example.com');
      assert.equal(parsed.messageId, (await mail(id)).messageId);
      assert.equal(parsed.text?.trim(), 'About Report für März.');
      const missing = await api('GET', '/api/v1/outbox/999999/eml');
      assert.equal(missing.status, 404, missing.text);
      assert.equal(apiError(missing).code, 'not_found');
    });

    it('lists the test mails, which go past the outbox, with what the server answered', async () => {
      await serverWith([]);
      const okReport = await api('POST', '/api/v1/settings/mail/test', { body: { to: 'tester@example.com' } });
      assert.equal(okReport.status, 200, okReport.text);
      await serverWith(['-f', 'RCPT']);
      await api('POST', '/api/v1/settings/mail/test', { body: { to: 'refused-tester@example.com' } });
      const reply = await api('GET', '/api/v1/test-mails');
      assert.equal(reply.status, 200, reply.text);
      const [refused, accepted] = json<{ mails: Array<{ template: string; recipient: string; ok: boolean; mode: string; via: string | null; response: string | null; errorCode: string | null }> }>(reply).mails;
      assert.equal(refused?.recipient, 'refused-tester@example.com');
      assert.equal(refused?.ok, false);
      assert.equal(refused?.errorCode, 'smtp_recipient_rejected');
      assert.equal(accepted?.recipient, 'tester@example.com');
      assert.equal(accepted?.ok, true);
      assert.equal(accepted?.template, 'test');
      assert.equal(accepted?.mode, 'smtp');
      assert.match(accepted?.response ?? '', /^250 /);
      assert.equal((await outbox('?search=tester%40example.com')).mails.length, 0, 'not in the outbox');
    });

    it('is for admins only: a user or service token gets 403 forbidden, no token 401', async () => {
      const calls: Array<[Method, string, unknown?]> = [
        ['GET', '/api/v1/outbox?search=x'],
        ['POST', '/api/v1/outbox/1/send-now'],
        ['POST', '/api/v1/outbox/retry', { ids: [1] }],
        ['POST', '/api/v1/outbox/cancel', { ids: [1] }],
        ['GET', '/api/v1/outbox/1/eml'],
        ['GET', '/api/v1/captured/1/eml'],
        ['GET', '/api/v1/test-mails'],
      ];
      for (const [method, path, body] of calls) {
        for (const bearer of [userToken, serviceToken]) {
          const reply = await api(method, path, { token: bearer, ...(body !== undefined ? { body } : {}) });
          assert.equal(reply.status, 403, `${method} ${path}: ${reply.text}`);
          assert.equal(apiError(reply).code, 'forbidden');
        }
        assert.equal((await api(method, path, { token: null, ...(body !== undefined ? { body } : {}) })).status, 401, `${method} ${path}`);
      }
    });
  });
});
