/**
 * `db:copy`: an install that began on SQLite moves to PostgreSQL with everything it holds. The
 * real command copies a used SQLite database into a real PostgreSQL database; Mailroom started
 * on PostgreSQL then signs the same people in, decrypts the same stored password, keeps the
 * edited template, and delivers the mail that was still queued to the real Postfix; new rows get
 * ids after the copied ones. A database with data, a worker mid-send and a URL that is not
 * PostgreSQL are refused with nothing copied.
 */
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { AppContext } from '../../src/context.ts';
import { buildContext } from '../../src/main.ts';
import { outboxIdle, postfixSettings } from '../support/mail-fixtures.ts';
import { runMailroom } from '../support/run-mailroom.ts';
import { startPostfix, startPostgres, waitForMail, type PostfixServer, type PostgresServer } from '../support/servers.ts';

const PASSWORD = 'Copied-Across-4417';

describe('db:copy, from SQLite to PostgreSQL', () => {
  let postfix: PostfixServer;
  let postgres: PostgresServer;
  const dirs: string[] = [];
  const contexts: AppContext[] = [];

  before(async () => {
    [postfix, postgres] = await Promise.all([startPostfix(), startPostgres()]);
  });
  after(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await postgres?.stop();
    await postfix?.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function install(name: string): Promise<{ dir: string; env: Record<string, string> }> {
    const dir = await realpath(await mkdtemp(join(tmpdir(), `mailroom-db-copy-${name}-`)));
    dirs.push(dir);
    return { dir, env: { MAILROOM_DATA_DIR: join(dir, 'data'), MAILROOM_CONFIG: join(dir, 'none.json') } };
  }

  async function open(env: Record<string, string>): Promise<AppContext> {
    const ctx = await buildContext({ env: { PATH: process.env['PATH'] ?? '', ...env }, logLevel: 'silent' });
    contexts.push(ctx);
    return ctx;
  }

  async function close(ctx: AppContext): Promise<void> {
    contexts.splice(contexts.indexOf(ctx), 1);
    await ctx.close();
  }

  async function rowCount(url: string, table: string): Promise<number> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n);
    } finally {
      await client.end();
    }
  }

  it('copies a used install; on PostgreSQL the same people sign in, the stored password works, and the queued mail is delivered', async () => {
    const { dir, env } = await install('used');
    const sqlite = await open(env);
    await sqlite.settings.update({ ...postfixSettings(postfix), mail_domain: 'cloud.example.com', instance_name: 'Copied Cloud' });
    await sqlite.users.add({ uid: 'alice', display_name: 'Alice A', email: 'alice@example.org', password: PASSWORD, admin: true });
    await sqlite.users.add({ uid: 'wei', display_name: '王伟', email: 'wei@example.org', language: 'zh-CN', timezone: 'Asia/Shanghai', invite: false });
    const appPassword = await sqlite.tokens.create('sync-client', { uid: 'wei' });
    const edited = await sqlite.templates.get('test', 'en');
    await sqlite.templates.set('test', 'en', { ...edited.parts, subject: 'Copied {{ instance_name }} test' }, 'alice');
    await sqlite.events.ingest([{ id: 'ev-1', type: 'file.changed', actor: 'alice', affected: ['wei'], object: { type: 'file', id: '7', name: 'plan.txt' } }]);
    // Queued while no worker runs: it must go out from PostgreSQL.
    const [queued] = await sqlite.outbox.send([{ to: 'after-copy@example.org', subject: 'Queued before the copy', text: 'Sent from PostgreSQL.' }]);
    assert.ok(queued);
    const before = await sqlite.outbox.show(queued.id);
    await close(sqlite);

    const url = await postgres.createDatabase();
    const copy = await runMailroom(['db:copy', '--to', url], { cwd: dir, env });
    assert.equal(copy.code, 0, copy.stderr);
    assert.match(copy.stdout, /^users\s+2 row\(s\)$/m);
    assert.match(copy.stdout, /^outbox\s+1 row\(s\)$/m);
    assert.match(copy.stdout, /^template_versions\s+1 row\(s\)$/m);
    const masked = new URL(url);
    masked.password = '***';
    assert.ok(copy.stdout.includes(`Copied `) && copy.stdout.includes(` tables to ${masked.toString()}.`), `the target is named with its password masked:\n${copy.stdout}`);
    assert.ok(!`${copy.stdout}${copy.stderr}`.includes(url), 'the URL with its password is not printed');
    assert.match(copy.stdout, /MAILROOM_DATABASE_URL/);

    const onPostgres = await open({ ...env, MAILROOM_DATABASE_URL: url });
    assert.deepEqual(
      (await onPostgres.users.list()).map((u) => [u.uid, u.display_name, u.email, u.language, u.timezone, u.admin]),
      [
        ['alice', 'Alice A', 'alice@example.org', 'en', 'UTC', true],
        ['wei', '王伟', 'wei@example.org', 'zh-CN', 'Asia/Shanghai', false],
      ],
    );
    const session = await onPostgres.sessions.login({ login: 'alice', password: PASSWORD, client: '127.0.0.1' });
    assert.equal(session.uid, 'alice', 'the password hash came across');
    assert.equal((await onPostgres.tokens.verify(appPassword))?.uid, 'wei', 'the app password still works');
    assert.equal((await onPostgres.settings.get()).mail_smtppassword, postfix.pass, 'the stored SMTP password decrypts with the same data folder');
    assert.equal((await onPostgres.templates.get('test', 'en')).parts.subject, 'Copied {{ instance_name }} test');
    assert.deepEqual(
      (await onPostgres.preferences.stream('wei', { limit: 10, language: 'en' })).map((a) => a.object.name),
      ['plan.txt'],
    );

    const after = await onPostgres.outbox.show(queued.id);
    assert.deepEqual([after?.state, after?.messageId, after?.raw], [before?.state, before?.messageId, before?.raw], 'the queued mail is the same row');
    const worker = onPostgres.createWorker();
    worker.start();
    try {
      const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'after-copy@example.org');
      assert.equal(delivered.headers.get('message-id'), before?.messageId);
      assert.equal(delivered.headers.get('subject'), 'Queued before the copy');
      await outboxIdle(onPostgres.outbox);
    } finally {
      await worker.stop();
    }
    assert.equal((await onPostgres.outbox.show(queued.id))?.state, 'sent');

    // The sequences continue after the copied ids.
    const [next] = await onPostgres.outbox.send([{ to: 'later@example.org', subject: 'Later', text: 'x' }]);
    assert.ok(next && next.id > queued.id, `a new mail gets an id after ${queued.id}, got ${next?.id}`);
    await onPostgres.users.add({ uid: 'zoe', email: null });
  });

  it('refuses a database that holds data, and copies nothing', async () => {
    const { dir, env } = await install('filled');
    const sqlite = await open(env);
    await sqlite.users.add({ uid: 'carol', email: null });
    await close(sqlite);
    const url = await postgres.createDatabase();
    assert.equal((await runMailroom(['db:copy', '--to', url], { cwd: dir, env })).code, 0);

    const again = await runMailroom(['db:copy', '--to', url], { cwd: dir, env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds data \(.*users \(1\)/);
    assert.equal(await rowCount(url, 'users'), 1, 'nothing copied twice');
  });

  it('names the table when PostgreSQL refuses a row SQLite took, and leaves the target empty', async () => {
    const { dir, env } = await install('strict');
    const sqlite = await open(env);
    await sqlite.users.add({ uid: 'dora', email: null });
    // Copied before users (the tables go in name order): must be rolled back with them.
    await sqlite.settings.update({ instance_name: 'Strict Cloud' });
    await close(sqlite);
    // SQLite does not enforce varchar lengths; PostgreSQL does.
    const file = new BetterSqlite3(join(env['MAILROOM_DATA_DIR'] as string, 'mailroom.sqlite'));
    file.prepare("update users set display_name = ? where uid = 'dora'").run('D'.repeat(300));
    file.close();

    const url = await postgres.createDatabase();
    const refused = await runMailroom(['db:copy', '--to', url], { cwd: dir, env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /PostgreSQL refused one of rows 1–1 of users: .*too long.*\. Nothing was copied/);
    for (const table of ['users', 'settings', 'template_versions']) assert.equal(await rowCount(url, table), 0, `${table} stays empty`);
  });

  it('refuses while a worker is sending from the SQLite database, and a URL that is not PostgreSQL', async () => {
    const { dir, env } = await install('busy');
    const sqlite = await open(env);
    const [mail] = await sqlite.outbox.send([{ to: 'busy@example.org', subject: 'In flight', text: 'x' }]);
    await close(sqlite);
    // What a worker leaves while it sends: the mail leased to it for the next minute.
    const file = new BetterSqlite3(join(env['MAILROOM_DATA_DIR'] as string, 'mailroom.sqlite'));
    file.prepare("update outbox set state = 'sending', lease_owner = 'worker-1', lease_expires_at = ? where id = ?").run(Date.now() + 60_000, mail?.id);
    file.close();

    const url = await postgres.createDatabase();
    const busy = await runMailroom(['db:copy', '--to', url], { cwd: dir, env });
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /A worker is sending 1 mail\(s\) from this database right now: stop mailroom serve and every mailroom worker/);
    assert.equal(await rowCount(url, 'outbox'), 0);

    const notPostgres = await runMailroom(['db:copy', '--to', 'mysql://db.example.com/mailroom'], { cwd: dir, env });
    assert.equal(notPostgres.code, 2);
    assert.match(notPostgres.stderr, /--to must be a PostgreSQL URL/);
  });
});
