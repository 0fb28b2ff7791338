import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { postfixSettings, deliverQueued } from '../support/mail-fixtures.ts';
import { freePort, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

interface Row {
  id: number;
  state: string;
  attempts: number;
  lastReply: string | null;
  lastError: string | null;
  nextAttemptAt: number;
  acceptedBy: string | null;
  history: Array<{ outcome: string; reply: string | null }>;
}

describe('the outbox worker', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let now = Date.parse('2026-11-26T10:00:00Z');
  const clock = { now: () => new Date(now) };
  const sinks: SmtpSink[] = [];

  before(async () => {
    postfix = await startPostfix();
    mailroom = await startTestMailroom({
      prefix: 'mailroom-worker-',
      env: { MAILROOM_WORKER_IDLE_MS: '20' },
      clock,
      settings: {
        ...postfixSettings(postfix),
        mail_smtphost: `127.0.0.1:${postfix.smtpPort}`,
        mail_smtptimeout: 3,
        mail_domain: 'cloud.example.com',
      },
    });
    ctx = mailroom.ctx;
  });

  after(async () => {
    await mailroom?.close();
    await Promise.all(sinks.map((s) => s.stop()));
    await postfix?.stop();
  });

  const show = async (id: number) => (await ctx.outbox.show(id)) as Row;
  /** Runs one worker until nothing is due, as `mailroom worker` would between polls. */
  async function drain(): Promise<void> {
    await deliverQueued(ctx);
  }

  it('delivers queued mails and records who accepted them', async () => {
    const results = await ctx.outbox.send([
      { to: 'alice@example.com', subject: 'outbox one', text: 'first' },
      { to: 'bob@example.com', subject: 'outbox two', html: '<p>second</p>', key: 'k-2' },
    ]);
    const again = await ctx.outbox.send([{ to: 'bob@example.com', subject: 'outbox two', html: '<p>second</p>', key: 'k-2' }]);
    assert.deepEqual(again, [{ id: results[1]?.id, duplicate: true }]);
    assert.equal((await show(results[0]?.id as number)).state, 'queued');
    await drain();
    for (const [i, r] of results.entries()) {
      const row = await show(r.id);
      assert.equal(row.state, 'sent');
      assert.equal(row.acceptedBy, `127.0.0.1:${postfix.smtpPort}`);
      assert.match(row.lastReply ?? '', /^250 .*queued as/);
      const mail = await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === `outbox ${i === 0 ? 'one' : 'two'}`);
      assert.match(mail.headers.get('message-id') ?? '', /@cloud\.example\.com>$/);
    }
    assert.equal((await ctx.outbox.counts()).sent, 2);
  });

  it('keeps mails queued with the next attempt visible while every server is down, then sends them', async () => {
    const deadPort = await freePort();
    await ctx.settings.update({ mail_smtphost: `127.0.0.1:${deadPort}`, mail_smtpsecure: '', mail_smtpauth: false });
    const [queued] = await ctx.outbox.send([{ to: 'carol@example.com', subject: 'while down', text: 'wait for me' }]);
    await drain();
    const waiting = await show(queued?.id as number);
    assert.equal(waiting.state, 'queued');
    assert.equal(waiting.attempts, 1);
    assert.ok(waiting.nextAttemptAt >= now + 48_000 && waiting.nextAttemptAt <= now + 72_000, 'the first retry comes about a minute later');
    assert.match(waiting.lastError ?? '', /smtp_connection_refused/);
    // The server comes back (a sink on the same port); nothing happens before the retry is due.
    const sink = await startSmtpSink([], deadPort);
    sinks.push(sink);
    await drain();
    assert.equal((await show(queued?.id as number)).state, 'queued');
    now += 5 * 60_000;
    await drain();
    const sent = await show(queued?.id as number);
    assert.equal(sent.state, 'sent');
    assert.equal(sent.attempts, 2);
    assert.equal(sent.history.length, 1, 'the failed attempt stays in the history');
  });

  it('retries a 450 to RCPT and fails a 550 at once, keeping the reply', async () => {
    const soft = await startSmtpSink(['-r', 'RCPT']);
    const hard = await startSmtpSink(['-f', 'RCPT']);
    sinks.push(soft, hard);
    await ctx.settings.update({ mail_smtphost: `127.0.0.1:${soft.port}` });
    const [deferred] = await ctx.outbox.send([{ to: 'dave@example.com', subject: 'soft', text: 'x' }]);
    await drain();
    const d = await show(deferred?.id as number);
    assert.equal(d.state, 'queued');
    assert.match(d.lastReply ?? '', /^4\d\d /);
    await ctx.settings.update({ mail_smtphost: `127.0.0.1:${hard.port}` });
    const [failed] = await ctx.outbox.send([{ to: 'erin@example.com', subject: 'hard', text: 'x' }]);
    await drain();
    const f = await show(failed?.id as number);
    assert.equal(f.state, 'failed');
    assert.match(f.lastReply ?? '', /^5\d\d /);
    assert.equal(f.attempts, 1);
    // The admin fixes the server; retrying the failed mail sends it.
    await ctx.settings.update({ mail_smtphost: `127.0.0.1:${sinks[0]?.port}` });
    await ctx.outbox.retry(failed?.id as number);
    now += 6 * 3600_000;
    await drain();
    assert.equal((await show(failed?.id as number)).state, 'sent');
    assert.equal((await show(deferred?.id as number)).state, 'sent');
  });

  it('uses a CA file renewed in place at the next attempt, with the same worker and no settings change', async () => {
    // A CA that signed nothing Postfix shows, at the path the setting names; then Postfix's own, written over it.
    const caPath = join(mailroom.dir, 'renewed-ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(mailroom.dir, 'wrong-ca.key'), '-out', caPath, '-days', '2', '-subj', '/CN=Not Postfix CA'], { stdio: 'ignore' });
    const changes = { ...postfixSettings(postfix), mail_smtphost: `127.0.0.1:${postfix.smtpPort}`, mail_smtptls_ca: caPath };
    const settingsBefore = await ctx.settings.get();
    await ctx.settings.update(changes);
    const worker = ctx.createWorker();
    try {
      const [mail] = await ctx.outbox.send([{ to: 'renewed@example.com', subject: 'after the renewal', text: 'x' }]);
      assert.equal(await worker.runOnce(), 1);
      const refused = await show(mail?.id as number);
      assert.equal(refused.state, 'queued');
      assert.match(refused.lastError ?? '', /smtp_certificate_untrusted|self-signed or from a CA this machine does not trust/);
      const inode = (await stat(caPath)).ino;
      await writeFile(caPath, await readFile(postfix.certPath));
      assert.equal((await stat(caPath)).ino, inode, 'rewritten in place');
      now += 5 * 60_000;
      assert.equal(await worker.runOnce(), 1);
      const sent = await show(mail?.id as number);
      assert.equal(sent.state, 'sent', sent.lastError ?? '');
      assert.equal(sent.attempts, 2);
      await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === 'after the renewal');
    } finally {
      await worker.stop();
      // The tests after this one go on with the settings they found.
      await ctx.settings.update(Object.fromEntries(Object.keys(changes).map((key) => [key, settingsBefore[key as keyof typeof settingsBefore]])));
    }
  });

  it('gives up on a mail still deferred after the give-up time', async () => {
    await ctx.settings.update({ mail_smtphost: `127.0.0.1:${await freePort()}`, mail_retry_give_up_hours: 1 });
    const [mail] = await ctx.outbox.send([{ to: 'frank@example.com', subject: 'give up', text: 'x' }]);
    for (let i = 0; i < 10 && (await show(mail?.id as number)).state === 'queued'; i++) {
      await drain();
      now += 30 * 60_000;
    }
    const row = await show(mail?.id as number);
    assert.equal(row.state, 'failed');
    assert.match(row.lastError ?? '', /gave up after \d+ attempts/);
    await ctx.settings.update({ mail_retry_give_up_hours: 72 });
  });

  it('picks up changed settings while it runs, and exports metrics', async () => {
    const first = await startSmtpSink();
    const second = await startSmtpSink();
    sinks.push(first, second);
    await ctx.settings.update({ mail_smtphost: `127.0.0.1:${first.port}` });
    const worker = ctx.createWorker();
    worker.start();
    try {
      const [a] = await ctx.outbox.send([{ to: 'gina@example.com', subject: 'to first', text: 'x' }]);
      await waitFor(async () => (await show(a?.id as number)).state === 'sent');
      assert.equal((await show(a?.id as number)).acceptedBy, `127.0.0.1:${first.port}`);
      await ctx.settings.update({ mail_smtphost: `127.0.0.1:${second.port}` });
      const [b] = await ctx.outbox.send([{ to: 'hank@example.com', subject: 'to second', text: 'x' }]);
      await waitFor(async () => (await show(b?.id as number)).state === 'sent');
      assert.equal((await show(b?.id as number)).acceptedBy, `127.0.0.1:${second.port}`);
    } finally {
      await worker.stop();
    }
    const metrics = await ctx.metrics();
    assert.match(metrics, /^mailroom_outbox_mails\{state="sent"\} \d+$/m);
    assert.match(metrics, /^mailroom_sent_total [1-9]\d*$/m);
    assert.match(metrics, /^mailroom_send_seconds_count [1-9]\d*$/m);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
