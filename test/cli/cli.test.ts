/**
 * End-to-end tests of the `mailroom` command, run as a user runs it: `node bin/mailroom.mjs …`
 * in a folder of its own (so ./data and ./config/config.json are private to each group), with
 * a real Postfix behind the mail commands. The outbox commands are in outbox-cli.test.ts.
 *
 * Every invocation costs about a second of start-up and more than a CPU-second (tsx loads the
 * sources), so the groups run side by side and each sets up only what its tests need.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { mailSettingsFromOwncloudConfig } from '../../src/config/owncloud-import.ts';
import { readPhpConfig } from '../../src/config/php-config-parser.ts';
import { createSecretBox } from '../../src/config/secret-box.ts';
import { isSettingKey, settingDefinitions, settingKeys } from '../../src/config/settings-schema.ts';
import type { SettingView } from '../../src/config/settings-service.ts';
import type { TestMailReport } from '../../src/mail/mail-test-service.ts';
import { mailroomOk, repoRoot, runMailroom, spawnServe, type RunOptions } from '../support/run-mailroom.ts';
import { freePort, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import { startTokenEndpoint, startXOAuth2SmtpServer } from '../support/xoauth2-servers.ts';

const fixturePath = join(repoRoot, 'test', 'fixtures', 'owncloud-config.php');

// ---------------------------------------------------------------------------------------------
// Running the command (test/support/run-mailroom.ts)

async function listSettings(options: RunOptions): Promise<Map<string, SettingView>> {
  const { stdout } = await mailroomOk(['config:list', '--json'], options);
  const views = JSON.parse(stdout) as SettingView[];
  return new Map(views.map((v) => [v.key, v]));
}

function viewOf(views: Map<string, SettingView>, key: string): SettingView {
  const view = views.get(key);
  assert.ok(view, `config:list --json has no ${key}`);
  return view;
}

// ---------------------------------------------------------------------------------------------
// Folders and the shared Postfix

const folders: string[] = [];

/** A fresh working folder: the command keeps ./data and reads ./config/config.json in it. */
async function workFolder(configJson?: Record<string, unknown>): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-cli-')));
  folders.push(dir);
  if (configJson) {
    await mkdir(join(dir, 'config'));
    await writeFile(join(dir, 'config', 'config.json'), JSON.stringify(configJson));
  }
  return dir;
}

const SMTP_USER = 'cliuser';
const SMTP_PASS = 'Pfx-s3cret-9zQw';
let postfixStart: Promise<PostfixServer> | undefined;
/** One Postfix for the whole file, started by the first group that needs it. */
const postfix = (): Promise<PostfixServer> => (postfixStart ??= startPostfix({ user: SMTP_USER, pass: SMTP_PASS }));

/** Environment variables that point Mailroom at the test Postfix (STARTTLS, AUTH PLAIN). */
function postfixEnv(server: PostfixServer): Record<string, string> {
  return {
    MAILROOM_MAIL_SMTPMODE: 'smtp',
    MAILROOM_MAIL_SMTPHOST: '127.0.0.1',
    MAILROOM_MAIL_SMTPPORT: String(server.smtpPort),
    MAILROOM_MAIL_SMTPSECURE: 'tls',
    MAILROOM_MAIL_SMTPAUTH: 'true',
    MAILROOM_MAIL_SMTPAUTHTYPE: 'PLAIN',
    MAILROOM_MAIL_SMTPNAME: server.user,
    MAILROOM_MAIL_SMTPPASSWORD: server.pass,
    MAILROOM_MAIL_SMTPTLS_CA: server.certPath,
    MAILROOM_MAIL_SMTPTIMEOUT: '3',
    MAILROOM_MAIL_DOMAIN: 'example.com',
  };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

// ---------------------------------------------------------------------------------------------

describe('the mailroom command', { concurrency: true }, () => {
  after(async () => {
    if (postfixStart) await (await postfixStart).stop();
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  // The groups run side by side (each in its own folder); runMailroom() keeps the machine from
  // being oversubscribed.
  describe('mail:test against a real Postfix', { concurrency: 1 }, () => {
    let server: PostfixServer;
    let cwd: string;
    /** The default, which the mail signs with. */
    const instanceName = 'Mailroom';

    before(async () => {
      [server, cwd] = await Promise.all([postfix(), workFolder()]);
      const run = { cwd };
      // The first command creates the database and the secret key; the others may then run side by side.
      await mailroomOk(['config:set', 'mail_smtpmode', 'smtp'], run);
      const settings: Array<[string, string]> = [
        ['mail_smtphost', '127.0.0.1'],
        ['mail_smtpport', String(server.smtpPort)],
        ['mail_smtpsecure', 'tls'],
        ['mail_smtpauth', 'true'],
        ['mail_smtpauthtype', 'PLAIN'],
        ['mail_smtpname', server.user],
        ['mail_smtptls_ca', server.certPath],
        ['mail_smtptimeout', '3'],
        ['mail_from_address', 'noreply'],
        ['mail_domain', 'example.com'],
      ];
      await Promise.all([
        ...settings.map(([key, value]) => mailroomOk(['config:set', key, value], run)),
        // The password goes through standard input, with the newline `echo` would add.
        mailroomOk(['config:set', 'mail_smtppassword', '-'], { cwd, input: `${server.pass}\n` }),
      ]);
    });

    it('sends the test mail, which arrives with the subject, the text, the sender and the headers of a test mail', async () => {
      const result = await runMailroom(['mail:test', '--to', 'alice@example.com'], { cwd });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /sent to alice@example\.com/i);

      const delivered = await waitForMail(server.maildir, (m) => m.deliveredTo === 'alice@example.com');
      const mail = await simpleParser(delivered.raw);
      assert.equal(mail.subject, 'Email setting test');
      assert.match(mail.text ?? '', new RegExp(`^If you received this email, the settings seem to be correct\\.\\s+--\\s+${instanceName}\\s*$`));
      assert.equal(mail.from?.value[0]?.address, 'noreply@example.com');
      assert.equal(mail.from?.value[0]?.name, instanceName);
      assert.equal(delivered.headers.get('auto-submitted'), 'auto-generated');
      assert.match(delivered.headers.get('message-id') ?? '', /^<[^<>@\s]+@example\.com>$/);
    });

    it('prints the SMTP conversation with --debug, with the credentials masked in every form', async () => {
      const result = await runMailroom(['mail:test', '--to', 'bob@example.com', '--debug'], { cwd });
      assert.equal(result.code, 0, result.stderr);
      // C: what Mailroom sent, S: what the server answered
      assert.match(result.stdout, /^C: EHLO /m);
      assert.match(result.stdout, /^C: STARTTLS$/m);
      assert.match(result.stdout, /^C: AUTH PLAIN \*\*\*$/m);
      assert.match(result.stdout, /^S: 235 /m);
      const output = result.stdout + result.stderr;
      for (const secret of [server.pass, base64(server.pass), base64(`\0${server.user}\0${server.pass}`)]) {
        assert.ok(!output.includes(secret), `the output holds the password or its base64 form ${secret}`);
      }
      await waitForMail(server.maildir, (m) => m.deliveredTo === 'bob@example.com');
    });

    it('exits with 1 and names smtp_auth_failed when the server refuses the password', async () => {
      const wrong = 'not-the-Passw0rd';
      const result = await runMailroom(['mail:test', '--to', 'carol@example.com'], { cwd, env: { MAILROOM_MAIL_SMTPPASSWORD: wrong } });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /smtp_auth_failed/);
      // The CLI's words: setting keys, not the web page's field labels.
      assert.match(result.stderr, /refused the user name or password: check mail_smtpname and mail_smtppassword/);
      assert.doesNotMatch(result.stderr, /Password \(mail_smtppassword\)/);
      assert.ok(!(result.stdout + result.stderr).includes(wrong));
    });

    it('exits with 2 when there is no --to and no admin address to send to', async () => {
      const result = await runMailroom(['mail:test'], { cwd });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--to/);
      assert.equal(result.stdout, '');
    });

    it('gives a JSON report with --json', async () => {
      const result = await runMailroom(['mail:test', '--to', 'dave@example.com', '--json'], { cwd });
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as TestMailReport;
      assert.equal(report.ok, true);
      assert.equal(report.to, 'dave@example.com');
      assert.equal(report.mode, 'smtp');
      assert.equal(report.error, undefined);
      await waitForMail(server.maildir, (m) => m.deliveredTo === 'dave@example.com');
    });
  });

  describe('doctor', { concurrency: 1 }, () => {
    let server: PostfixServer;
    let cwd: string;

    before(async () => {
      [server, cwd] = await Promise.all([postfix(), workFolder()]);
    });

    it('exits with 0 and reports the configuration, the database and the SMTP host when everything works', async () => {
      const result = await runMailroom(['doctor'], { cwd, env: postfixEnv(server) });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^ok\s+configuration: /m);
      assert.match(result.stdout, /^ok\s+database: /m);
      assert.match(result.stdout, new RegExp(`^ok\\s+smtp 127\\.0\\.0\\.1:${server.smtpPort}: `, 'm'));
      assert.doesNotMatch(result.stdout, /^FAIL/m);
      // base_url is not set: the links in mails lead where Mailroom listens, this machine only.
      assert.match(result.stdout, /^warn\s+links: base_url is not set, so links in mails .* start with the address Mailroom serves on, http:\/\/127\.0\.0\.1:8080, which only works on this machine/m);
      const set = await runMailroom(['doctor'], { cwd, env: { ...postfixEnv(server), MAILROOM_BASE_URL: 'https://cloud.example.com' } });
      assert.match(set.stdout, /^ok\s+links: links in mails start with https:\/\/cloud\.example\.com$/m);
    });

    it('follows MAILROOM_PORT while base_url is not set, and warns when a set base_url names another port', async () => {
      const derived = await runMailroom(['doctor'], { cwd, env: { ...postfixEnv(server), MAILROOM_PORT: '18100' } });
      assert.match(derived.stdout, /^warn\s+links: base_url is not set, so links .* start with the address Mailroom serves on, http:\/\/127\.0\.0\.1:18100,/m);
      const stale = await runMailroom(['doctor'], { cwd, env: { ...postfixEnv(server), MAILROOM_PORT: '18100', MAILROOM_BASE_URL: 'http://127.0.0.1:8080' } });
      assert.match(stale.stdout, /^warn\s+links: base_url is http:\/\/127\.0\.0\.1:8080: .*, but Mailroom listens on http:\/\/127\.0\.0\.1:18100: the links lead nowhere/m);
    });

    it('exits with 1 and says to set tls when mail_smtpsecure is ssl on the STARTTLS port', async () => {
      const result = await runMailroom(['doctor'], { cwd, env: { ...postfixEnv(server), MAILROOM_MAIL_SMTPSECURE: 'ssl' } });
      assert.equal(result.code, 1);
      assert.match(result.stdout, new RegExp(`^FAIL\\s+smtp 127\\.0\\.0\\.1:${server.smtpPort}: .*set it to tls`, 'm'));
    });

    it("with XOAUTH2 asks the token endpoint for a token: ok with the right client secret, FAIL with the endpoint's answer and no secret with a wrong one", async () => {
      const secret = 'doctor-client-secret-5521';
      const scope = 'https://outlook.office365.com/.default';
      const endpoint = await startTokenEndpoint({ clientId: 'doctor-app', clientSecret: secret, refreshToken: 'unused', expiresIn: 3600, clientCredentialsScope: scope });
      const smtp = await startXOAuth2SmtpServer({ isValidToken: (_user, token) => endpoint.isValid(token) });
      try {
        const env = (clientSecret: string): Record<string, string> => ({
          MAILROOM_MAIL_SMTPMODE: 'smtp',
          MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${smtp.port}`,
          MAILROOM_MAIL_SMTPAUTH: 'true',
          MAILROOM_MAIL_SMTPAUTHTYPE: 'XOAUTH2',
          MAILROOM_MAIL_SMTPNAME: 'cloud@example.com',
          MAILROOM_MAIL_SMTPOAUTH_GRANT: 'client_credentials',
          MAILROOM_MAIL_SMTPOAUTH_TOKEN_URL: endpoint.url,
          MAILROOM_MAIL_SMTPOAUTH_CLIENT_ID: 'doctor-app',
          MAILROOM_MAIL_SMTPOAUTH_CLIENT_SECRET: clientSecret,
          MAILROOM_MAIL_SMTPOAUTH_SCOPE: scope,
          MAILROOM_MAIL_SMTPTIMEOUT: '3',
          MAILROOM_MAIL_DOMAIN: 'example.com',
        });
        const good = await runMailroom(['doctor'], { cwd, env: env(secret) });
        assert.equal(good.code, 0, good.stdout + good.stderr);
        assert.match(good.stdout, /^ok\s+oauth: 127\.0\.0\.1:\d+ gave an access token \(client_credentials grant\)$/m);
        assert.match(good.stdout, new RegExp(`^ok\\s+smtp 127\\.0\\.0\\.1:${smtp.port}: `, 'm'));
        assert.equal(endpoint.issued.length, 1);

        const wrong = await runMailroom(['doctor'], { cwd, env: env('not-the-secret-0000') });
        assert.equal(wrong.code, 1);
        assert.match(wrong.stdout, /^FAIL\s+oauth: The OAuth token endpoint 127\.0\.0\.1:\d+ answered HTTP 401 \(invalid_client: Client authentication failed\.\): check mail_smtpoauth_client_id and mail_smtpoauth_client_secret/m);
        assert.ok(!`${wrong.stdout}${wrong.stderr}`.includes('not-the-secret-0000'), 'the secret is not printed');
      } finally {
        await Promise.all([smtp.close(), endpoint.close()]);
      }
    });
  });

  describe('mail:detect', { concurrency: 1 }, () => {
    let server: PostfixServer;
    let cwd: string;

    before(async () => {
      [server, cwd] = await Promise.all([postfix(), workFolder()]);
    });

    it('finds STARTTLS and the AUTH methods of a server and exits with 0', async () => {
      const result = await runMailroom(['mail:detect', `127.0.0.1:${server.smtpPort}`], { cwd, env: { MAILROOM_MAIL_SMTPTLS_CA: server.certPath } });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /STARTTLS/);
      assert.match(result.stdout, /AUTH:\s+.*\bPLAIN\b/);
      assert.match(result.stdout, /AUTH:\s+.*\bLOGIN\b/);
      assert.match(result.stdout, /config:set mail_smtpsecure tls/);
    });

    it('exits with 1 when nothing listens on the port', async () => {
      const closedPort = await freePort();
      const result = await runMailroom(['mail:detect', `127.0.0.1:${closedPort}`], { cwd });
      assert.equal(result.code, 1);
      assert.match(result.stdout, new RegExp(`Port ${closedPort}: not reachable`));
    });
  });

  describe('config:set, config:get, config:list and config:unset', { concurrency: 1 }, () => {
    let cwd: string;
    before(async () => {
      cwd = await workFolder();
    });

    it('saves a value that config:get prints and config:list shows as coming from the database', async () => {
      const set = await runMailroom(['config:set', 'mail_smtpport', '587'], { cwd });
      assert.equal(set.code, 0, set.stderr);
      assert.equal((await mailroomOk(['config:get', 'mail_smtpport'], { cwd })).stdout, '587\n');
      const list = await mailroomOk(['config:list'], { cwd });
      assert.match(list.stdout, /^mail_smtpport\s+587\s+\(database\)$/m);
    });

    it('brings the default back with config:unset, as config:list --json shows among every setting', async () => {
      const unset = await runMailroom(['config:unset', 'mail_smtpport'], { cwd });
      assert.equal(unset.code, 0, unset.stderr);
      const views = await listSettings({ cwd });
      assert.deepEqual([...views.keys()], settingKeys);
      assert.equal(viewOf(views, 'mail_smtpport').value, 25);
      assert.equal(viewOf(views, 'mail_smtpport').source, 'default');
    });

    it('says so when a saved value no longer validates, and uses the default instead', async () => {
      await mailroomOk(['config:set', 'mail_smtphost', 'mail.example.com'], { cwd });
      // As an upgrade with a stricter rule, or a row written by hand, would leave it.
      const db = new BetterSqlite3(join(cwd, 'data', 'mailroom.sqlite'));
      try {
        db.prepare("update settings set value = ? where key = 'mail_smtphost'").run(JSON.stringify('bad host\r\nname'));
      } finally {
        db.close();
      }
      const list = await runMailroom(['config:get', 'mail_smtphost'], { cwd });
      assert.equal(list.code, 0, list.stderr);
      assert.equal(list.stdout, '127.0.0.1\n');
      assert.match(list.stderr, /the saved value of mail_smtphost is not valid and is ignored \(the file, the environment or the default applies\): .+; set it again with mailroom config:set or the web page/);
      assert.equal(list.stderr.match(/mail_smtphost is not valid/g)?.length, 1, 'said once, however often the settings are read');
    });
  });

  describe('refused input', { concurrency: 1 }, () => {
    let cwd: string;
    before(async () => {
      cwd = await workFolder();
    });

    const cases: Array<{ name: string; args: string[]; stderr: RegExp }> = [
      {
        name: 'an unknown setting, suggesting the key it probably meant',
        args: ['config:set', 'mail_smtphots', 'mail.example.com'],
        stderr: /"mail_smtphots" is not a Mailroom setting; did you mean mail_smtphost\?/,
      },
      { name: 'port 0', args: ['config:set', 'mail_smtpport', '0'], stderr: /mail_smtpport: .*between 1 and 65535/ },
      { name: 'port 70000', args: ['config:set', 'mail_smtpport', '70000'], stderr: /mail_smtpport: .*between 1 and 65535/ },
      { name: 'an unknown send mode, naming the allowed ones', args: ['config:set', 'mail_smtpmode', 'smtps'], stderr: /mail_smtpmode: .*smtp, sendmail, qmail, php, capture/ },
      { name: 'a host list with an empty entry', args: ['config:set', 'mail_smtphost', 'a;;b'], stderr: /mail_smtphost: .*entry 2 .* is empty/ },
      { name: 'a sender address with a domain part', args: ['config:set', 'mail_from_address', 'x@'], stderr: /mail_from_address: .*part before the @/ },
      {
        name: 'an instance name with a line break (a header injection)',
        args: ['config:set', 'instance_name', 'Cloud\r\nBcc: victim@example.com'],
        stderr: /instance_name must not contain a line break/,
      },
      { name: 'an unknown command', args: ['config:sett', 'mail_smtpport', '26'], stderr: /unknown command 'config:sett'/ },
    ];
    for (const c of cases) {
      it(`exits with 2 and explains on stderr for ${c.name}`, async () => {
        const result = await runMailroom(c.args, { cwd });
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, c.stderr);
        assert.equal(result.stdout, '');
      });
    }

    it('saved none of the refused values', async () => {
      const views = await listSettings({ cwd });
      for (const view of views.values()) assert.equal(view.source, 'default', `${view.key} was saved`);
    });
  });

  describe('settings fixed by the environment or the config file', { concurrency: 1 }, () => {
    it('refuses to change a setting the environment sets, and config:list marks it locked', async () => {
      const cwd = await workFolder();
      const env = { MAILROOM_MAIL_SMTPHOST: 'env.example.com' };
      const set = await runMailroom(['config:set', 'mail_smtphost', 'db.example.com'], { cwd, env });
      assert.equal(set.code, 1);
      assert.match(set.stderr, /environment variable MAILROOM_MAIL_SMTPHOST/);
      const list = await mailroomOk(['config:list'], { cwd, env });
      assert.match(list.stdout, /^mail_smtphost\s+env\.example\.com\s+\(env\)\s+\[locked by environment\]$/m);
    });

    it('refuses to change a setting the config file sets, which keeps its value', async () => {
      const cwd = await workFolder({ mail_smtpport: 2525 });
      const set = await runMailroom(['config:set', 'mail_smtpport', '587'], { cwd });
      assert.equal(set.code, 1);
      assert.match(set.stderr, /config file/);
      assert.equal((await mailroomOk(['config:get', 'mail_smtpport'], { cwd })).stdout, '2525\n');
    });

    it('stops every command with exit code 1, naming the file, when the config file holds an unknown key', async () => {
      const cwd = await workFolder({ mail_smtpport: 2525, mail_smtpprot: 587 });
      const file = join(cwd, 'config', 'config.json');
      const commands = [['config:get', 'mail_smtpport'], ['config:set', 'mail_smtpmode', 'smtp'], ['token:list']];
      const results = await Promise.all(commands.map((args) => runMailroom(args, { cwd })));
      for (const [i, result] of results.entries()) {
        const name = commands[i]?.join(' ');
        assert.equal(result.code, 1, `${name}: ${result.stderr}`);
        assert.ok(result.stderr.includes(file), `${name} does not name ${file}: ${result.stderr}`);
        assert.match(result.stderr, /did you mean mail_smtpport\?/);
        assert.equal(result.stdout, '');
      }
    });

    it('refuses an unknown MAILROOM_ variable, suggesting the one it probably meant', async () => {
      const cwd = await workFolder();
      const result = await runMailroom(['config:list'], { cwd, env: { MAILROOM_MAIL_SMTPHSOT: 'mail.example.com' } });
      // config_env_invalid: a broken environment is no usage error, exit code 1
      assert.equal(result.code, 1);
      assert.match(result.stderr, /MAILROOM_MAIL_SMTPHSOT .*did you mean MAILROOM_MAIL_SMTPHOST\?/);
      assert.equal(result.stdout, '');
    });
  });

  describe('the SMTP password', { concurrency: 1 }, () => {
    const password = 's3cret-Pa55';
    let cwd: string;
    before(async () => {
      cwd = await workFolder();
    });

    it('is saved without being printed, and config:get only says that it is set', async () => {
      const set = await runMailroom(['config:set', 'mail_smtppassword', password], { cwd });
      assert.equal(set.code, 0, set.stderr);
      assert.ok(!set.stdout.includes(password));
      assert.match(set.stdout, /\(set, hidden\)/);
      assert.equal((await mailroomOk(['config:get', 'mail_smtppassword'], { cwd })).stdout, '(set, hidden)\n');
    });

    it('is not in config:list --json', async () => {
      const { stdout } = await mailroomOk(['config:list', '--json'], { cwd });
      assert.ok(!stdout.includes(password));
      const view = (JSON.parse(stdout) as SettingView[]).find((v) => v.key === 'mail_smtppassword');
      assert.deepEqual(view, { key: 'mail_smtppassword', value: null, isSet: true, secret: true, source: 'database', locked: false, fileOnly: false });
    });

    it('is stored encrypted: the SQLite files do not hold it', async () => {
      for (const name of ['mailroom.sqlite', 'mailroom.sqlite-wal']) {
        const path = join(cwd, 'data', name);
        if (!existsSync(path)) continue;
        const bytes = await readFile(path);
        assert.ok(!bytes.includes(password), `${name} holds the password in plain text`);
        assert.ok(!bytes.includes(base64(password)), `${name} holds the password in base64`);
      }
    });

    it('is read from standard input with -, without the final newline', async () => {
      const fromStdin = 'st4ndard-input Pa55';
      const set = await runMailroom(['config:set', 'mail_smtppassword', '-'], { cwd, input: `${fromStdin}\n` });
      assert.equal(set.code, 0, set.stderr);
      assert.ok(!set.stdout.includes(fromStdin));
      // The saved value, opened with the data directory's key as Mailroom does.
      const key = Buffer.from((await readFile(join(cwd, 'data', 'secret.key'), 'utf8')).trim(), 'base64');
      const db = new BetterSqlite3(join(cwd, 'data', 'mailroom.sqlite'), { readonly: true });
      try {
        const row = db.prepare('SELECT value FROM settings WHERE key = ?').get('mail_smtppassword') as { value: string } | undefined;
        assert.ok(row, 'mail_smtppassword was not saved');
        const sealed = JSON.parse(row.value) as string;
        assert.ok(!sealed.includes(fromStdin));
        assert.equal(createSecretBox(key).open(sealed), fromStdin);
      } finally {
        db.close();
      }
    });
  });

  describe('config:import of an ownCloud/Nextcloud config.php', { concurrency: 1 }, () => {
    let cwd: string;
    before(async () => {
      cwd = await workFolder();
    });

    it('refuses a malformed file with exit code 1 and names the file and the line', async () => {
      const bad = join(cwd, 'broken-config.php');
      // mail_send_plaintext_only is a key the good fixture does not set: the next test checks it stayed unset.
      await writeFile(bad, "<?php\n$CONFIG = array (\n  'mail_send_plaintext_only' => true,\n  'mail_smtphost' => 'unterminated.example.com,\n);\n");
      const result = await runMailroom(['config:import', bad], { cwd });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /broken-config\.php line 4\b/);
      assert.equal(result.stdout, '');
    });

    it('imports every mail setting of a good file, the password hidden, and nothing of the malformed one', async () => {
      const picked = mailSettingsFromOwncloudConfig(readPhpConfig(await readFile(fixturePath, 'utf8')).values);
      const expected = Object.entries(picked.settings).filter(([key]) => isSettingKey(key));
      assert.ok(expected.length >= 10, 'the fixture sets the mail settings');
      assert.ok(!Object.hasOwn(picked.settings, 'mail_send_plaintext_only'));
      const fixturePassword = picked.settings['mail_smtppassword'];
      assert.equal(typeof fixturePassword, 'string');

      const imported = await runMailroom(['config:import', fixturePath], { cwd });
      assert.equal(imported.code, 0, imported.stderr);
      assert.ok(!imported.stdout.includes(String(fixturePassword)));

      const { stdout } = await mailroomOk(['config:list', '--json'], { cwd });
      assert.ok(!stdout.includes(String(fixturePassword)));
      const views = new Map((JSON.parse(stdout) as SettingView[]).map((v) => [v.key, v]));
      for (const [key, value] of expected) {
        const view = viewOf(views, key);
        if (isSettingKey(key) && settingDefinitions[key].fileOnly) {
          assert.equal(view.source, 'default', `${key} names a program: only the config file or the environment sets it`);
          assert.match(imported.stdout, new RegExp(`Not imported: ${key} = .* names a program Mailroom runs`));
          continue;
        }
        assert.equal(view.source, 'database', `${key} was not imported`);
        if (isSettingKey(key) && settingDefinitions[key].secret) {
          assert.equal(view.value, null);
          assert.equal(view.isSet, true);
        } else {
          assert.deepEqual(view.value, value, key);
        }
      }
      assert.equal(viewOf(views, 'mail_send_plaintext_only').source, 'default');
    });

    it('reads switches saved as 1 and 0 (ownCloud 9) as true and false, and passes over keys set to NULL', async () => {
      const old = join(cwd, 'owncloud9-config.php');
      await writeFile(old, "<?php\n$CONFIG = array (\n  'mail_smtpmode' => 'smtp',\n  'mail_smtpauth' => 1,\n  'mail_smtpdebug' => 0,\n  'mail_smtpname' => NULL,\n);\n");
      const imported = await runMailroom(['config:import', old], { cwd });
      assert.equal(imported.code, 0, imported.stderr);
      assert.doesNotMatch(imported.stdout, /mail_smtpname/, 'a key that is not set is neither imported nor reported unused');
      const { stdout } = await mailroomOk(['config:list', '--json'], { cwd });
      const views = new Map((JSON.parse(stdout) as SettingView[]).map((v) => [v.key, v]));
      assert.equal(viewOf(views, 'mail_smtpauth').value, true);
      assert.equal(viewOf(views, 'mail_smtpdebug').value, false);
      // A number that is not 0 or 1 is still refused for a switch, naming the key.
      await writeFile(old, "<?php\n$CONFIG = array (\n  'mail_smtpauth' => 2,\n);\n");
      const refused = await runMailroom(['config:import', old], { cwd });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /mail_smtpauth/);
    });

    it('exits with 1 when the file cannot be read', async () => {
      const missing = join(cwd, 'no-such-config.php');
      const result = await runMailroom(['config:import', missing], { cwd });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /Cannot read .*no-such-config\.php/);
      assert.equal(result.stdout, '');
    });
  });

  describe('config:import of files extended from config.sample.php', { concurrency: 1 }, () => {
    let cwd: string;
    before(async () => {
      cwd = await workFolder();
    });

    it('refuses a mail key that only running PHP could give with exit code 1, its line and column, and saves nothing', async () => {
      const broken = join(cwd, 'getenv-config.php');
      await writeFile(broken, "<?php\n$CONFIG = array (\n  'mail_smtpport' => 2 * 250,\n  'mail_smtphost' => getenv('SMTP_HOST') ?: 'localhost',\n);\n");
      const result = await runMailroom(['config:import', broken], { cwd });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /getenv-config\.php line 4, column 22: the value of 'mail_smtphost' cannot be read \(config\.php is never executed\): it calls the function 'getenv'; nothing was imported/);
      const views = await listSettings({ cwd });
      assert.equal(viewOf(views, 'mail_smtpport').source, 'default', 'the readable mail_smtpport before it was not saved either');
    });

    it('imports the mail keys of an ownCloud 10 file, evaluating expressions, and names the values it could not read', async () => {
      const file = join(repoRoot, 'test', 'fixtures', 'owncloud10-sample-config.php');
      const result = await runMailroom(['config:import', file], { cwd });
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.split('\n');
      assert.ok(lines.includes("Not imported: 'apps_paths' (line 72, column 13) cannot be read without running PHP: it uses 'OC::$SERVERROOT', which only PHP knows; it is not a setting Mailroom imports, so the import went on"), result.stdout);
      assert.ok(lines.includes("Not imported: 'upload_max_size' (line 88, column 22) cannot be read without running PHP: it uses the constant 'OC_MAX_UPLOAD'; it is not a setting Mailroom imports, so the import went on"), result.stdout);
      assert.ok(lines.includes('  mail_smtptimeout = 30'), 'from 3 * 10');
      assert.ok(lines.includes('  mail_smtppassword = (hidden)'));
      assert.doesNotMatch(result.stdout, /Tr0ub4dor/);

      const views = await listSettings({ cwd });
      const expected: Record<string, unknown> = {
        base_url: 'https://cloud.example.com/owncloud',
        mail_smtphost: 'mail-1.example.com;mail-2.example.com:465',
        mail_smtpport: 587,
        mail_smtptimeout: 30,
        mail_smtpsecure: 'tls',
        mail_smtpauth: true,
        mail_smtpauthtype: 'PLAIN',
        mail_smtpname: 'owncloud@example.com',
        mail_from_address: 'owncloud',
        mail_domain: 'example.com',
      };
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual([viewOf(views, key).value, viewOf(views, key).source], [value, 'database'], key);
      }
      assert.equal(viewOf(views, 'mail_smtppassword').isSet, true);
    });

    it('imports the mail keys of a Nextcloud file and names the five values it could not read, a mail_ key Mailroom does not use among them', async () => {
      const file = join(repoRoot, 'test', 'fixtures', 'nextcloud-sample-config.php');
      const result = await runMailroom(['config:import', file], { cwd });
      assert.equal(result.code, 0, result.stderr);
      const skipped = result.stdout.split('\n').filter((line) => line.endsWith('so the import went on'));
      assert.deepEqual(
        skipped.map((line) => /^Not imported: '([^']+)' \(line (\d+), column (\d+)\)/.exec(line)?.slice(1)),
        [
          ['datadirectory', '17', '22'],
          ['dbhost', '23', '15'],
          ['dbdriveroptions', '81', '5'],
          ['apps_paths', '91', '17'],
          ['mail_smtpstreamoptions', '120', '19'],
        ],
      );
      const views = await listSettings({ cwd });
      assert.equal(viewOf(views, 'mail_smtpname').value, 'nextcloud@example.com', "from 'nextcloud' . '@' . 'example.com'");
      assert.equal(viewOf(views, 'mail_smtphost').value, 'smtp1.example.com:25;smtp2.example.com');
      assert.equal(viewOf(views, 'mail_smtpsecure').value, '');
      assert.equal(viewOf(views, 'base_url').value, 'https://cloud.example.com');
      assert.match(result.stdout, /Not used by Mailroom: mail_sendmailmode, mail_template_class/);
    });
  });

  describe('API tokens', { concurrency: 1 }, () => {
    let cwd: string;
    let token = '';
    before(async () => {
      cwd = await workFolder();
    });

    it('token:create prints a new token once', async () => {
      const result = await runMailroom(['token:create', 'ci'], { cwd });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^mr_[A-Za-z0-9_-]{20,}\n$/);
      token = result.stdout.trim();
    });

    it('token:list shows the name but never the token', async () => {
      const result = await mailroomOk(['token:list'], { cwd });
      assert.match(result.stdout, /^ci\s/m);
      assert.ok(token !== '' && !result.stdout.includes(token));
    });

    it('refuses a second token of the same name', async () => {
      const result = await runMailroom(['token:create', 'ci'], { cwd });
      // token_exists: exit code 1 in the error registry
      assert.equal(result.code, 1);
      assert.match(result.stderr, /"ci" exists already/);
      assert.doesNotMatch(result.stdout, /mr_/);
    });

    it('token:revoke removes it', async () => {
      const result = await runMailroom(['token:revoke', 'ci'], { cwd });
      assert.equal(result.code, 0, result.stderr);
    });
  });

  describe('serve (what npm start runs)', { concurrency: 1 }, () => {
    it('answers /healthz, prints the generated admin password once, and exits with 0 on SIGTERM', async () => {
      const cwd = await workFolder();
      const port = await freePort();
      const serve = spawnServe(cwd, port);
      const { child, exited } = serve;
      try {
        const response = await serve.healthz();
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        const body = (await response.json()) as { status?: unknown };
        assert.equal(body.status, 'ok');

        const announcements = serve.stderr().match(/created the user "admin" with the password: (\S+)/g) ?? [];
        assert.equal(announcements.length, 1, serve.stderr());

        const stoppedAt = Date.now();
        child.kill('SIGTERM');
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
        const outcome = await Promise.race([exited, timeout]);
        assert.notEqual(outcome, 'timeout', `serve did not exit within 5 s of SIGTERM:\n${serve.stderr()}`);
        assert.deepEqual(outcome, { code: 0, signal: null });
        assert.ok(Date.now() - stoppedAt < 5_000);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
});
