/**
 * No live one-time link readable at rest: the invitation, reset, address-change and undo links
 * that Mailroom mails are delivered working, while the database (the SQLite file with its -wal
 * and -shm, read as raw bytes; the PostgreSQL rows) never holds their tokens, and the Outbox and
 * captured-mail API show them masked to admins, before delivery and after.
 *
 * With a real Postfix (its Maildir is the recipients' inbox) on SQLite, and in mode `capture` on
 * both dialects, where the captured mail is the delivered copy: kept sealed, shown masked.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { createSecretBox } from '../../src/config/secret-box.ts';
import type { AppContext } from '../../src/context.ts';
import type { MessagePart } from '../../src/message/mime-message.ts';
import { startInstance } from '../support/instance.ts';
import { openRaw } from '../../src/outbox/sealed-raw.ts';
import { postfixSettings, deliverQueued } from '../support/mail-fixtures.ts';
import { readMaildir, startPostfix, startPostgres, type PostfixServer, type PostgresServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';

const BASE_URL = 'https://cloud.example.com';
const PASSWORD = 'Maple-Harbor-2042-Violet';
/** A one-time link with its token, in decoded text (quoted-printable soft breaks undone). */
const LINK = /https:\/\/cloud\.example\.com\/(reset|set-password|confirm-email|undo-email)\/([A-Za-z0-9_-]{20,})/;
/** Any such link's token in stored bytes, also when a soft line break (`=` CRLF) cuts it. */
const TOKEN_AT_REST = /(reset|set-password|confirm-email|undo-email)\/(?:[A-Za-z0-9_-]|=\r?\n){20,}/;

interface OutboxDetail {
  id: number;
  kind: string;
  state: string;
  raw: string;
  masked: boolean;
  parts: MessagePart[];
}

/** Every byte Mailroom keeps in a SQLite data directory, as latin1 text. */
async function sqliteBytes(dataDir: string): Promise<string> {
  const names = (await readdir(dataDir)).filter((name) => name.startsWith('mailroom.sqlite'));
  assert.ok(names.includes('mailroom.sqlite'));
  return (await Promise.all(names.map((name) => readFile(join(dataDir, name), 'latin1')))).join('\n');
}

function tokenIn(text: string | undefined, path: string): string {
  const match = LINK.exec(text ?? '');
  assert.ok(match && match[1] === path, `a ${BASE_URL}/${path}/… link in:\n${text}`);
  return match[2] as string;
}

/** Asserts that an API answer shows the mail with its link masked and no token. */
function assertMasked(detail: OutboxDetail | { raw: string; masked: boolean; parts: MessagePart[] }, path: string, token?: string): void {
  assert.equal(detail.masked, true);
  const shown = JSON.stringify(detail);
  assert.doesNotMatch(shown, LINK);
  if (token !== undefined) assert.ok(!shown.includes(token), 'the token is not in the answer');
  const text = detail.parts.find((p) => p.contentType === 'text/plain')?.text ?? '';
  assert.match(text, new RegExp(`${BASE_URL.replace(/[.]/g, '\\.')}/${path}/\\*{20,}`), `the text part shows the link masked:\n${text}`);
}

async function startMailroom(env: Record<string, string>): Promise<{ dir: string; ctx: AppContext; app: FastifyInstance; adminToken: string; close(): Promise<void> }> {
  const instance = await startInstance({ prefix: 'mailroom-link-tokens-', env });
  await instance.ctx.settings.update({ base_url: BASE_URL, mail_domain: 'cloud.example.com' });
  await instance.ctx.users.add({ uid: 'root', email: 'root@example.org', password: PASSWORD, admin: true });
  // `dir` is the data folder, whose files the tests read byte for byte.
  return { dir: join(instance.dir, 'data'), ctx: instance.ctx, app: instance.app, adminToken: instance.token, close: () => instance.close() };
}

async function api<T>(app: FastifyInstance, method: 'GET' | 'POST', url: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await app.inject({
    method,
    url,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.body !== undefined ? { payload: options.body as Record<string, unknown> } : {}),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as T };
}

/** The newest outbox mail of a kind, as the admin API shows it. */
async function outboxMail(app: FastifyInstance, token: string, kind: string): Promise<OutboxDetail> {
  const list = await api<{ mails: Array<{ id: number; kind: string }> }>(app, 'GET', '/api/v1/outbox?limit=100', { token });
  const id = list.body.mails.find((m) => m.kind === kind)?.id;
  assert.ok(id !== undefined, `an outbox mail of kind ${kind}`);
  const detail = await api<OutboxDetail>(app, 'GET', `/api/v1/outbox/${id}`, { token });
  assert.equal(detail.status, 200, JSON.stringify(detail.body));
  return detail.body;
}

describe('one-time links through a real Postfix, SQLite', () => {
  let postfix: PostfixServer;
  let m: Awaited<ReturnType<typeof startMailroom>>;

  before(async () => {
    postfix = await startPostfix();
    m = await startMailroom({});
    await m.ctx.settings.update({ ...postfixSettings(postfix), mail_smtptimeout: 5 });
  });
  after(() => closeAll(m, postfix));

  /** Renders the mails requests owe into the outbox, sending nothing: "queued" holds still. */
  async function queue(): Promise<void> {
    const worker = m.ctx.createWorker();
    await worker.renderOwed();
    await worker.stop();
  }

  /** Sends what is queued (no worker runs in the background, so "before delivery" holds still). */
  async function deliver(): Promise<void> {
    await deliverQueued(m.ctx);
  }

  async function delivered(to: string, subject: RegExp) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const mail of (await readMaildir(postfix.maildir)).filter((d) => d.deliveredTo === to)) {
        const parsed = await simpleParser(mail.raw);
        if (subject.test(parsed.subject ?? '')) return parsed;
      }
      assert.ok(Date.now() < deadline, `a mail to ${to} like ${subject}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('an invitation is masked in the Outbox API while queued, is delivered with a working link, and its token is nowhere in the database files', async () => {
    const added = await api<unknown>(m.app, 'POST', '/api/v1/users', { token: m.adminToken, body: { uid: 'nina', display_name: 'Nina', email: 'nina@example.org' } });
    assert.equal(added.status, 201, JSON.stringify(added.body));

    await queue();
    const queued = await outboxMail(m.app, m.adminToken, 'welcome');
    assert.equal(queued.state, 'queued');
    assertMasked(queued, 'set-password');
    assert.doesNotMatch(await sqliteBytes(m.dir), TOKEN_AT_REST, 'no set-password token in the database files before delivery');

    await deliver();
    const mail = await delivered('nina@example.org', /./);
    const token = tokenIn(mail.text, 'set-password');
    assert.ok(typeof mail.html === 'string' && mail.html.includes(`/set-password/${token}`), 'the HTML part has the same working link');

    const sent = await outboxMail(m.app, m.adminToken, 'welcome');
    assert.equal(sent.state, 'sent');
    assertMasked(sent, 'set-password', token);
    // The .eml download is the page's view as a file: masked the same way.
    const eml = await m.app.inject({ method: 'GET', url: `/api/v1/outbox/${sent.id}/eml`, headers: { authorization: `Bearer ${m.adminToken}` } });
    assert.equal(eml.statusCode, 200);
    assert.ok(!eml.body.includes(token), 'the token is not in the .eml file');
    const file = await simpleParser(eml.rawPayload);
    assert.equal(file.subject, mail.subject);
    assert.match(file.text ?? '', /cloud\.example\.com\/set-password\/\*{20,}/, 'the file holds the link masked');
    const bytes = await sqliteBytes(m.dir);
    assert.ok(!bytes.includes(token), 'the token is not in mailroom.sqlite, -wal or -shm');
    assert.doesNotMatch(bytes, TOKEN_AT_REST);

    const accepted = await api<{ ok: boolean }>(m.app, 'POST', '/api/v1/invitations/accept', { body: { token, password: PASSWORD } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  });

  it('a password reset and an address change with its undo link: delivered working, masked in the API, absent from the database files', async () => {
    await m.ctx.users.add({ uid: 'omar', email: 'omar@example.org', password: PASSWORD });
    const requested = await api<unknown>(m.app, 'POST', '/api/v1/password-reset', { body: { user: 'omar' } });
    assert.equal(requested.status, 202, JSON.stringify(requested.body));
    await queue();
    assertMasked(await outboxMail(m.app, m.adminToken, 'lost_password'), 'reset');
    await deliver();
    const resetToken = tokenIn((await delivered('omar@example.org', /^Reset your/)).text, 'reset');
    assertMasked(await outboxMail(m.app, m.adminToken, 'lost_password'), 'reset', resetToken);
    // Followed now: the address change below voids the reset links sent before it.
    const reset = await api<{ ok: boolean }>(m.app, 'POST', '/api/v1/password-reset/confirm', { body: { token: resetToken, password: 'Quartz-Violet-Orbit-7731' } });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));

    await m.ctx.accountMails.requestEmailChange('omar', 'omar.new@example.org');
    await queue();
    assertMasked(await outboxMail(m.app, m.adminToken, 'email_change_verify'), 'confirm-email');
    await deliver();
    const confirmToken = tokenIn((await delivered('omar.new@example.org', /./)).text, 'confirm-email');
    const confirmed = await api<{ ok: boolean }>(m.app, 'POST', '/api/v1/email-change/confirm', { body: { token: confirmToken } });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    await deliver();
    const undoToken = tokenIn((await delivered('omar@example.org', /address was changed|email address/i)).text, 'undo-email');
    assertMasked(await outboxMail(m.app, m.adminToken, 'email_change_notice'), 'undo-email', undoToken);

    const bytes = await sqliteBytes(m.dir);
    for (const token of [resetToken, confirmToken, undoToken]) assert.ok(!bytes.includes(token), 'no token in mailroom.sqlite, -wal or -shm');
    assert.doesNotMatch(bytes, TOKEN_AT_REST);

    const undone = await api<{ email: string }>(m.app, 'POST', '/api/v1/email-change/undo', { body: { token: undoToken } });
    assert.equal(undone.status, 200, JSON.stringify(undone.body));
    assert.equal(undone.body.email, 'omar@example.org');
  });
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`mode capture on ${dialect}: the captured mail is the delivered copy, kept sealed and shown masked`, () => {
    let postgres: PostgresServer | undefined;
    let url: string | undefined;
    let m: Awaited<ReturnType<typeof startMailroom>>;

    before(async () => {
      if (dialect === 'postgres') {
        postgres = await startPostgres();
        url = await postgres.createDatabase();
      }
      m = await startMailroom(url ? { MAILROOM_DATABASE_URL: url } : {});
    });
    after(() => closeAll(m, postgres));

    /** The stored messages of the outbox and of the captured mail, as the database holds them. */
    async function storedMessages(): Promise<string> {
      if (!url) return sqliteBytes(m.dir);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const outbox = await client.query<{ raw: string }>("select convert_from(raw, 'LATIN1') as raw from outbox_bodies");
        const captured = await client.query<{ raw: string }>('select raw from captured_mail');
        const tokens = await client.query<{ token_hash: string }>('select token_hash from user_tokens');
        return JSON.stringify([outbox.rows, captured.rows, tokens.rows]);
      } finally {
        await client.end();
      }
    }

    it('an invitation: no token in the stored outbox row or captured mail, masked in both APIs, and the sealed copy holds the working link', async () => {
      await m.ctx.users.add({ uid: 'lena', email: 'lena@example.org', display_name: 'Lena' });
      await deliverQueued(m.ctx);

      const sent = await outboxMail(m.app, m.adminToken, 'welcome');
      assert.equal(sent.state, 'sent');
      assertMasked(sent, 'set-password');

      const list = await api<{ mails: Array<{ id: number; envelopeTo: string[] }> }>(m.app, 'GET', '/api/v1/captured', { token: m.adminToken });
      const id = list.body.mails.find((c) => c.envelopeTo.includes('lena@example.org'))?.id;
      assert.ok(id !== undefined);
      const captured = await api<{ raw: string; masked: boolean; parts: MessagePart[] }>(m.app, 'GET', `/api/v1/captured/${id}`, { token: m.adminToken });
      assertMasked(captured.body, 'set-password');

      const stored = await storedMessages();
      assert.doesNotMatch(stored, TOKEN_AT_REST, 'no one-time token in the stored rows');

      // The captured copy is what the recipient would have got: opened with the instance key,
      // its link works.
      const mail = await m.ctx.captured.show(id);
      const key = Buffer.from((await readFile(join(m.dir, 'secret.key'), 'utf8')).trim(), 'base64');
      const row = url ? undefined : await readCapturedRaw(m.dir, id);
      const sealedRaw = row ?? (await capturedRawFromPostgres(url as string, id));
      assert.ok(sealedRaw.startsWith('sealed:'), 'the captured mail is stored sealed');
      const opened = await simpleParser(Buffer.from(openRaw(createSecretBox(key), sealedRaw), 'utf8'));
      assert.equal(opened.messageId, mail.messageId);
      const token = tokenIn(opened.text, 'set-password');
      assert.ok(!stored.includes(token));
      const accepted = await api<{ ok: boolean }>(m.app, 'POST', '/api/v1/invitations/accept', { body: { token, password: PASSWORD } });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    });
  });
}

async function readCapturedRaw(dataDir: string, id: number): Promise<string> {
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const db = new BetterSqlite3(join(dataDir, 'mailroom.sqlite'), { readonly: true });
  try {
    return (db.prepare('select raw from captured_mail where id = ?').get(id) as { raw: string }).raw;
  } finally {
    db.close();
  }
}

async function capturedRawFromPostgres(url: string, id: number): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ raw: string }>('select raw from captured_mail where id = $1', [id])).rows[0]?.raw ?? '';
  } finally {
    await client.end();
  }
}
