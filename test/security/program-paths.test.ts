/**
 * Whoever administers Mailroom's web page must not thereby run programs on its host. The
 * settings that name a program (mail_sendmail_path, mail_qmail_path) come only from the config
 * file or the environment; the API, config:set and config:import refuse or leave them out, and a
 * value an older version saved in the database is ignored. The file a setting names for the
 * server to read (mail_smtptls_ca) gives the API caller one and the same answer whatever the path
 * is, so it tells neither whether the file exists nor anything of its bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { SettingView } from '../../src/config/settings-service.ts';
import { settingDefinitions, settingKeys } from '../../src/config/settings-schema.ts';
import { freePort } from '../support/servers.ts';
import { startInstance, type ApiReply, type TestInstance } from '../support/instance.ts';
import { cleanEnv, runMailroom } from '../support/run-mailroom.ts';

type Reply = ApiReply<{
  error?: { code: string; message: string; details?: Record<string, unknown> };
  settings?: SettingView[];
  ok?: boolean;
}>;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('settings that name a program the server runs', () => {
  let dir: string;
  let mailroom: TestInstance;
  /** A program an attacker would like Mailroom to run: it leaves a mark when it runs. */
  let hostileProgram: string;
  let hostileMark: string;
  /** The sendmail the host's admin put in the config file: it keeps the mail it is given. */
  let adminSendmail: string;
  let adminSendmailOut: string;
  const api = (method: 'GET' | 'PATCH' | 'POST', url: string, body?: unknown): Promise<Reply> => mailroom.api(method, url, body);

  function view(reply: Reply, key: string): SettingView {
    const found = reply.body.settings?.find((s) => s.key === key);
    assert.ok(found, `the settings list has ${key}`);
    return found;
  }

  before(async () => {
    mailroom = await startInstance({ prefix: 'mailroom-program-paths-' });
    dir = mailroom.dir;
    hostileMark = join(dir, 'hostile-ran');
    hostileProgram = join(dir, 'hostile.sh');
    await writeFile(hostileProgram, `#!/bin/sh\ntouch ${hostileMark}\ncat >/dev/null\n`);
    await chmod(hostileProgram, 0o755);
    adminSendmailOut = join(dir, 'admin-sendmail.out');
    adminSendmail = join(dir, 'admin-sendmail.sh');
    await writeFile(adminSendmail, `#!/bin/sh\necho "$@" > ${adminSendmailOut}.args\ncat > ${adminSendmailOut}\n`);
    await chmod(adminSendmail, 0o755);
  });

  after(async () => {
    await mailroom?.close();
  });

  it('refuses mail_sendmail_path and mail_qmail_path over the API with 403 setting_file_only, saving nothing of the request', async () => {
    for (const key of ['mail_sendmail_path', 'mail_qmail_path']) {
      const reply = await api('PATCH', '/api/v1/settings/mail', { mail_smtpmode: key === 'mail_qmail_path' ? 'qmail' : 'sendmail', [key]: hostileProgram });
      assert.equal(reply.status, 403, reply.text);
      assert.equal(reply.body.error?.code, 'setting_file_only');
      assert.deepEqual(reply.body.error?.details, { key });
      assert.match(reply.body.error?.message ?? '', new RegExp(`${key} names a program Mailroom runs, so only the config file \\(MAILROOM_CONFIG\\) or the environment variable MAILROOM_${key.toUpperCase()} can set it`));
    }
    const settings = await api('GET', '/api/v1/settings/mail');
    assert.equal(view(settings, 'mail_smtpmode').value, 'capture', 'the mode in the same request was not saved either');
    assert.equal(view(settings, 'mail_sendmail_path').value, '/usr/sbin/sendmail');
    assert.equal(view(settings, 'mail_sendmail_path').fileOnly, true);
    assert.equal(view(settings, 'mail_smtphost').fileOnly, false);

    const test = await api('POST', '/api/v1/settings/mail/test', { to: 'admin@example.com' });
    assert.equal(test.status, 200, test.text);
    assert.equal(await exists(hostileMark), false, 'the program was never run');
  });

  it('ignores a program path an older version saved in the database, and doctor says so', async () => {
    const dbFile = join(dir, 'data', 'mailroom.sqlite');
    const db = new Database(dbFile);
    try {
      db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('mail_sendmail_path', ?, '2026-01-01T00:00:00Z')").run(JSON.stringify(hostileProgram));
    } finally {
      db.close();
    }
    const settings = await api('GET', '/api/v1/settings/mail');
    const sendmail = view(settings, 'mail_sendmail_path');
    assert.equal(sendmail.value, '/usr/sbin/sendmail');
    assert.equal(sendmail.source, 'default');
    assert.equal((await mailroom.ctx.settings.get()).mail_sendmail_path, '/usr/sbin/sendmail');
    const warnings = (await mailroom.ctx.doctor.run()).filter((c) => c.status === 'warn' && c.message.includes('mail_sendmail_path'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.message ?? '', /ignored now, since it names a program Mailroom runs.*mailroom config:unset mail_sendmail_path/);
    // Removing the ignored value is allowed: it runs nothing.
    await mailroom.ctx.settings.unset(['mail_sendmail_path']);
    assert.deepEqual(await mailroom.ctx.settings.ignoredSaved(), []);
  });

  it('runs the program the config file names, shows it read-only, and still refuses to change it', async () => {
    const cwd = await mkdtemp(join(dir, 'cli-'));
    await mkdir(join(cwd, 'config'));
    await writeFile(join(cwd, 'config', 'config.json'), JSON.stringify({ mail_smtpmode: 'sendmail', mail_sendmail_path: adminSendmail, mail_domain: 'cloud.example.com' }));
    const env = cleanEnv();

    const sent = await runMailroom(['mail:test', '--to', 'admin@example.com'], { cwd, env: env as Record<string, string> });
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(await readFile(adminSendmailOut, 'utf8'), /^To: Alice Andersen <admin@example\.com>\r?$/m);
    assert.match(await readFile(`${adminSendmailOut}.args`, 'utf8'), /-i -f mailroom@cloud\.example\.com -- admin@example\.com/);

    const list = await runMailroom(['config:list'], { cwd, env: env as Record<string, string> });
    assert.match(list.stdout, /mail_qmail_path\s+\/var\/qmail\/bin\/sendmail\s+\(default\)\s+\[config file or environment only\]/);

    const set = await runMailroom(['config:set', 'mail_qmail_path', hostileProgram], { cwd, env: env as Record<string, string> });
    assert.equal(set.code, 1);
    assert.match(set.stderr, /mail_qmail_path names a program Mailroom runs, so only the config file \(MAILROOM_CONFIG\) or the environment variable MAILROOM_MAIL_QMAIL_PATH can set it/);

    const php = join(cwd, 'config.php');
    await writeFile(php, `<?php\n$CONFIG = array (\n  'mail_smtpmode' => 'sendmail',\n  'mail_qmail_path' => '${hostileProgram}',\n  'mail_smtphost' => 'mail.example.com',\n);\n`);
    const imported = await runMailroom(['config:import', php], { cwd, env: env as Record<string, string> });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Not imported: mail_qmail_path = .*hostile\.sh names a program Mailroom runs/);
    assert.match(imported.stdout, /mail_smtphost = mail\.example\.com/);
    const qmail = await runMailroom(['config:get', 'mail_qmail_path'], { cwd, env: env as Record<string, string> });
    assert.match(qmail.stdout, /\/var\/qmail\/bin\/sendmail/);
    assert.equal(await exists(hostileMark), false);
  });
});

describe('the CA file an API caller names (mail_smtptls_ca)', () => {
  let dir: string;
  let mailroom: TestInstance;
  const secretBytes = 'TOP-SECRET-4417-do-not-show';
  const api = (method: 'PATCH' | 'POST', url: string, body: unknown): Promise<Reply> => mailroom.api(method, url, body);

  before(async () => {
    mailroom = await startInstance({ prefix: 'mailroom-ca-path-', env: { MAILROOM_MAIL_SMTPTIMEOUT: '2' } });
    dir = mailroom.dir;
    const closed = await freePort();
    const saved = await api('PATCH', '/api/v1/settings/mail', { mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${closed}` });
    assert.equal(saved.status, 200, saved.text);
  });

  after(async () => {
    await mailroom?.close();
  });

  it('answers the same for a missing path, a directory, a secret file, a fake certificate, a FIFO and /dev/zero, without a byte of any', { timeout: 60_000 }, async () => {
    const secretFile = join(dir, 'secret.txt');
    await writeFile(secretFile, `${secretBytes}\n`, { mode: 0o600 });
    const fakeCertificate = join(dir, 'fake.pem');
    await writeFile(fakeCertificate, `-----BEGIN CERTIFICATE-----\n${Buffer.from(secretBytes).toString('base64')}\n-----END CERTIFICATE-----\n`);
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const paths = [join(dir, 'no-such-file.pem'), dir, secretFile, fakeCertificate, fifo, '/dev/zero'];

    const answers: string[] = [];
    for (const path of paths) {
      const saved = await api('PATCH', '/api/v1/settings/mail', { mail_smtptls_ca: path });
      assert.equal(saved.status, 200, 'a path is saved, usable or not');
      // The answer flags it, with the one verdict every unusable path gets.
      const view = (saved.body as { settings?: Array<{ key: string; fileUsable?: boolean }> }).settings?.find((s) => s.key === 'mail_smtptls_ca');
      assert.equal(view?.fileUsable, false, `${path} is flagged`);
      const started = Date.now();
      const test = await api('POST', '/api/v1/settings/mail/test', { to: 'admin@example.com', debug: true });
      assert.ok(Date.now() - started < 10_000, `${path} was not waited on`);
      assert.equal(test.status, 200, test.text);
      assert.equal(test.body.ok, false);
      assert.equal((test.body as { error?: { code: string } }).error?.code, 'config_invalid_value');
      const detect = await api('POST', '/api/v1/settings/mail/detect', { host: '127.0.0.1' });
      assert.equal(detect.status, 400, detect.text);
      assert.equal(detect.body.error?.code, 'config_invalid_value');
      for (const text of [saved.text, test.text, detect.text]) {
        assert.ok(!text.includes(secretBytes), 'no byte of the file is shown');
        assert.ok(!text.includes(Buffer.from(secretBytes).toString('base64')), 'not even as base64');
        assert.doesNotMatch(text, /ENOENT|EISDIR|EACCES|no such file|directory|not a regular/i, 'no reason that tells the paths apart');
      }
      answers.push((test.body as { error?: { message: string } }).error?.message.replaceAll(path, 'PATH') ?? '');
    }
    assert.equal(new Set(answers).size, 1, `one answer for every path:\n${answers.join('\n')}`);
    assert.match(answers[0] ?? '', /mail_smtptls_ca: "PATH" is not a PEM file of CA certificates that Mailroom can read/);
  });
});

describe('no value an API caller can set makes Mailroom run a program of their choice', () => {
  let dir: string;
  let mailroom: TestInstance;
  const api = (method: 'PATCH' | 'POST', url: string, body: unknown): Promise<Reply> => mailroom.api(method, url, body);

  before(async () => {
    // The host's own programs, as its admin chose them, are written before Mailroom starts.
    dir = await mkdtemp(join(tmpdir(), 'mailroom-no-program-'));
    const bin = join(dir, 'bin');
    await mkdir(bin);
    // They record that they ran.
    const recorder = join(bin, 'host-sendmail');
    await writeFile(recorder, `#!/bin/sh\necho ran >> ${join(dir, 'host-sendmail.log')}\ncat >/dev/null\n`);
    // PHP as Mailroom asks it for php.ini's sendmail_path.
    await writeFile(join(bin, 'php'), `#!/bin/sh\necho '${recorder} -t -i'\n`);
    for (const name of ['host-sendmail', 'php']) await chmod(join(bin, name), 0o755);
    // qmail is left at its default (not installed here), so nothing but the fix keeps its path from the API.
    await writeFile(join(dir, 'config.json'), JSON.stringify({ mail_sendmail_path: recorder }));
    mailroom = await startInstance({
      prefix: 'mailroom-no-program-instance-',
      env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, MAILROOM_CONFIG: join(dir, 'config.json'), MAILROOM_MAIL_SMTPTIMEOUT: '2' },
    });
  });

  after(async () => {
    await mailroom?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("sets every text setting to a script of the caller, then sends a test mail in every mode: only the host admin's programs run", { timeout: 120_000 }, async () => {
    const hostile = join(dir, 'hostile.sh');
    const mark = join(dir, 'hostile-ran');
    await writeFile(hostile, `#!/bin/sh\ntouch ${mark}\ncat >/dev/null\n`);
    await chmod(hostile, 0o755);
    const textKeys = settingKeys.filter((key) => typeof settingDefinitions[key].default === 'string');
    assert.ok(textKeys.length > 20, 'every text setting is tried');
    const saved: string[] = [];
    for (const key of textKeys) {
      const reply = await api('PATCH', '/api/v1/settings/mail', { [key]: hostile });
      if (reply.status === 200) saved.push(key);
    }
    assert.ok(saved.length >= 10, `many settings took the path: ${saved.join(', ')}`);
    for (const mode of ['sendmail', 'qmail', 'php', 'smtp']) {
      assert.equal((await api('PATCH', '/api/v1/settings/mail', { mail_smtpmode: mode })).status, 200);
      const test = await api('POST', '/api/v1/settings/mail/test', { to: 'admin@example.com' });
      assert.equal(test.status, 200, `${mode}: ${test.text}`);
    }
    assert.equal(await exists(mark), false, `no setting made Mailroom run ${hostile}`);
    const hostRuns = (await readFile(join(dir, 'host-sendmail.log'), 'utf8')).trim().split('\n');
    assert.equal(hostRuns.length, 2, "the host admin's program ran for sendmail and php");
  });
});
