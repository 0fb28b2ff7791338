/**
 * "Notify by email" for an existing share (POST /api/v1/shares/notify) and the admin's switch
 * shareapi_allow_mail_notification, against the real Postfix: the mail as the recipient reads it,
 * each recipient mailed once per share, a recipient without an address named in the answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import type { AppContext } from '../../src/context.ts';
import type { TestMailroom } from '../support/test-mailroom.ts';
import { outboxIdle, outboxTotal } from '../support/mail-fixtures.ts';
import { readMaildir, waitForMail, type PostfixServer } from '../support/servers.ts';
import { assertChineseTypography } from '../support/zh-typography.ts';
import { closeAll } from '../support/close-all.ts';
import { startMailroomWithPostfix } from '../support/postfix-mailroom.ts';

describe('notify by email for a share, through the real Postfix', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let token: string;
  const domain = 'share-notify.example.org';

  before(async () => {
    ({ postfix, mailroom } = await startMailroomWithPostfix({
      prefix: 'mailroom-share-notify-',
      settings: { instance_name: 'Example Cloud', base_url: 'https://cloud.example.com' },
      http: 'inject',
      worker: true,
    }));
    ({ ctx, app } = mailroom);
    await ctx.users.add({ uid: 'alice', display_name: 'Alice Andersen', email: `alice@${domain}`, invite: false });
    await ctx.users.add({ uid: 'bob', display_name: 'Bob Berg', email: `bob@${domain}`, invite: false });
    await ctx.users.add({ uid: 'mei', display_name: '王美', email: `mei@${domain}`, language: 'zh-CN', timezone: 'Asia/Shanghai', invite: false });
    await ctx.users.add({ uid: 'lei', display_name: '李雷', email: `lei@${domain}`, language: 'zh-CN', timezone: 'Asia/Shanghai', invite: false });
    await ctx.users.add({ uid: 'carol', display_name: 'Carol', email: null });
    await ctx.users.add({ uid: 'mallory', display_name: 'Andersen, Alice <boss@bank.example> "CEO"', email: `mallory@${domain}`, invite: false });
    token = await ctx.tokens.create('host', { scope: 'service' });
  });
  after(() => closeAll(mailroom, postfix));

  const notify = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/shares/notify', headers: { authorization: `Bearer ${token}` }, payload: body });
  const share = (shareId: string, recipients: string[]) => ({
    share_id: shareId,
    sharer: 'alice',
    recipients,
    object: { type: 'file', id: '4711', name: 'Budget 2026.xlsx' },
    link: 'https://cloud.example.com/s/Xk3pQ9',
    expiration: '2026-12-31',
    note: 'Please look before Friday.\nThanks!',
  });
  /** Until the outbox has handed everything to Postfix, and Postfix had a moment to file it. */
  const settled = async () => {
    while ((await ctx.outbox.pending()) > 0) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
  };
  const mailsTo = async (uid: string) => (await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === `${uid}@${domain}`);

  it('mails each recipient with an address, names the one without, and mails nobody twice for the same share', async () => {
    const first = await notify(share('share-1', ['bob', 'carol', 'mei']));
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json(), { mailed: ['bob', 'mei'], already_notified: [], not_mailable: ['carol'], message: 'mailed: bob, mei; could not mail: carol' });

    const bobsCopy = await waitForMail(postfix.maildir, (m) => m.deliveredTo === `bob@${domain}`);
    const delivered = await simpleParser(bobsCopy.raw);
    assert.equal(delivered.subject, 'Alice Andersen shared »Budget 2026.xlsx« with you');
    assert.equal(delivered.from?.value[0]?.name, 'Alice Andersen via Example Cloud');
    assert.equal(delivered.from?.value[0]?.address, 'mailroom@cloud.example.com');
    assert.equal(delivered.replyTo?.value[0]?.address, `alice@${domain}`);
    assert.deepEqual(delivered.to && !Array.isArray(delivered.to) ? delivered.to.value : undefined, [{ address: `bob@${domain}`, name: 'Bob Berg' }]);
    assert.match(delivered.text ?? '', /https:\/\/cloud\.example\.com\/s\/Xk3pQ9/);
    assert.match(delivered.text ?? '', /Please look before Friday\./);
    assert.match(delivered.text ?? '', /Dec 31, 2026/);
    assert.match(bobsCopy.headers.get('list-unsubscribe') ?? '', /^<https:\/\/cloud\.example\.com\/unsubscribe\/[^>]+>$/, 'a share mail can be unsubscribed from');
    assert.equal(bobsCopy.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    const chinese = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === `mei@${domain}`)).raw);
    assert.equal(chinese.subject, 'Alice Andersen 与您共享了“Budget 2026.xlsx”');
    assert.equal(chinese.from?.value[0]?.name, 'Alice Andersen 通过 Example Cloud', '"via" in the reader\'s language');
    assert.deepEqual(chinese.to && !Array.isArray(chinese.to) ? chinese.to.value : undefined, [{ address: `mei@${domain}`, name: '王美' }]);
    assert.match(chinese.text ?? '', /此共享将于 2026年12月31日到期。/);
    assert.match(chinese.text ?? '', /^Alice Andersen 在 Example Cloud 与您共享了“Budget 2026\.xlsx”。$/m);
    assert.match(chinese.html as string, /<strong[^>]*>Alice Andersen <\/strong>在 Example Cloud 与您共享了<strong[^>]*>“Budget 2026\.xlsx”<\/strong>。/);
    assertChineseTypography(chinese.subject ?? '', 'subject');
    assertChineseTypography(chinese.text ?? '', 'text');

    const again = await notify(share('share-1', ['bob', 'mei']));
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), { mailed: [], already_notified: ['bob', 'mei'], not_mailable: [], message: 'already notified: bob, mei' });
    // Another share of the same file is another notification.
    const other = await notify(share('share-2', ['bob']));
    assert.deepEqual(other.json().mailed, ['bob']);
    await settled();
    assert.equal((await mailsTo('bob')).length, 2, 'one mail for share-1, one for share-2');
    assert.equal((await mailsTo('mei')).length, 1);
  });

  it('a Chinese sharer to a Chinese reader: no space around the name, one before the Latin instance name, Chinese quotes', async () => {
    const reply = await notify({ ...share('share-zh', ['lei']), sharer: 'mei', object: { type: 'file', id: '4712', name: '2026年度预算.xlsx' }, note: '周五前请看一下。' });
    assert.deepEqual(reply.json().mailed, ['lei']);
    const copy = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === `lei@${domain}`)).raw);
    assert.equal(copy.from?.value[0]?.name, '王美通过 Example Cloud');
    assert.equal(copy.subject, '王美与您共享了“2026年度预算.xlsx”');
    assert.match(copy.text ?? '', /^李雷，您好：$/m);
    assert.match(copy.text ?? '', /^王美在 Example Cloud 与您共享了“2026年度预算\.xlsx”。$/m);
    assert.match(copy.text ?? '', /^王美的留言：\n周五前请看一下。$/m);
    assert.match(copy.html as string, /王美的留言/);
    for (const [what, text] of [
      ['subject', copy.subject ?? ''],
      ['text', copy.text ?? ''],
      ['From', copy.from?.value[0]?.name ?? ''],
    ] as const)
      assertChineseTypography(text, what);
  });

  it("with no mail_from_address, a share mail comes from sharing-noreply@mail_domain (the name is still the sharer's)", async () => {
    await ctx.settings.update({ mail_from_address: '' });
    try {
      const reply = await notify(share('share-noreply', ['bob']));
      assert.deepEqual(reply.json().mailed, ['bob']);
      const delivered = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === `bob@${domain}` && /sharing-noreply/.test(m.headers.get('from') ?? ''))).raw);
      assert.equal(delivered.from?.value[0]?.address, 'sharing-noreply@cloud.example.com');
      assert.equal(delivered.from?.value[0]?.name, 'Alice Andersen via Example Cloud');
      // Any other mail gets a plain no-reply sender rather than a broken "@cloud.example.com".
      const test = await ctx.mailTest.sendTestMail({ to: `carol.test@${domain}` });
      assert.equal(test.ok, true, JSON.stringify(test.error));
      const testMail = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === `carol.test@${domain}`)).raw);
      assert.equal(testMail.from?.value[0]?.address, 'noreply@cloud.example.com');
    } finally {
      await ctx.settings.update({ mail_from_address: null });
    }
  });

  it('with mail_share_reply_to none, a share mail has no Reply-To', async () => {
    await ctx.settings.update({ mail_share_reply_to: 'none' });
    try {
      assert.deepEqual((await notify(share('share-no-reply-to', ['bob']))).json().mailed, ['bob']);
      const copy = await waitForMail(postfix.maildir, (m) => m.deliveredTo === `bob@${domain}` && !m.headers.has('reply-to'));
      const delivered = await simpleParser(copy.raw);
      assert.equal(delivered.replyTo, undefined);
      assert.equal(delivered.from?.value[0]?.name, 'Alice Andersen via Example Cloud');
    } finally {
      await ctx.settings.update({ mail_share_reply_to: null });
    }
  });

  it('a sharer whose name holds an address or quotes is shown without them, so the From cannot pass for another sender', async () => {
    const reply = await notify({ ...share('share-mallory', ['bob']), sharer: 'mallory' });
    assert.deepEqual(reply.json().mailed, ['bob']);
    const copy = await waitForMail(postfix.maildir, (m) => m.deliveredTo === `bob@${domain}` && (m.headers.get('reply-to') ?? '').includes('mallory'));
    const delivered = await simpleParser(copy.raw);
    assert.deepEqual(delivered.from?.value, [{ address: 'mailroom@cloud.example.com', name: 'Andersen, Alice CEO via Example Cloud' }]);
    assert.doesNotMatch(copy.headers.get('from') ?? '', /bank\.example/);
    // The subject and body name the sharer as cleaned as the From does.
    assert.equal(delivered.subject, 'Andersen, Alice CEO shared »Budget 2026.xlsx« with you');
    assert.doesNotMatch(delivered.text ?? '', /bank\.example|boss@/);
    assert.doesNotMatch(delivered.html as string, /bank\.example|boss@/);
  });

  it('two requests at the same moment still mail a recipient once', async () => {
    const [a, b] = await Promise.all([notify(share('share-race', ['alice'])), notify(share('share-race', ['alice']))]);
    const mailed = [...a.json().mailed, ...b.json().mailed];
    assert.deepEqual(mailed, ['alice']);
    await waitForMail(postfix.maildir, (m) => m.deliveredTo === `alice@${domain}`);
    await settled();
    assert.equal((await mailsTo('alice')).length, 1);
  });

  it('with shareapi_allow_mail_notification off: 403 share_notification_disabled, and share events record the activity but mail nobody, not even in a digest', async () => {
    await ctx.settings.update({ shareapi_allow_mail_notification: false });
    try {
      await outboxIdle(ctx.outbox);
      const before = await outboxTotal(ctx.outbox);
      const refused = await notify(share('share-off', ['bob']));
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error.code, 'share_notification_disabled');
      assert.match(refused.json().error.message, /shareapi_allow_mail_notification/);
      const event = await app.inject({
        method: 'POST',
        url: '/api/v1/events',
        headers: { authorization: `Bearer ${token}` },
        payload: { id: 'share-off-event', type: 'share.created', actor: 'alice', affected: ['bob'], object: { type: 'file', id: '9', name: 'Off.txt' } },
      });
      assert.equal(event.statusCode, 202, event.body);
      assert.equal(event.json().mails, 0);
      assert.ok(event.json().activities >= 1, 'the share is still in the stream');
      // Nor does the share wait for bob's next digest: sending every digest now queues none for it.
      await ctx.digests.runDue({ all: true });
      await outboxIdle(ctx.outbox);
      assert.equal(await outboxTotal(ctx.outbox), before, 'nothing was queued');
    } finally {
      await ctx.settings.update({ shareapi_allow_mail_notification: true });
    }
  });

  it('refuses unknown people and bad input with their codes, queuing nothing', async () => {
    await outboxIdle(ctx.outbox);
    const before = await outboxTotal(ctx.outbox);
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ ...share('s-x', ['bob']), sharer: 'nobody' }, 400, 'unknown_user'],
      [share('s-x', ['bob', 'nobody']), 400, 'unknown_user'],
      [share('s-x', []), 400, 'invalid_request'],
      [{ ...share('s-x', ['bob']), object: { type: 'file', id: '1', name: 'a\r\nBcc: x@example.com' } }, 400, 'invalid_request'],
      [{ ...share('s-x', ['bob']), link: 'javascript:alert(1)' }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const reply = await notify(body);
      assert.equal(reply.statusCode, status, reply.body);
      assert.equal(reply.json().error.code, code);
    }
    const user = await app.inject({ method: 'POST', url: '/api/v1/shares/notify', headers: { authorization: `Bearer ${await ctx.tokens.create('bob-app', { uid: 'bob' })}` }, payload: share('s-y', ['alice']) });
    assert.equal(user.statusCode, 403, 'an app password is not a host application');
    await outboxIdle(ctx.outbox);
    assert.equal(await outboxTotal(ctx.outbox), before);
  });
});
