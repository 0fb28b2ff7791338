/**
 * A public link mailed to outside addresses (`share.link.sent` events, the `link_share` mail)
 * against the real Postfix: the mail as the outside reader gets it, and every guard that keeps
 * Mailroom from being an open relay: at most 20 addresses an event, 100 a sharer an hour (counted
 * in the database), valid addresses only, a one-line note, and the admin's switch. A refused
 * request queues nothing at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import type { AppContext } from '../../src/context.ts';
import type { TestMailroom } from '../support/test-mailroom.ts';
import { outboxIdle as waitForOutbox, outboxTotal } from '../support/mail-fixtures.ts';
import { assertChineseTypography } from '../support/zh-typography.ts';
import { readMaildir, waitForMail, type PostfixServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';
import { startMailroomWithPostfix } from '../support/postfix-mailroom.ts';

const OUTSIDE = 'outside.example.net';

describe('public links mailed to outside addresses, through the real Postfix', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let token: string;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  let eventCount = 0;

  before(async () => {
    ({ postfix, mailroom } = await startMailroomWithPostfix({
      prefix: 'mailroom-link-share-',
      clock,
      settings: { instance_name: 'Example Cloud', base_url: 'https://cloud.example.com', shareapi_allow_public_notification: true },
      http: 'inject',
      worker: true,
    }));
    ({ ctx, app } = mailroom);
    await ctx.users.add({ uid: 'alice', display_name: 'Alice Andersen', email: 'alice@cloud-users.example.org', timezone: 'Europe/Berlin', invite: false });
    await ctx.users.add({ uid: 'mei', display_name: '王美', email: 'mei@cloud-users.example.org', language: 'zh-CN', timezone: 'Asia/Shanghai', invite: false });
    await ctx.users.add({ uid: 'busy', display_name: 'Busy Bee', email: null });
    token = await ctx.tokens.create('host', { scope: 'service' });
  });
  after(() => closeAll(mailroom, postfix));

  const emit = (events: unknown) => app.inject({ method: 'POST', url: '/api/v1/events', headers: { authorization: `Bearer ${token}` }, payload: { events } });
  const linkEvent = (actor: string, recipients: string[], extra: Record<string, unknown> = {}) => ({
    id: `link-${++eventCount}`,
    type: 'share.link.sent',
    actor,
    object: { type: 'file', id: '4711', name: 'Budget 2026.xlsx' },
    link: 'https://cloud.example.com/s/Pub7Link',
    data: { recipients, note: 'The figures for Friday.', expiration: '2026-12-31', ...extra },
  });
  const outside = (n: number, prefix = 'guest') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}@${OUTSIDE}`);
  const outboxIdle = () => waitForOutbox(ctx.outbox, 500);
  /** A refused request: the status and code, and not one more mail in the outbox. */
  async function refusedWithNothingQueued(events: unknown, status: number, code: string) {
    await waitForOutbox(ctx.outbox);
    const before = await outboxTotal(ctx.outbox);
    const reply = await emit(events);
    assert.equal(reply.statusCode, status, reply.body);
    const body = reply.json() as { error: { code: string; message: string; details?: Record<string, unknown> } };
    assert.equal(body.error.code, code);
    await waitForOutbox(ctx.outbox);
    assert.equal(await outboxTotal(ctx.outbox), before, 'nothing queued');
    return { body, headers: reply.headers };
  }

  it('mails the link, note and expiry from "Alice via Example Cloud", Reply-To Alice, to each outside address once', async () => {
    const event = linkEvent('alice', ['ext.one@outside.example.net', 'Ext.Two@outside.example.net', 'ext.two@outside.example.net']);
    const reply = await emit([event]);
    assert.equal(reply.statusCode, 202, reply.body);
    assert.equal(reply.json().mails, 2, 'the same address twice is one mail');

    const raw = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'ext.one@outside.example.net');
    const mail = await simpleParser(raw.raw);
    assert.equal(mail.subject, 'Alice Andersen shared »Budget 2026.xlsx« with you');
    assert.equal(mail.from?.value[0]?.name, 'Alice Andersen via Example Cloud');
    assert.equal(mail.from?.value[0]?.address, 'mailroom@cloud.example.com');
    assert.equal(mail.replyTo?.value[0]?.address, 'alice@cloud-users.example.org');
    assert.equal(raw.headers.get('to'), 'ext.one@outside.example.net', 'an outside address has no name to show');
    for (const part of [mail.text ?? '', String(mail.html)]) {
      assert.ok(part.includes('https://cloud.example.com/s/Pub7Link'), 'the link');
      assert.ok(part.includes('The figures for Friday.'), 'the note');
      assert.ok(part.includes('Dec 31, 2026'), 'the expiry');
    }
    assert.equal(raw.headers.get('list-unsubscribe'), undefined, 'no account to unsubscribe');
    await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'ext.two@outside.example.net');

    // The same event again (a retry of the host) sends nothing more.
    const retry = await emit([event]);
    assert.equal(retry.statusCode, 202);
    assert.equal(retry.json().mails, 0);
    await outboxIdle();
    assert.equal((await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo?.startsWith('ext.')).length, 2);

    // The sharer's stream shows their own action.
    const stream = await ctx.preferences.stream('alice', { limit: 5, language: 'en' });
    assert.match(JSON.stringify(stream), /You sent a link to a file by email/);
  });

  it("is written in the sharer's language, or the one the event asks for", async () => {
    assert.equal((await emit([linkEvent('mei', [`zh.reader@${OUTSIDE}`], { note: '周五前请看一下。' })])).statusCode, 202);
    const zh = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === `zh.reader@${OUTSIDE}`)).raw);
    assert.equal(zh.subject, '王美与您共享了“Budget 2026.xlsx”');
    assert.equal(zh.from?.value[0]?.name, '王美通过 Example Cloud');
    assert.match(zh.text ?? '', /此共享链接将于 2026年12月31日失效。/);
    assert.match(zh.text ?? '', /^这封邮件由王美通过 Example Cloud 发送给您。/m);
    assertChineseTypography(zh.subject ?? '', 'subject');
    assertChineseTypography(zh.text ?? '', 'text');
    assert.match(zh.text ?? '', /周五前请看一下。/);
    assert.equal((await emit([linkEvent('mei', [`en.reader@${OUTSIDE}`], { language: 'en' })])).statusCode, 202);
    const en = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === `en.reader@${OUTSIDE}`)).raw);
    assert.equal(en.subject, '王美 shared »Budget 2026.xlsx« with you');
    assert.equal(en.from?.value[0]?.name, '王美 via Example Cloud');
  });

  it('refuses the 21st address, a@b@c, CR/LF in the note, and a sender who is not a user, queueing nothing', async () => {
    const tooMany = await refusedWithNothingQueued([linkEvent('alice', outside(21, 'many'))], 400, 'too_many_recipients');
    assert.match(tooMany.body.error.message, /at most 20 addresses/);

    const bad = await refusedWithNothingQueued([linkEvent('alice', [`fine@${OUTSIDE}`, 'a@b@c', 'no-at-sign'])], 400, 'invalid_address');
    const refused = bad.body.error.details?.['refused'] as Array<{ address: string; reason: string }>;
    assert.deepEqual(
      refused.map((r) => r.address),
      ['a@b@c', 'no-at-sign'],
      'every refused address is listed',
    );
    assert.match(bad.body.error.message, /"a@b@c"/);

    for (const note of ['first line\r\nBcc: victim@example.com', 'two\nlines', 'carriage\rreturn']) {
      const crlf = await refusedWithNothingQueued([linkEvent('alice', [`note@${OUTSIDE}`], { note })], 400, 'invalid_request');
      assert.match(crlf.body.error.message, /note/);
    }
    await refusedWithNothingQueued([linkEvent('nobody', [`x@${OUTSIDE}`])], 400, 'unknown_user');
    await refusedWithNothingQueued([linkEvent('alice', [])], 400, 'no_recipient');
    await refusedWithNothingQueued([{ ...linkEvent('alice', [`x@${OUTSIDE}`]), link: undefined }], 400, 'invalid_request');
    // A bad link event refuses its whole batch: the good event beside it is not recorded either.
    await refusedWithNothingQueued([linkEvent('alice', [`ok@${OUTSIDE}`]), linkEvent('alice', ['a@b@c'])], 400, 'invalid_address');
  });

  it('the 101st address of a sharer within an hour is refused (429, Retry-After, listed), and accepted once the hour has passed', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = await emit([linkEvent('busy', outside(20, `hour${i}-`))]);
      assert.equal(reply.statusCode, 202, reply.body);
    }
    const over = await refusedWithNothingQueued([linkEvent('busy', [`one.more@${OUTSIDE}`, `and.another@${OUTSIDE}`])], 429, 'rate_limited');
    assert.match(over.body.error.message, /100 outside addresses an hour and has 0 left/);
    assert.deepEqual(
      ((over.body.error.details?.['refused'] ?? []) as Array<{ address: string }>).map((r) => r.address),
      [`one.more@${OUTSIDE}`, `and.another@${OUTSIDE}`],
    );
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter} s`);
    // Another sharer is not affected.
    assert.equal((await emit([linkEvent('alice', [`other.sharer@${OUTSIDE}`])])).statusCode, 202);

    await outboxIdle();
    offsetMs += 3_600_000 + 1000;
    const later = await emit([linkEvent('busy', [`one.more@${OUTSIDE}`])]);
    assert.equal(later.statusCode, 202, later.body);
    await waitForMail(postfix.maildir, (m) => m.deliveredTo === `one.more@${OUTSIDE}`);
    const delivered = await readMaildir(postfix.maildir);
    assert.equal(delivered.filter((m) => m.deliveredTo?.startsWith('hour')).length, 100, 'the first hundred all arrived');
    assert.equal(delivered.filter((m) => m.deliveredTo === `and.another@${OUTSIDE}`).length, 0, 'the refused address never got a mail');
  });

  it('with shareapi_allow_public_notification off, as it is by default: 403 share_notification_disabled, nothing recorded', async () => {
    await ctx.settings.update({ shareapi_allow_public_notification: null });
    try {
      const off = await refusedWithNothingQueued([linkEvent('alice', [`switched.off@${OUTSIDE}`])], 403, 'share_notification_disabled');
      assert.match(off.body.error.message, /shareapi_allow_public_notification/);
      // Mails to users about shares are another switch, still on.
      await ctx.users.add({ uid: 'bob', email: 'bob@cloud-users.example.org', invite: false });
      const share = await emit([{ type: 'share.created', actor: 'alice', affected: ['bob'], object: { type: 'file', id: '1', name: 'a.txt' } }]);
      assert.equal(share.statusCode, 202);
      assert.equal(share.json().mails, 1);
    } finally {
      await ctx.settings.update({ shareapi_allow_public_notification: true });
    }
  });
});
