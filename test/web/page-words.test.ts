/**
 * The Email server page says its diagnoses in its own words, in a real browser (chromium) against
 * a real Mailroom and the suite's real Postfix: an untrusted certificate names the "CA
 * certificate file" field, nothing listening names "Server address" and "Port" (each a button to
 * its field, the setting's key in brackets), never the CLI's words; a server that never greets
 * shows what the page waits for and for how long; capture mode says the mail was kept, not sent,
 * with a link to it; sendmail's output is "Program output".
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, focusedId, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser, sendTestMail, testMailSent } from '../support/browser.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { freePort, startPostfix, type PostfixServer } from '../support/servers.ts';

describe("the Email server page's words for a test mail", () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;
  let stubDir: string;
  /** Accepts connections and never says a word: a server that does not greet. */
  let silent: Server;
  const sockets: Socket[] = [];

  before(async () => {
    stubDir = await mkdtemp(join(tmpdir(), 'mailroom-sendmail-stub-'));
    const stub = join(stubDir, 'sendmail');
    // Takes the mail from stdin and says so, as sendmail programs do.
    await writeFile(stub, '#!/bin/sh\nbytes=$(wc -c)\necho "stub sendmail: took $bytes bytes"\n');
    await chmod(stub, 0o755);
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    [postfix, browser] = await Promise.all([startPostfix(), launchBrowser()]);
    mailroom = await startMailroom({ env: { MAILROOM_MAIL_SENDMAIL_PATH: stub } });
  });

  after(async () => {
    try {
      await browser?.close();
      await mailroom?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent?.close(resolve));
      await rm(stubDir, { recursive: true, force: true });
    } finally {
      await postfix?.stop();
    }
  });

  async function configure(settings: Record<string, unknown>) {
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: settings });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  /** Opens the Email server page and sends the test mail from it. */
  async function sendTestMailFromPage(page: Page, to: string) {
    await page.goto(`${mailroom.url}/admin/email`);
    await page.getByRole('heading', { level: 1, name: 'Email server' }).waitFor();
    await sendTestMail(page, to);
  }

  async function failureOf(page: Page) {
    const failure = page.getByRole('alert').filter({ hasText: 'The test mail was not sent.' });
    await failure.waitFor({ timeout: 20_000 });
    return failure;
  }

  it('asks for an address in the words of the page when there is none to send to', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.getByRole('button', { name: 'Send email' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'No address to send the test mail to' });
      await refused.waitFor();
      const text = await refused.innerText();
      assert.match(text, /fill in “Send the test mail to”, or set your own email address on the Personal page/);
      assert.doesNotMatch(text, /--to/, "not the CLI's option");
    });
  });

  it('names the CA certificate file for an untrusted certificate, with a button to the field', async () => {
    await configure({ ...postfixSettings(postfix), mail_smtptls_ca: null });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await sendTestMailFromPage(page, 'untrusted@example.org');
      const failure = await failureOf(page);
      const text = await failure.innerText();
      assert.match(text, /smtp_certificate_untrusted/);
      assert.match(text, /self-signed or from a CA this machine does not trust/, 'the problem');
      assert.match(text, /Check CA certificate file \(mail_smtptls_ca\)\./, "the field by the page's label, its key after it");
      assert.doesNotMatch(text, /set mail_smtptls_ca to its path/, "not the CLI's words");
      await failure.getByRole('button', { name: 'CA certificate file', exact: true }).click();
      assert.equal(await focusedId(page), 'f-mail_smtptls_ca', 'the button goes to the field');

      // What Detect settings found names the field too, and its own button rather than mail:detect.
      await page.getByLabel('Mail server to probe').fill(`127.0.0.1:${postfix.smtpPort}`);
      await page.getByRole('button', { name: 'Detect settings' }).click();
      const notes = page.locator('#detect-title').locator('xpath=..').locator('ul.notes li');
      await notes.first().waitFor({ timeout: 30_000 });
      const said = (await notes.allInnerTexts()).join('\n');
      assert.match(said, /the certificate is self-signed: put the CA's PEM file in “CA certificate file” \(mail_smtptls_ca\)/);
      assert.match(said, /then press “Detect settings” again with that CA/);
      assert.doesNotMatch(said, /mail:detect/);
    });
  });

  it('names Server address and Port when nothing listens there, and points to Detect settings', async () => {
    await configure({ ...postfixSettings(postfix), mail_smtpport: await freePort() });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await sendTestMailFromPage(page, 'refused@example.org');
      const text = await (await failureOf(page)).innerText();
      assert.match(text, /smtp_connection_refused/);
      assert.match(text, /Nothing accepts connections at 127\.0\.0\.1:\d+/);
      assert.match(text, /Check Server address \(mail_smtphost\), Port \(mail_smtpport\)\./);
      assert.match(text, /Press “Detect settings” below/);
      assert.doesNotMatch(text, /check mail_smtphost and mail_smtpport/, "not the CLI's words");
    });
    // The Chinese page (the admin's own language) words the same diagnosis with its own labels.
    assert.equal((await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'zh-CN' } })).status, 200);
    try {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.getByRole('heading', { level: 1, name: '邮件服务器' }).waitFor();
        await page.getByLabel('测试邮件发送到').fill('refused@example.org');
        await page.getByRole('button', { name: '发送邮件' }).click();
        const failure = page.getByRole('alert').filter({ hasText: 'smtp_connection_refused' });
        await failure.waitFor({ timeout: 20_000 });
        const text = await failure.innerText();
        assert.match(text, /请检查服务器地址 \(mail_smtphost\)、端口 \(mail_smtpport\)。/);
        assert.match(text, /点击下方的“检测设置”/);
      });
    } finally {
      assert.equal((await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'en' } })).status, 200);
    }
  });

  it('shows what it waits for, and for how long, while the server does not greet', async () => {
    const port = (silent.address() as { port: number }).port;
    await configure({ ...postfixSettings(postfix), mail_smtpport: port, mail_smtpsecure: '', mail_smtptimeout: 3 });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await sendTestMailFromPage(page, 'silent@example.org');
      const progress = page.locator('.test-progress');
      await progress.filter({ hasText: `Waiting for 127.0.0.1:${port} to accept the connection and send its greeting, then for each of its answers (up to 3 s each)… ` }).waitFor();
      // The seconds count up while it waits.
      await progress.filter({ hasText: /… [1-9]\d* s$/ }).waitFor({ timeout: 5_000 });
      const text = await (await failureOf(page)).innerText();
      assert.match(text, /smtp_timeout/);
      assert.match(text, new RegExp(`127\\.0\\.0\\.1:${port} did not connect or greet within 3 s`));
      assert.match(text, /Check Server address \(mail_smtphost\), Port \(mail_smtpport\), Timeout \(seconds\) \(mail_smtptimeout\)\./);
      assert.equal(await progress.count(), 0, 'the progress line goes with the answer');
    });
  });

  it('says a captured test mail was kept, not sent, and links to the captured mails', async () => {
    await configure({ mail_smtpmode: 'capture' });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await sendTestMailFromPage(page, 'kept@example.org');
      const kept = page.getByRole('status').filter({ hasText: /^Kept, not sent, as captured mail \d+\./ });
      await kept.waitFor();
      const captured = await mailroom.api<{ mails: Array<{ id: number; envelopeTo?: string[] }> }>('GET', '/api/v1/captured');
      assert.equal(captured.status, 200, JSON.stringify(captured.body));
      const newest = captured.body.mails[0];
      assert.ok(newest, 'the mail was captured');
      assert.match(await kept.innerText(), new RegExp(`captured mail ${newest.id}\\.`), "the captured mail's number");
      assert.doesNotMatch(await kept.innerText(), /was sent/);
      assert.equal(await kept.getByRole('link', { name: 'Show the captured mails' }).getAttribute('href'), '/admin/outbox/captured');
    });
  });

  it("titles sendmail's output Program output, not SMTP conversation", async () => {
    await configure({ mail_smtpmode: 'sendmail', mail_smtpdebug: true });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await sendTestMailFromPage(page, 'program@example.org');
      await testMailSent(page, 'program@example.org').waitFor({ timeout: 20_000 });
      const output = page.locator('details', { has: page.getByText('Program output', { exact: true }) }).locator('pre');
      assert.match(await output.innerText(), /running /, "the program's run");
      assert.equal(await page.getByText('SMTP conversation', { exact: true }).count(), 0);
    });
  });
});
