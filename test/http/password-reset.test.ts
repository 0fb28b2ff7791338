/**
 * "Forgot password" end to end, as a user meets it: the HTTP API (in-process through fastify's
 * inject, each request from a client address of our choosing), the real SQLite database, the
 * outbox worker and a real Postfix whose Maildir is the user's inbox. Time is a fake clock that
 * runs with the real one plus an offset the tests move forward, so expiry and rate-limit windows
 * pass without sleeping while the worker, the limiters and the sessions all see the same time.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AppContext } from '../../src/context.ts';
import type { ErrorCode } from '../../src/errors.ts';
import type { TestMailroom } from '../support/test-mailroom.ts';
import { outboxIdle as waitForOutbox } from '../support/mail-fixtures.ts';
import { readMaildir, type DeliveredMail, type PostfixServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';
import type { ApiErrorBody } from '../../src/http/error-handler.ts';
import { startMailroomWithPostfix } from '../support/postfix-mailroom.ts';

const BASE_URL = 'https://cloud.example.com';
const LINK = /https:\/\/cloud\.example\.com\/reset\/([A-Za-z0-9_-]+)/;
const MINUTE = 60_000;
/** The service promises an answer floor of 400 ms; a little slack for timer granularity. */
const FLOOR_MS = 350;
const OLD_PASSWORD = 'Tulip-Orbit-1987-Quartz';
const NEW_PASSWORD = 'Maple-Harbor-2042-Violet';

interface Reply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
  ms: number;
}

interface OutboxMail {
  id: number;
  kind: string;
  recipients: string[];
  state: string;
}

function errorCode(reply: Reply): ErrorCode {
  return (JSON.parse(reply.text) as ApiErrorBody).error.code;
}

function sessionCookieOf(reply: Reply): string {
  const header = reply.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header : [String(header ?? '')];
  const match = cookies.map((c) => /^(mailroom_session=[^;]+)/.exec(c)).find((m) => m !== null);
  assert.ok(match, `a session cookie in ${JSON.stringify(header)}`);
  return match[1] as string;
}

/** The same token with one character in the middle changed to another valid one. */
function tamper(token: string): string {
  const i = Math.floor(token.length / 2);
  const replacement = token[i] === 'A' ? 'B' : 'A';
  return `${token.slice(0, i)}${replacement}${token.slice(i + 1)}`;
}

describe('password reset over HTTP, mailed through a real Postfix', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let adminToken: string;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  let clientCount = 0;

  /** A client address no other test used, so the per-address limit of one test never hits another. */
  const newClient = () => {
    const n = ++clientCount;
    return `10.0.${n >> 8}.${n & 255}`;
  };

  async function api(method: 'GET' | 'POST', url: string, options: { body?: unknown; client?: string; cookie?: string; token?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.cookie !== undefined) headers['cookie'] = options.cookie;
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    const started = performance.now();
    const res = await app.inject({
      method,
      url,
      headers,
      remoteAddress: options.client ?? '198.51.100.1',
      ...(options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
    });
    return { status: res.statusCode, text: res.body, headers: res.headers, ms: performance.now() - started };
  }

  const requestReset = (user: string, client = newClient()) => api('POST', '/api/v1/password-reset', { body: { user }, client });
  const confirm = (token: string, password: string) => api('POST', '/api/v1/password-reset/confirm', { body: { token, password }, client: newClient() });
  const login = (user: string, password: string) => api('POST', '/api/v1/login', { body: { user, password }, client: newClient() });

  async function addUser(uid: string, extra: { email?: string | null; language?: 'en' | 'zh-CN'; display_name?: string } = {}): Promise<string> {
    const email = extra.email === undefined ? `${uid}@example.org` : extra.email;
    await ctx.users.add({ uid, email, password: OLD_PASSWORD, ...(extra.language ? { language: extra.language } : {}), ...(extra.display_name ? { display_name: extra.display_name } : {}) });
    return email ?? '';
  }

  /** Waits until the Maildir holds `count` mails to the address; oldest first. */
  async function mailsTo(address: string, count: number): Promise<DeliveredMail[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const mails = (await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === address);
      if (mails.length >= count) return mails;
      if (Date.now() > deadline) assert.fail(`expected ${count} mails to ${address}, the Maildir has ${mails.length}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The reset link in a delivered mail, checked to be the same in the text and the HTML part. */
  async function linkIn(delivered: DeliveredMail): Promise<{ mail: ParsedMail; link: string; token: string }> {
    const mail = await simpleParser(delivered.raw);
    const inText = LINK.exec(mail.text ?? '');
    assert.ok(inText, `the text part has a ${BASE_URL}/reset/… link:\n${mail.text}`);
    const link = inText[0];
    const token = inText[1] as string;
    assert.ok(typeof mail.html === 'string' && mail.html.includes(`href="${link}"`), 'the HTML part links to the same address');
    return { mail, link, token };
  }

  /** Requests a reset and returns the link of the new mail (the user's `n`-th). */
  async function resetLinkFor(login: string, address: string, n = 1): Promise<string> {
    const reply = await requestReset(login);
    assert.equal(reply.status, 202, reply.text);
    const mails = await mailsTo(address, n);
    return (await linkIn(mails[n - 1] as DeliveredMail)).token;
  }

  async function outboxMails(): Promise<OutboxMail[]> {
    const reply = await api('GET', '/api/v1/outbox?limit=1000', { token: adminToken });
    assert.equal(reply.status, 200, reply.text);
    return (JSON.parse(reply.text) as { mails: OutboxMail[] }).mails;
  }

  const resetMailsTo = async (address: string) => (await outboxMails()).filter((m) => m.kind === 'lost_password' && m.recipients.includes(address)).length;

  /** Nothing queued or being sent: the worker has handed every mail to Postfix. */
  const outboxIdle = () => waitForOutbox(ctx.outbox);

  /**
   * Moves the clock on. The outbox is emptied first, so no lease held by a send in progress runs
   * out under the worker's feet (which would send that mail twice).
   */
  async function advance(ms: number): Promise<void> {
    await outboxIdle();
    offsetMs += ms;
  }

  /**
   * A mail that was not sent must not arrive late either: a reset for another user, requested
   * afterwards, is delivered first, and then the outbox is empty.
   */
  async function afterASentinelMail(): Promise<void> {
    const uid = `sentinel${clientCount}`;
    const address = await addUser(uid);
    await resetLinkFor(uid, address);
    await outboxIdle();
  }

  /**
   * What a link answers, without spending it: a weak password is checked after the link, so
   * password_too_weak means the link still works.
   */
  async function linkState(token: string): Promise<ErrorCode> {
    const reply = await confirm(token, 'short');
    assert.equal(reply.status, 400, reply.text);
    return errorCode(reply);
  }

  before(async () => {
    ({ postfix, mailroom } = await startMailroomWithPostfix({
      prefix: 'mailroom-password-reset-',
      clock,
      settings: { instance_name: 'Example Cloud', base_url: BASE_URL },
      http: 'inject',
      worker: true,
    }));
    ({ ctx, app } = mailroom);
    adminToken = await ctx.tokens.create('test-admin');
  });

  after(() => closeAll(mailroom, postfix));

  it('answers an unknown user, a known one (by uid or by address) and one without an address alike, after at least 400 ms', async () => {
    await addUser('ann');
    await addUser('cyril', { email: null });
    const before = (await outboxMails()).length;

    const unknown = await requestReset('nobody-here');
    const unknownAddress = await requestReset('nobody@example.org');
    const withoutAddress = await requestReset('cyril');
    for (const reply of [unknown, unknownAddress, withoutAddress]) {
      assert.equal(reply.status, 202, reply.text);
      assert.ok(reply.ms >= FLOOR_MS, `answered after ${reply.ms.toFixed(0)} ms`);
    }
    assert.equal((await outboxMails()).length, before, 'no mail for an unknown user or one without an address');

    const known = await requestReset('ann');
    assert.equal(known.status, 202, known.text);
    assert.ok(known.ms >= FLOOR_MS, `answered after ${known.ms.toFixed(0)} ms`);
    for (const reply of [unknownAddress, withoutAddress, known]) assert.equal(reply.text, unknown.text, 'the same body');
    assert.equal(known.headers['content-type'], unknown.headers['content-type']);
    assert.equal((JSON.parse(known.text) as { ok: boolean }).ok, true);
    await mailsTo('ann@example.org', 1);

    // The address works as the login too, written in any case.
    const byAddress = await requestReset('Ann@Example.ORG');
    assert.equal(byAddress.status, 202, byAddress.text);
    assert.equal(byAddress.text, unknown.text);
    assert.ok(byAddress.ms >= FLOOR_MS, `answered after ${byAddress.ms.toFixed(0)} ms`);
    await mailsTo('ann@example.org', 2);
    assert.equal(await resetMailsTo('ann@example.org'), 2);
  });

  it('mails the link {base_url}/reset/{token} in the text and the HTML part, without List-Unsubscribe', async () => {
    const address = await addUser('dora', { display_name: 'Dora Diaz' });
    assert.equal((await requestReset('dora')).status, 202);
    const [delivered] = await mailsTo(address, 1);
    const { mail, link, token } = await linkIn(delivered as DeliveredMail);
    assert.equal(mail.subject, 'Reset your Example Cloud password');
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    assert.equal(to?.value[0]?.address, address);
    assert.equal(mail.from?.value[0]?.address, 'mailroom@cloud.example.com');
    assert.equal(link, `${BASE_URL}/reset/${token}`);
    assert.ok(token.length >= 32, `a long random token (${token.length} characters)`);
    assert.match(mail.text ?? '', /Dora Diaz/);
    assert.match(mail.text ?? '', /expires in 60 minutes/);
    // Transactional: nothing to unsubscribe from.
    assert.equal(mail.headers.get('list'), undefined);
    assert.doesNotMatch((delivered as DeliveredMail).raw.split(/\r?\n\r?\n/)[0] ?? '', /^List-Unsubscribe/im);
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
  });

  it('writes the mail in Chinese to a user whose language is zh-CN', async () => {
    const address = await addUser('wang', { language: 'zh-CN', display_name: '王小明' });
    assert.equal((await requestReset('wang')).status, 202);
    const [delivered] = await mailsTo(address, 1);
    const { mail, link } = await linkIn(delivered as DeliveredMail);
    assert.match(mail.subject ?? '', /重置密码/);
    assert.match(mail.text ?? '', /王小明，您好/);
    assert.match(mail.text ?? '', /60 分钟后失效/);
    assert.ok(link.startsWith(`${BASE_URL}/reset/`));
  });

  it('sets the new password with the link once: the new one signs in, the old one and the link no longer work', async () => {
    const address = await addUser('emil');
    const token = await resetLinkFor('emil', address);
    const done = await confirm(token, NEW_PASSWORD);
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(JSON.parse(done.text), { ok: true, user: 'emil' });

    assert.equal((await login('emil', NEW_PASSWORD)).status, 200);
    const old = await login('emil', OLD_PASSWORD);
    assert.equal(old.status, 401, old.text);
    assert.equal(errorCode(old), 'login_failed');

    const again = await confirm(token, 'Another-Strong-Pass-77');
    assert.equal(again.status, 400, again.text);
    assert.equal(errorCode(again), 'reset_token_used');
    assert.equal((await login('emil', NEW_PASSWORD)).status, 200, 'the second try changed nothing');
  });

  it('sets one password when the same link is sent twice at once (a double click)', async () => {
    const address = await addUser('ezra');
    const token = await resetLinkFor('ezra', address);
    const passwords = ['Walnut-Signal-5521-Copper', 'Harbor-Lantern-8830-Birch'];
    const replies = await Promise.all(passwords.map((p) => confirm(token, p)));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 400], replies.map((r) => r.text).join('\n'));
    const lost = replies.findIndex((r) => r.status === 400);
    assert.equal(errorCode(replies[lost] as Reply), 'reset_token_used');
    assert.equal((await login('ezra', passwords[1 - lost] as string)).status, 200, 'the accepted password is in force');
    assert.equal((await login('ezra', passwords[lost] as string)).status, 401, 'the refused one is not');
  });

  it('refuses a tampered or made-up link with reset_token_invalid, and the real one still works', async () => {
    const address = await addUser('fay');
    const token = await resetLinkFor('fay', address);
    const tampered = tamper(token);
    assert.notEqual(tampered, token);
    for (const bad of [tampered, `${token}x`, token.slice(0, -1), 'garbage', 'A'.repeat(43), '../../etc/passwd', "' OR 1=1 --"]) {
      const reply = await confirm(bad, NEW_PASSWORD);
      assert.equal(reply.status, 400, `${bad}: ${reply.text}`);
      assert.equal(errorCode(reply), 'reset_token_invalid', bad);
    }
    assert.equal((await login('fay', OLD_PASSWORD)).status, 200, 'the password is unchanged');
    assert.equal((await confirm(token, NEW_PASSWORD)).status, 200);
    assert.equal((await login('fay', NEW_PASSWORD)).status, 200);
  });

  it('lets a link expire after 60 minutes, and after password_reset_expiry_minutes when set', async () => {
    const address = await addUser('gus');
    const token = await resetLinkFor('gus', address);
    await advance(59 * MINUTE);
    assert.equal(await linkState(token), 'password_too_weak', 'still valid after 59 minutes');
    await advance(2 * MINUTE);
    const expired = await confirm(token, NEW_PASSWORD);
    assert.equal(expired.status, 400, expired.text);
    assert.equal(errorCode(expired), 'reset_token_expired');
    assert.equal((await login('gus', OLD_PASSWORD)).status, 200, 'the password is unchanged');

    await ctx.settings.update({ password_reset_expiry_minutes: 5 });
    try {
      const short = await addUser('hal');
      assert.equal((await requestReset('hal')).status, 202);
      const [delivered] = await mailsTo(short, 1);
      const { mail, token: shortToken } = await linkIn(delivered as DeliveredMail);
      assert.match(mail.text ?? '', /expires in 5 minutes/);
      await advance(4 * MINUTE);
      assert.equal(await linkState(shortToken), 'password_too_weak', 'still valid after 4 minutes');
      await advance(2 * MINUTE);
      const late = await confirm(shortToken, NEW_PASSWORD);
      assert.equal(late.status, 400, late.text);
      assert.equal(errorCode(late), 'reset_token_expired');
    } finally {
      await ctx.settings.update({ password_reset_expiry_minutes: null });
    }
  });

  it('refuses a weak password with password_too_weak without spending the link', async () => {
    const address = await addUser('irene');
    const token = await resetLinkFor('irene', address);
    for (const weak of ['short', 'aaaaaaaaaaaa', 'my-irene-password-2024', 'irene-at-home-1234', '1234567890']) {
      const reply = await confirm(token, weak);
      assert.equal(reply.status, 400, `${weak}: ${reply.text}`);
      assert.equal(errorCode(reply), 'password_too_weak', weak);
    }
    assert.equal((await login('irene', OLD_PASSWORD)).status, 200, 'the password is unchanged');
    assert.equal((await confirm(token, NEW_PASSWORD)).status, 200);
    assert.equal((await login('irene', NEW_PASSWORD)).status, 200);
  });

  it('makes a link useless when a newer one is requested', async () => {
    const address = await addUser('jack');
    const first = await resetLinkFor('jack', address, 1);
    const second = await resetLinkFor('jack', address, 2);
    assert.notEqual(first, second);
    const old = await confirm(first, NEW_PASSWORD);
    assert.equal(old.status, 400, old.text);
    assert.equal(errorCode(old), 'reset_token_used');
    assert.equal((await confirm(second, NEW_PASSWORD)).status, 200);
  });

  it('makes an outstanding link useless when the address or the password changes, but not for other changes', async () => {
    const kimAddress = await addUser('kim');
    const kimToken = await resetLinkFor('kim', kimAddress);
    await ctx.users.modify('kim', { display_name: 'Kim K', language: 'zh-CN' });
    assert.equal(await linkState(kimToken), 'password_too_weak', 'a new name or language leaves the link working');
    await ctx.users.modify('kim', { email: 'kim.new@example.org' });
    const afterEmail = await confirm(kimToken, NEW_PASSWORD);
    assert.equal(afterEmail.status, 400, afterEmail.text);
    assert.equal(errorCode(afterEmail), 'reset_token_used');
    assert.equal((await login('kim', OLD_PASSWORD)).status, 200, 'the password is unchanged');

    const leaAddress = await addUser('lea');
    const leaToken = await resetLinkFor('lea', leaAddress);
    const changed = 'Cobalt-Meadow-3141-Ember';
    await ctx.users.modify('lea', { password: changed });
    const afterPassword = await confirm(leaToken, NEW_PASSWORD);
    assert.equal(afterPassword.status, 400, afterPassword.text);
    assert.equal(errorCode(afterPassword), 'reset_token_used');
    assert.equal((await login('lea', changed)).status, 200, 'the password the admin set is in force');
    assert.equal((await login('lea', NEW_PASSWORD)).status, 401);
  });

  it('refuses the 6th request from one client address within a minute with 429 and Retry-After, and accepts it a minute later', async () => {
    const client = newClient();
    const first = await Promise.all([1, 2, 3, 4, 5].map((n) => requestReset(`unknown-${n}`, client)));
    assert.deepEqual(
      first.map((r) => r.status),
      [202, 202, 202, 202, 202],
    );
    const sixth = await requestReset('unknown-6', client);
    assert.equal(sixth.status, 429, sixth.text);
    assert.equal(errorCode(sixth), 'rate_limited');
    const retryAfter = Number(sixth.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${String(sixth.headers['retry-after'])}`);
    assert.equal((await requestReset('unknown-7', newClient())).status, 202, 'another client is not limited');

    await advance(MINUTE);
    const later = await requestReset('unknown-8', client);
    assert.equal(later.status, 202, later.text);
  });

  it('sends at most 3 mails per account in 15 minutes, still answering 202, and the newest link keeps working', async () => {
    const address = await addUser('max');
    const client = newClient();
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await requestReset('max', client));
    assert.deepEqual(
      replies.map((r) => r.status),
      [202, 202, 202, 202],
    );
    for (const r of replies) assert.equal(r.text, replies[0]?.text);
    assert.ok((replies[3] as Reply).ms >= FLOOR_MS, 'the limited request takes as long as the others');

    const mails = await mailsTo(address, 3);
    await afterASentinelMail();
    assert.equal((await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === address).length, 3, 'no 4th mail');
    assert.equal(await resetMailsTo(address), 3, 'no 4th mail queued');
    // The limited request did not void the links already mailed: the newest of them still works.
    const states = [];
    for (const m of mails) states.push(await linkState((await linkIn(m)).token));
    assert.deepEqual([...states].sort(), ['password_too_weak', 'reset_token_used', 'reset_token_used']);

    await advance(15 * MINUTE);
    assert.equal((await requestReset('max', client)).status, 202);
    await mailsTo(address, 4);
  });

  it('ends the sessions that were signed in before the reset', async () => {
    await addUser('nina');
    const laptop = await login('nina', OLD_PASSWORD);
    assert.equal(laptop.status, 200, laptop.text);
    const phone = await login('nina', OLD_PASSWORD);
    const cookies = [sessionCookieOf(laptop), sessionCookieOf(phone)];
    for (const cookie of cookies) {
      const me = await api('GET', '/api/v1/me', { cookie });
      assert.equal(me.status, 200, me.text);
      assert.equal((JSON.parse(me.text) as { user: { uid: string } }).user.uid, 'nina');
    }

    const token = await resetLinkFor('nina', 'nina@example.org');
    assert.equal((await confirm(token, NEW_PASSWORD)).status, 200);
    for (const cookie of cookies) {
      const me = await api('GET', '/api/v1/me', { cookie });
      assert.equal(me.status, 401, me.text);
      assert.equal(errorCode(me), 'unauthorized');
    }
    const fresh = await login('nina', NEW_PASSWORD);
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal((await api('GET', '/api/v1/me', { cookie: sessionCookieOf(fresh) })).status, 200, 'a session after the reset works');
  });

  it('lets a user who was locked out by failed sign-ins in with the password set by the reset', async () => {
    const address = await addUser('pia');
    // Someone (the user, or another) guessed at the old password, by uid and by address.
    for (let i = 0; i < 5; i++) assert.equal((await login(i % 2 === 0 ? 'pia' : address, `Wrong-Guess-${i}-Pumpkin`)).status, 401);
    const locked = await login('pia', OLD_PASSWORD);
    assert.equal(locked.status, 429, `locked out first: ${locked.text}`);
    assert.equal(errorCode(locked), 'rate_limited');

    const token = await resetLinkFor('pia', address);
    assert.equal((await confirm(token, NEW_PASSWORD)).status, 200);
    for (const name of ['pia', address]) {
      const reply = await login(name, NEW_PASSWORD);
      assert.equal(reply.status, 200, `${name}: ${reply.text}`);
    }
  });

  it('sends no mail to a disabled user, and a link mailed before disabling does not work', async () => {
    const address = await addUser('olga');
    const token = await resetLinkFor('olga', address);
    await ctx.users.modify('olga', { disabled: true });

    const reply = await requestReset('olga');
    assert.equal(reply.status, 202, reply.text);
    assert.equal(reply.text, (await requestReset('nobody-at-all')).text, 'the same answer as for an unknown user');
    assert.ok(reply.ms >= FLOOR_MS, `answered after ${reply.ms.toFixed(0)} ms`);
    await afterASentinelMail();
    assert.equal((await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === address).length, 1, 'only the mail from before');
    assert.equal(await resetMailsTo(address), 1);

    const refused = await confirm(token, NEW_PASSWORD);
    assert.equal(refused.status, 400, refused.text);
    assert.ok((['reset_token_used', 'reset_token_invalid'] as ErrorCode[]).includes(errorCode(refused)), refused.text);
    await ctx.users.modify('olga', { disabled: false });
    assert.equal((await login('olga', OLD_PASSWORD)).status, 200, 'the password is unchanged');
  });

  describe('the check of the reset page, and the reset an admin sends', () => {
    const check = (token: string, client = newClient()) => api('GET', `/api/v1/password-reset/${encodeURIComponent(token)}`, { client });

    it('names the account of a valid link (masked address, language) without spending it', async () => {
      const address = await addUser('quinn', { language: 'zh-CN', display_name: 'Quinn Q.' });
      const token = await resetLinkFor('quinn', address);
      const reply = await check(token);
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(JSON.parse(reply.text), { reset: { uid: 'quinn', display_name: 'Quinn Q.', email: 'q•••@example.org', language: 'zh-CN' } });
      assert.ok(!reply.text.includes(address), 'the address is masked');
      assert.equal(await linkState(token), 'password_too_weak', 'the link still works after the check');
    });

    it('answers unknown, tampered, replaced, used and expired links alike: 400 reset_token_invalid with one message', async () => {
      const address = await addUser('rhea');
      const replaced = await resetLinkFor('rhea', address);
      const used = await resetLinkFor('rhea', address, 2);
      assert.equal((await confirm(used, NEW_PASSWORD)).status, 200);
      // The 3rd mail is password_changed: the newest link is the one not seen before.
      assert.equal((await requestReset('rhea')).status, 202);
      const links = await Promise.all((await mailsTo(address, 4)).map(async (m) => LINK.exec((await simpleParser(m.raw)).text ?? '')?.[1]));
      const expiring = links.find((t) => t !== undefined && t !== replaced && t !== used) as string;
      assert.ok(expiring, 'the third reset link arrived');
      await advance(61 * MINUTE);
      const answers = new Set<string>();
      for (const bad of [expiring, used, replaced, tamper(expiring), 'A'.repeat(43), 'garbage']) {
        const reply = await check(bad);
        assert.equal(reply.status, 400, `${bad}: ${reply.text}`);
        assert.equal(errorCode(reply), 'reset_token_invalid', bad);
        answers.add(reply.text);
      }
      assert.equal(answers.size, 1, `one answer for every link that does not work: ${[...answers].join(' | ')}`);
    });

    it('limits checks to 30 a minute per client address (429 with Retry-After), others unaffected', async () => {
      const client = newClient();
      for (let i = 0; i < 30; i++) assert.equal((await check(`${'B'.repeat(42)}${i % 10}`, client)).status, 400);
      const limited = await check('C'.repeat(43), client);
      assert.equal(limited.status, 429, limited.text);
      assert.equal(errorCode(limited), 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal((await check('C'.repeat(43))).status, 400, 'another address still gets its answer');
    });

    it('POST /users/:uid/password-reset mails the same link as "Forgot password?": 202, the link works; a user token gets 403', async () => {
      const address = await addUser('sven');
      const reply = await api('POST', '/api/v1/users/sven/password-reset', { token: adminToken });
      assert.equal(reply.status, 202, reply.text);
      const sent = JSON.parse(reply.text) as { password_reset: { email: string; expires_at: string } };
      assert.equal(sent.password_reset.email, address);
      const [delivered] = await mailsTo(address, 1);
      const { token } = await linkIn(delivered as DeliveredMail);
      assert.equal((await confirm(token, NEW_PASSWORD)).status, 200);
      assert.equal((await login('sven', NEW_PASSWORD)).status, 200);

      const own = await ctx.tokens.create('sven-phone', { uid: 'sven' });
      const forbidden = await api('POST', '/api/v1/users/sven/password-reset', { token: own });
      assert.equal(forbidden.status, 403, forbidden.text);
      assert.equal(errorCode(forbidden), 'forbidden');
    });

    it('refuses a disabled user (409 user_disabled), one without an address (400 no_recipient), an unknown uid (404), and a 4th mail in 15 minutes (429)', async () => {
      await addUser('tess');
      await ctx.users.modify('tess', { disabled: true });
      const disabled = await api('POST', '/api/v1/users/tess/password-reset', { token: adminToken });
      assert.equal(disabled.status, 409, disabled.text);
      assert.equal(errorCode(disabled), 'user_disabled');
      await addUser('ugo', { email: null });
      const none = await api('POST', '/api/v1/users/ugo/password-reset', { token: adminToken });
      assert.equal(none.status, 400, none.text);
      assert.equal(errorCode(none), 'no_recipient');
      const ghost = await api('POST', '/api/v1/users/ghost/password-reset', { token: adminToken });
      assert.equal(ghost.status, 404, ghost.text);
      assert.equal(errorCode(ghost), 'not_found');

      await addUser('vera');
      for (let i = 0; i < 3; i++) assert.equal((await api('POST', '/api/v1/users/vera/password-reset', { token: adminToken })).status, 202);
      const fourth = await api('POST', '/api/v1/users/vera/password-reset', { token: adminToken });
      assert.equal(fourth.status, 429, fourth.text);
      assert.equal(errorCode(fourth), 'rate_limited');
      assert.match(JSON.parse(fourth.text).error.message, /too often; try again in \d+ seconds/);
    });
  });
});
