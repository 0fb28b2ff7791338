/**
 * The Email server page keeps its word, in a real browser against a real Mailroom with its
 * worker and the suite's real Postfix: a CA file renewed in place is used by the worker at the
 * mail's next attempt (no restart) and by the test mail alike; browsing the send modes with the
 * arrow keys saves nothing until Enter (or leaving the field); a refused value stays in its
 * field with its message while other fields are saved; a CA path the server cannot use is flagged
 * under the field as soon as it is saved, and a program path with nothing to run when the page
 * opens; and "Detect settings" shows what it found and what it
 * would change, saves only on Apply, and keeps a failover list.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, PHONE, descriptionOf, eventually, focusedId, launchBrowser, scrollsSideways, signIn, startMailroom, typeInto, waitForDescription, type MailroomInstance, type TestBrowser, sendTestMail, testMailSent } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { freePort, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';

const SMTP_PASSWORD = 'Heron-Quarry-3307';

interface SettingView {
  key: string;
  value: string | number | boolean | null;
  source: string;
  fileUsable?: boolean;
}

interface OutboxMail {
  id: number;
  state: string;
  attempts: number;
  history: Array<{ attempt: number; outcome: string; code: string | null }>;
}

describe('the Email server page: renewed files, fields that behave, and Detect that asks first', () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;
  let dir: string;
  /** A CA that signed nothing Postfix shows: the file before its renewal. */
  let wrongCa: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-fields-'));
    const key = join(dir, 'wrong-ca.key');
    const cert = join(dir, 'wrong-ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=Not Postfix CA'], { stdio: 'ignore' });
    wrongCa = await readFile(cert, 'utf8');
    [postfix, browser] = await Promise.all([startPostfix({ pass: SMTP_PASSWORD }), launchBrowser()]);
    mailroom = await startMailroom({ worker: true });
  });

  after(async () => {
    try {
      await closeAll(browser, mailroom, postfix);
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  async function setMail(changes: Record<string, unknown>): Promise<void> {
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: changes });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  async function setting(key: string): Promise<SettingView> {
    const r = await mailroom.api<{ settings: SettingView[] }>('GET', '/api/v1/settings/mail');
    assert.equal(r.status, 200);
    const found = r.body.settings.find((s) => s.key === key);
    assert.ok(found, key);
    return found;
  }

  async function outboxMail(id: number): Promise<OutboxMail> {
    const r = await mailroom.api<OutboxMail>('GET', `/api/v1/outbox/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  const postfixSmtp = () => ({
    mail_smtpmode: 'smtp',
    mail_smtphost: '127.0.0.1',
    mail_smtpport: postfix.smtpPort,
    mail_smtpsecure: 'tls',
    mail_smtpauth: true,
    mail_smtpauthtype: 'PLAIN',
    mail_smtpname: postfix.user,
    mail_smtppassword: SMTP_PASSWORD,
    mail_from_address: 'cloud',
    mail_domain: 'example.org',
  });

  /** Records every save the page makes (PATCH of the mail settings), with its body. */
  function savesOf(page: Page): string[] {
    const saves: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PATCH' && new URL(request.url()).pathname === '/api/v1/settings/mail') saves.push(request.postData() ?? '');
    });
    return saves;
  }

  it('a CA file renewed in place: the queued mail goes out at its next attempt, without a restart, and the test mail agrees', { timeout: 120_000 }, async () => {
    const caPath = join(dir, 'mail-ca.pem');
    await writeFile(caPath, wrongCa);
    // A short retry, so that the next attempt comes within the test.
    await setMail({ ...postfixSmtp(), mail_smtptls_ca: caPath, mail_retry_min_seconds: 4, mail_retry_max_seconds: 4 });
    try {
      const to = 'renewed-ca@example.org';
      const queued = await mailroom.api<{ ids: number[] }>('POST', '/api/v1/messages', { body: { to, subject: 'Waits for the CA 7241', text: 'Sent once the CA is right.' } });
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const id = queued.body.ids[0] as number;
      await eventually(async () => (await outboxMail(id)).history.some((h) => h.code === 'smtp_certificate_untrusted'), 'the first attempt failed on the certificate', 30_000);

      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        // The CA file is readable and holds a certificate: nothing to flag under the field.
        const ca = page.getByLabel('CA certificate file');
        assert.equal(await ca.inputValue(), caPath);
        assert.doesNotMatch(await descriptionOf(ca), /cannot use this file/);
        // The test mail reads the same file the same way: untrusted too.
        await sendTestMail(page, 'before-renewal@example.org');
        const failure = page.getByRole('alert').filter({ hasText: 'The test mail was not sent.' });
        await failure.waitFor({ timeout: 20_000 });
        assert.match(await failure.innerText(), /smtp_certificate_untrusted/);

        // Renewed in place right after a failed attempt (so that none is under way): same path, same inode.
        // (A claim counts the attempt at once: a failed one is in the history, with the mail queued again.)
        const failedBefore = (await outboxMail(id)).history.length;
        let latest = await outboxMail(id);
        await eventually(
          async () => {
            latest = await outboxMail(id);
            return latest.state === 'queued' && latest.history.length > failedBefore;
          },
          'one more attempt failed',
          15_000,
        );
        assert.ok(
          latest.history.every((h) => h.code === 'smtp_certificate_untrusted'),
          JSON.stringify(latest.history),
        );
        const inode = (await stat(caPath)).ino;
        await writeFile(caPath, await readFile(postfix.certPath, 'utf8'));
        assert.equal((await stat(caPath)).ino, inode, 'the file was rewritten, not replaced by another');

        // The next attempt sends it: no restart, no settings change.
        await eventually(async () => (await outboxMail(id)).state === 'sent', 'the queued mail was sent', 20_000);
        const sent = await outboxMail(id);
        assert.equal(sent.attempts, latest.attempts + 1, `sent at the attempt after the renewal: ${JSON.stringify(sent.history)}`);
        const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === to);
        assert.match(delivered.headers.get('subject') ?? '', /Waits for the CA 7241/);

        // And the outbox page shows the story: failed on the certificate, then accepted.
        await page.getByRole('link', { name: 'Outbox' }).click();
        await page.locator(`#outbox-list tr[data-id="${id}"][data-state="sent"]`).waitFor({ timeout: 15_000 });
        await page.getByRole('link', { name: `Show mail #${id}: Waits for the CA 7241` }).click();
        await page.locator('#mail-attempts li[data-outcome="accepted"]').waitFor();
        assert.match(await page.locator('#mail-attempts li[data-outcome="deferred"]').first().innerText(), /smtp_certificate_untrusted/, 'deferred, not given up');

        // The test mail agrees with the worker.
        await page.getByRole('link', { name: 'Email server' }).click();
        await sendTestMail(page, 'after-renewal@example.org');
        await testMailSent(page, 'after-renewal@example.org').waitFor({ timeout: 20_000 });
        await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'after-renewal@example.org');
      });
    } finally {
      await setMail({ mail_retry_min_seconds: null, mail_retry_max_seconds: null });
    }
  });

  it('browsing the send modes with the keyboard saves nothing until Enter or leaving the field; a click saves at once', async () => {
    await setMail({ ...postfixSmtp(), mail_smtptls_ca: postfix.certPath });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const saves = savesOf(page);
      const mode = page.getByLabel('Send mode');
      assert.equal(await mode.inputValue(), 'smtp');
      await mode.focus();
      // Down past Sendmail to qmail: the live mode stays SMTP, and the SMTP fields stay.
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      assert.equal(await mode.inputValue(), 'qmail', 'the select shows the option browsed to');
      await waitForDescription(mode, /Not saved yet: press Enter to save this choice/);
      await page.waitForTimeout(500);
      assert.deepEqual(saves, [], 'no save while browsing');
      assert.equal((await setting('mail_smtpmode')).value, 'smtp');
      assert.equal(await page.getByLabel('Server address').count(), 1, 'the page still shows the saved mode');
      // Escape: back to the saved one, nothing saved.
      await page.keyboard.press('Escape');
      assert.equal(await mode.inputValue(), 'smtp');
      assert.deepEqual(saves, []);

      // Enter saves the option browsed to.
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await waitForDescription(mode, /✓ Saved/);
      assert.deepEqual(
        saves.map((s) => JSON.parse(s) as unknown),
        [{ mail_smtpmode: 'sendmail' }],
        'one save, of the mode chosen',
      );
      assert.equal((await setting('mail_smtpmode')).value, 'sendmail');
      assert.equal(await page.getByLabel('Server address').count(), 0, 'the SMTP fields went with the mode');

      // Browsing then leaving the field (Tab) saves, as a keyboard user expects.
      await mode.focus();
      await page.keyboard.press('ArrowUp');
      await page.waitForTimeout(300);
      assert.equal(saves.length, 1);
      await page.keyboard.press('Tab');
      await eventually(async () => (await setting('mail_smtpmode')).value === 'smtp', 'leaving the field saved smtp');
      assert.equal(saves.length, 2);

      // The mouse (or the opened list) picks and saves at once.
      await mode.selectOption('capture');
      await eventually(async () => (await setting('mail_smtpmode')).value === 'capture', 'a click saves at once');
      await mode.selectOption({ label: 'SMTP' });
      await eventually(async () => (await setting('mail_smtpmode')).value === 'smtp', 'and back');
      assert.equal(saves.length, 4);
    });
  });

  it('a refused value stays in its field with its message while another field is saved, until it is corrected', async () => {
    await setMail({ ...postfixSmtp(), mail_smtptls_ca: postfix.certPath });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const port = page.getByLabel('Port');
      await typeInto(port, '70000');
      const message = await waitForDescription(port, /between 1 and 65535/);
      assert.match(message, /mail_smtpport/);

      // Another field saves; the refused port and its message stay as they were.
      await typeInto(page.getByLabel('Mail domain, the part after @'), 'example.net');
      await waitForDescription(page.getByLabel('Mail domain, the part after @'), /✓ Saved/);
      assert.equal((await setting('mail_domain')).value, 'example.net');
      assert.equal(await port.inputValue(), '70000', 'the refused value is still in its field');
      assert.match(await descriptionOf(port), /between 1 and 65535/, 'with its message');
      assert.equal(await port.getAttribute('aria-invalid'), 'true');
      assert.equal((await setting('mail_smtpport')).value, postfix.smtpPort, 'and nothing of it was saved');

      // Corrected: saved, and the message goes.
      await typeInto(port, '2525');
      await waitForDescription(port, /✓ Saved/);
      assert.equal(await port.getAttribute('aria-invalid'), null);
      assert.equal((await setting('mail_smtpport')).value, 2525);
      await setMail({ mail_smtpport: postfix.smtpPort, mail_domain: 'example.org' });
    });
  });

  it('keeps what is being typed in a field when the save of the field before it answers meanwhile', async () => {
    await setMail({ ...postfixSmtp(), mail_smtptls_ca: postfix.certPath });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      // The server's answer to the address is held until the port is half typed.
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/v1/settings/mail', async (route) => {
        if (route.request().method() === 'PATCH' && (route.request().postData() ?? '').includes('mail_smtphost')) await held;
        await route.continue();
      });
      const host = page.getByLabel('Server address');
      await host.fill('localhost');
      const answered = page.waitForResponse((r) => r.request().method() === 'PATCH' && (r.request().postData() ?? '').includes('mail_smtphost'));
      await host.press('Tab');
      assert.equal(await focusedId(page), 'f-mail_smtpport', 'Tab leads to the port');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('25');
      release();
      await answered;
      await waitForDescription(host, /✓ Saved/);
      await page.keyboard.type('25');
      assert.equal(await page.getByLabel('Port').inputValue(), '2525', 'nothing typed was lost to the answer');
      await page.keyboard.press('Tab');
      await eventually(async () => (await setting('mail_smtpport')).value === 2525, 'the port typed is saved');
    });
    await setMail(postfixSmtp());
  });

  it('flags a CA path the server cannot use as soon as it is saved, with one answer whatever the reason', async () => {
    await setMail({ ...postfixSmtp(), mail_smtptls_ca: '' });
    const secret = join(dir, 'secret.txt');
    await writeFile(secret, 'not a certificate\n', { mode: 0o600 });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const ca = page.getByLabel('CA certificate file');
      const flags: string[] = [];
      for (const path of [join(dir, 'no-such-ca.pem'), dir, secret]) {
        await typeInto(ca, path);
        // Saved (the host's admin may put the file there next), and flagged at once, before any test mail.
        await waitForDescription(ca, /✓ Saved/);
        const description = await waitForDescription(ca, /Mailroom cannot use this file/);
        assert.equal(await ca.getAttribute('aria-invalid'), 'true');
        assert.doesNotMatch(description, /ENOENT|EISDIR|EACCES|directory|not a certificate/i);
        flags.push(description.replace(/✓ Saved/, ''));
        const saved = await setting('mail_smtptls_ca');
        assert.deepEqual({ value: saved.value, fileUsable: saved.fileUsable }, { value: path, fileUsable: false });
      }
      assert.equal(new Set(flags).size, 1, `one answer for every unusable path:\n${flags.join('\n')}`);

      await typeInto(ca, postfix.certPath);
      await waitForDescription(ca, /✓ Saved/);
      await eventually(async () => !/cannot use this file/.test(await descriptionOf(ca)), 'the flag goes with a usable file');
      assert.equal(await ca.getAttribute('aria-invalid'), null);
      assert.equal((await setting('mail_smtptls_ca')).fileUsable, true);
    });
  });

  it('flags a program path with no program behind it under its field when the page opens, and not one that runs', async () => {
    // The program paths are the host's to set (config file or environment), never the page's.
    const missing = join(dir, 'no-such-sendmail');
    const elsewhere = await startMailroom({ env: { MAILROOM_MAIL_SENDMAIL_PATH: missing, MAILROOM_MAIL_QMAIL_PATH: process.execPath } });
    try {
      await elsewhere.ctx.settings.update({ mail_smtpmode: 'sendmail' });
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, elsewhere.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        const path = page.getByLabel('Path of sendmail');
        assert.equal(await path.inputValue(), missing);
        const description = await waitForDescription(path, /No program Mailroom can run is at this path on the server/);
        assert.match(description, /mailroom doctor tells why/);
        assert.equal(await path.getAttribute('aria-invalid'), 'true');

        // A program that runs (node itself, as qmail's) is not flagged.
        await page.getByLabel('Send mode').selectOption({ label: 'qmail' });
        await waitForDescription(page.getByLabel('Send mode'), /✓ Saved/);
        const qmail = page.getByLabel('Path of qmail’s sendmail');
        assert.equal(await qmail.inputValue(), process.execPath);
        assert.doesNotMatch(await descriptionOf(qmail), /No program/);
        assert.equal(await qmail.getAttribute('aria-invalid'), null);
      });
    } finally {
      await elsewhere.close();
    }
  });

  it('"Detect settings" with a failover list probes every server, shows what it found and the changes, saves only on Apply, and keeps the list', { timeout: 90_000 }, async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const live = `localhost:${postfix.smtpPort}`;
    const list = `${dead};${live}`;
    await setMail({ ...postfixSmtp(), mail_smtphost: list, mail_smtpsecure: '', mail_smtpauth: false, mail_smtptls_ca: postfix.certPath });
    const fingerprint = new X509Certificate(await readFile(postfix.certPath)).fingerprint256;
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const saves = savesOf(page);
      const probe = page.getByLabel('Mail server to probe');
      assert.equal(await probe.inputValue(), list, 'the whole list is probed, not its first server');
      await page.getByRole('button', { name: 'Detect settings' }).click();
      await page.getByText('Found working settings. Nothing is saved until you apply them.').waitFor({ timeout: 30_000 });

      // What it found, server by server.
      const summary = page.locator('.detect-summary');
      const servers = summary.locator('.detect-server');
      assert.equal(await servers.count(), 2);
      assert.match(await servers.nth(0).innerText(), new RegExp(`Server 127\\.0\\.0\\.1[\\s\\S]*Port ${dead.split(':')[1]}[\\s\\S]*not reachable`));
      const found = await servers.nth(1).innerText();
      assert.match(found, new RegExp(`Server localhost[\\s\\S]*Port ${postfix.smtpPort}`));
      assert.match(found, /STARTTLS; AUTH: PLAIN LOGIN|STARTTLS; AUTH: LOGIN PLAIN/);
      assert.match(found, /Certificate: .*CN=.*\(trusted\)/);
      assert.match(found, /Expires: \d{4}-\d{2}-\d{2}T/);
      assert.ok(found.includes(`SHA-256 fingerprint: ${fingerprint}`), `the fingerprint of Postfix's certificate: ${found}`);

      // What applying would change: the encryption and the login, not the list.
      const rows = (await page.locator('table.detect-changes tr').allInnerTexts()).map((row) => row.replace(/\s+/g, ' ').trim());
      // Postfix's PLAIN is already the method saved, and the port is the list's own: neither changes.
      assert.deepEqual(rows, ['Encryption None / STARTTLS when offered → STARTTLS required (usually port 587)', 'Authentication required No → Yes']);
      assert.ok(!rows.some((row) => row.startsWith('Server address')), `the list is not changed: ${rows.join(' | ')}`);
      await page.getByText('The failover list is kept: each of its 2 servers was probed').waitFor();
      assert.deepEqual(saves, [], 'nothing saved before Apply');
      // The facts and the changes fit a phone's width.
      await page.setViewportSize(PHONE);
      assert.equal((await scrollsSideways(page)).sideways, false, 'no sideways scrolling on a phone');
      await page.setViewportSize(DESKTOP);

      // Cancel changes nothing.
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByText('Nothing was changed.').waitFor();
      assert.equal((await setting('mail_smtpsecure')).value, '');
      assert.deepEqual(saves, []);

      // Apply saves exactly the changes shown, and the list stays.
      await page.getByRole('button', { name: 'Detect settings' }).click();
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('Applied and saved.').waitFor();
      assert.equal(saves.length, 1);
      assert.equal((JSON.parse(saves[0] ?? '{}') as Record<string, unknown>)['mail_smtphost'], undefined, 'the list is not even sent');
      assert.equal((await setting('mail_smtphost')).value, list);
      assert.equal((await setting('mail_smtpsecure')).value, 'tls');
      assert.equal((await setting('mail_smtpauth')).value, true);
      assert.equal(await page.getByLabel('Server address').inputValue(), list);
      assert.equal(await page.getByLabel('Encryption').inputValue(), 'tls');

      // One server typed into Detect instead of the list: the proposal says it replaces the list.
      await probe.fill(live);
      await page.getByRole('button', { name: 'Detect settings' }).click();
      await page.getByText('This replaces the failover list of 2 servers with one server.').waitFor({ timeout: 30_000 });
      const replacing = (await page.locator('table.detect-changes tr').allInnerTexts()).map((row) => row.replace(/\s+/g, ' ').trim());
      assert.ok(replacing.includes(`Server address ${list} → localhost`), replacing.join(' | '));
      await page.getByRole('button', { name: 'Cancel' }).click();
      assert.equal((await setting('mail_smtphost')).value, list);
    });
  });
});
