/**
 * End-to-end tests of the user and token commands, run as a user runs them (`node bin/mailroom.mjs
 * …` in a folder of its own). Every command start costs about half a second, so each test runs
 * the few commands it needs, side by side where they do not depend on each other. At the end the
 * same database is opened in-process to check that what the commands made works through the API.
 */
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '../../src/http/build-app.ts';
import { buildContext } from '../../src/main.ts';
import type { PublicUser } from '../../src/users/user-service.ts';
import { mailroomOk, runMailroom, type RunResult } from '../support/run-mailroom.ts';

const ALICE_PASSWORD = 'Orchid-balcony-93';
const PUBLIC_FIELDS = ['admin', 'created_at', 'disabled', 'display_name', 'email', 'language', 'password_set', 'timezone', 'uid', 'updated_at'];

/** A refusal as the contract wants it: the exit code, nothing on stdout, one line on stderr. */
function assertRefused(result: RunResult, exit: 1 | 2, message: RegExp): void {
  assert.equal(result.code, exit, `exit code ${result.code}, stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^mailroom: [^\n]+\n$/, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('the user and token commands', { concurrency: 1 }, () => {
  let cwd: string;
  const run = () => ({ cwd });
  const tokens: { service?: string; alice?: string } = {};

  before(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-user-cli-')));
  });

  after(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('user:add takes every option, and the password from the variable --password-from-env names', async () => {
    // The password is in the environment only; it must not show up in what the command prints.
    const result = await mailroomOk(['user:add', 'alice', '--email', 'alice@example.com', '--display-name', 'Alice Andersen', '--language', 'zh-CN', '--timezone', 'Asia/Shanghai', '--admin', '--password-from-env', 'ALICE_PW'], { cwd, env: { ALICE_PW: ALICE_PASSWORD } });
    assert.equal(result.stdout, 'User alice added\n');
    assert.equal(result.stderr, '');
    // Two more, side by side now that the database exists.
    const [bob, carol] = await Promise.all([mailroomOk(['user:add', 'bob', '--email', 'bob@example.com'], run()), mailroomOk(['user:add', 'carol', '--email', 'carol@example.com', '--admin', '--no-invite'], run())]);
    // An address and no password: the welcome mail with its set-password link is queued.
    assert.match(bob.stdout, /^User bob added\nInvitation queued for bob@example\.com: its set-password link works once, until \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    assert.equal(carol.stdout, 'User carol added\n');

    // The invitation can be sent later, or again; not to someone who has a password.
    const [later, refused] = await Promise.all([mailroomOk(['user:invite', 'carol'], run()), runMailroom(['user:invite', 'alice'], run())]);
    assert.match(later.stdout, /^Invitation queued for carol@example\.com: /);
    assertRefused(refused, 1, /"alice" has set a password already/);
  });

  it('refuses a malformed address, a time zone or language that does not exist (exit 2) and a taken uid (exit 1)', async () => {
    const [address, zone, language, taken] = await Promise.all([
      runMailroom(['user:add', 'dave', '--email', 'a@b@c'], run()),
      runMailroom(['user:add', 'erin', '--timezone', 'Mars/Olympus'], run()),
      runMailroom(['user:add', 'frank', '--language', 'sv'], run()),
      runMailroom(['user:add', 'alice', '--email', 'impostor@example.com', '--display-name', 'Impostor'], run()),
    ]);
    assertRefused(address, 2, /email "a@b@c" is not a valid email address: it has more than one @/);
    assertRefused(zone, 2, /timezone "Mars\/Olympus" is not a time zone/);
    assertRefused(language, 2, /--language: .*"en".*"zh-CN"/);
    assertRefused(taken, 1, /"alice" exists already/);
    // That none of them wrote anything, the listing of the next test shows.
  });

  it('user:list prints one line per user (none of the refused ones; alice as she was added); --json gives the public fields and never a password', async () => {
    const [text, json] = await Promise.all([mailroomOk(['user:list'], run()), mailroomOk(['user:list', '--json'], run())]);
    assert.deepEqual(text.stdout.trimEnd().split('\n'), ['alice  Alice Andersen  alice@example.com  zh-CN  Asia/Shanghai  [admin]', 'bob  bob  bob@example.com  en  UTC  [no password set]', 'carol  carol  carol@example.com  en  UTC  [admin,no password set]']);
    const users = JSON.parse(json.stdout) as PublicUser[];
    assert.deepEqual(
      users.map((u) => u.uid),
      ['alice', 'bob', 'carol'],
    );
    for (const u of users) assert.deepEqual(Object.keys(u).sort(), PUBLIC_FIELDS);
    const alice = users[0] as PublicUser;
    assert.equal(alice.email, 'alice@example.com');
    assert.equal(alice.display_name, 'Alice Andersen');
    assert.equal(alice.language, 'zh-CN');
    assert.equal(alice.timezone, 'Asia/Shanghai');
    assert.equal(alice.admin, true);
    assert.equal(alice.disabled, false);
    assert.equal(users[1]?.admin, false);
    for (const output of [text.stdout, json.stdout]) {
      assert.ok(!output.includes(ALICE_PASSWORD));
      assert.doesNotMatch(output.replaceAll('no password set', '').replaceAll('"password_set":', ''), /password|scrypt\$/i);
    }
  });

  it('user:modify changes an address, removes it with --email "", disables, enables and takes admin away', async () => {
    const [alice, bob] = await Promise.all([mailroomOk(['user:modify', 'alice', '--email', 'alice@new.example.com'], run()), mailroomOk(['user:modify', 'bob', '--email', '', '--disable'], run())]);
    assert.equal(alice.stdout, 'User alice changed: alice  Alice Andersen  alice@new.example.com  zh-CN  Asia/Shanghai  [admin]\n');
    assert.equal(bob.stdout, 'User bob changed: bob  bob  (no email)  en  UTC  [disabled,no password set]\n');

    const [enabled, carol] = await Promise.all([mailroomOk(['user:modify', 'bob', '--enable'], run()), mailroomOk(['user:modify', 'carol', '--no-admin', '--json'], run())]);
    assert.equal(enabled.stdout, 'User bob changed: bob  bob  (no email)  en  UTC  [no password set]\n');
    const carolNow = JSON.parse(carol.stdout) as PublicUser;
    assert.equal(carolNow.admin, false);
    assert.equal(carolNow.email, 'carol@example.com', 'what was not given stays');
  });

  it('user:delete removes a user; an unknown uid exits with 1', async () => {
    const [result, unknown] = await Promise.all([mailroomOk(['user:delete', 'bob'], run()), runMailroom(['user:delete', 'ghost'], run())]);
    assert.equal(result.stdout, 'User bob deleted\n');
    assertRefused(unknown, 1, /No user "ghost"/);
    // That bob is gone, the API test at the end checks (one command start less).
  });

  it('token:create makes service tokens and app passwords, refuses an unknown user (exit 1) and scope (exit 2); token:list shows scope and user', async () => {
    const [service, app, ghost, scope] = await Promise.all([
      mailroomOk(['token:create', 'host-app', '--scope', 'service'], run()),
      mailroomOk(['token:create', 'alice-phone', '--user', 'alice'], run()),
      runMailroom(['token:create', 'ghost-phone', '--user', 'ghost'], run()),
      runMailroom(['token:create', 'root-token', '--scope', 'root'], run()),
    ]);
    assert.match(service.stdout, /^mr_[A-Za-z0-9_-]{43}\n$/);
    assert.match(app.stdout, /^mr_[A-Za-z0-9_-]{43}\n$/);
    tokens.service = service.stdout.trim();
    tokens.alice = app.stdout.trim();
    assertRefused(ghost, 1, /No user "ghost"/);
    assertRefused(scope, 2, /--scope: "root" is not admin or service/);

    const list = await mailroomOk(['token:list'], run());
    const lines = list.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, list.stdout);
    assert.match(lines[0] ?? '', /^alice-phone {2}user:alice {2}created \d{4}-\d\d-\d\dT[^ ]+ {2}last used never$/);
    assert.match(lines[1] ?? '', /^host-app {2}service {2}created \d{4}-\d\d-\d\dT[^ ]+ {2}last used never$/);
    assert.ok(!list.stdout.includes(tokens.service) && !list.stdout.includes(tokens.alice), 'token:list never shows a token');
  });

  it('what the commands made works through the API: the password from the environment, the service token and the app password', async () => {
    assert.ok(tokens.service && tokens.alice, 'the token test ran first');
    const dataDir = join(cwd, 'data');
    const ctx = await buildContext({ env: { PATH: process.env['PATH'], MAILROOM_DATA_DIR: dataDir }, cwd, logLevel: 'silent' });
    const app = buildApp(ctx);
    try {
      const call = async (method: 'GET' | 'POST', url: string, options: { token?: string; body?: unknown }) => {
        const res = await app.inject({
          method,
          url,
          headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}) },
          ...(options.body ? { payload: JSON.stringify(options.body) } : {}),
        });
        return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
      };
      const login = await call('POST', '/api/v1/login', { body: { user: 'alice', password: ALICE_PASSWORD } });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal((login.body['user'] as PublicUser).timezone, 'Asia/Shanghai');
      const carolLogin = await call('POST', '/api/v1/login', { body: { user: 'carol', password: ALICE_PASSWORD } });
      assert.equal(carolLogin.status, 401, 'carol was added without a password: no sign-in');

      const me = await call('GET', '/api/v1/me', { token: tokens.alice });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal((me.body['user'] as PublicUser).uid, 'alice');
      assert.equal((await call('GET', '/api/v1/users', { token: tokens.service })).status, 403);
      // alice is an admin, so her app password may read the directory; bob was deleted.
      const list = await call('GET', '/api/v1/users', { token: tokens.alice });
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.deepEqual(
        (list.body['users'] as PublicUser[]).map((u) => `${u.uid} ${u.email ?? '-'} ${String(u.admin)} ${String(u.disabled)}`),
        ['alice alice@new.example.com true false', 'carol carol@example.com false false'],
      );
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
