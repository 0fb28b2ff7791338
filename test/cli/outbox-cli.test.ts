/**
 * End-to-end tests of the outbox commands (`mail:send`, `outbox:*`, `worker`), run as a user
 * runs them: `node bin/mailroom.mjs …` in a folder of its own, a Postfix smtp-sink as the mail
 * server of the worker. The groups run side by side; runMailroom() keeps the machine from being
 * oversubscribed. Row counts are read from the SQLite file directly, which costs no command.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { OutboxAttempt, OutboxRow } from '../../src/domain/outbox.ts';
import { cleanEnv, mailroomBin, mailroomOk, runMailroom } from '../support/run-mailroom.ts';
import { freePort } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

interface OutboxListing {
  counts: Record<string, number>;
  mails: OutboxRow[];
}

const folders: string[] = [];
const sinks: SmtpSink[] = [];

/** A fresh working folder: the command keeps ./data in it. */
async function workFolder(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-outbox-cli-')));
  folders.push(dir);
  return dir;
}

function database(cwd: string, readonly = true): BetterSqlite3.Database {
  return new BetterSqlite3(join(cwd, 'data', 'mailroom.sqlite'), { readonly });
}

/** Every row of the outbox as the database holds it, oldest first. */
function outboxRows(cwd: string): Array<{ id: number; state: string; recipients: string }> {
  const db = database(cwd);
  try {
    return db.prepare('SELECT id, state, recipients FROM outbox ORDER BY id').all() as Array<{ id: number; state: string; recipients: string }>;
  } finally {
    db.close();
  }
}

function jsonLines(messages: readonly unknown[]): string {
  return `${messages.map((m) => JSON.stringify(m)).join('\n')}\n`;
}

describe('the outbox commands', { concurrency: true }, () => {
  after(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  describe('mail:send', { concurrency: 1 }, () => {
    let cwd: string;
    let firstId = 0;

    before(async () => {
      cwd = await workFolder();
    });

    it('queues one mail from --to, --subject and --text and prints its id', async () => {
      const result = await mailroomOk(['mail:send', '--to', 'x@example.com', '--subject', 'S', '--text', 'T'], { cwd });
      assert.match(result.stdout, /^\d+\n$/);
      firstId = Number(result.stdout);
      assert.deepEqual(outboxRows(cwd), [{ id: firstId, state: 'queued', recipients: '["x@example.com"]' }]);
    });

    it('shows that mail with outbox:show ID --json, as JSON with its fixed Message-ID', async () => {
      const { stdout } = await mailroomOk(['outbox:show', String(firstId), '--json'], { cwd });
      const mail = JSON.parse(stdout) as OutboxRow & { raw: string; history: OutboxAttempt[] };
      assert.equal(mail.id, firstId);
      assert.equal(mail.state, 'queued');
      assert.equal(mail.attempts, 0);
      assert.deepEqual(mail.recipients, ['x@example.com']);
      assert.equal(mail.subject, 'S');
      assert.deepEqual(mail.history, []);
      assert.match(mail.messageId, /^<[^<>@\s]+@localhost>$/);
      assert.ok(mail.raw.includes(`Message-ID: ${mail.messageId}`), 'the stored message carries that Message-ID');
    });

    it('queues one mail when the same --key is given twice, printing the same id both times', async () => {
      const args = ['mail:send', '--to', 'keyed@example.com', '--subject', 'Once', '--text', 'T', '--key', 'invoice-17'];
      const first = await mailroomOk(args, { cwd });
      const second = await mailroomOk(args, { cwd });
      assert.match(first.stdout, /^\d+\n$/);
      assert.equal(second.stdout, first.stdout);
      assert.equal(outboxRows(cwd).filter((r) => r.recipients === '["keyed@example.com"]').length, 1);
    });

    it('queues every line of a --jsonl file and says how many', async () => {
      const file = join(cwd, 'three.jsonl');
      await writeFile(file, jsonLines([1, 2, 3].map((n) => ({ to: `line-${n}@example.com`, subject: `Line ${n}`, ...(n === 3 ? { html: '<p>3</p>' } : { text: String(n) }) }))));
      const before = outboxRows(cwd).length;
      const result = await mailroomOk(['mail:send', '--jsonl', file], { cwd });
      assert.equal(result.stdout, '3 queued\n');
      assert.equal(outboxRows(cwd).length, before + 3);
    });

    it('exits with 2 naming line 2 when that line holds a bad address, and queues none of the file', async () => {
      const file = join(cwd, 'bad-line-2.jsonl');
      await writeFile(
        file,
        jsonLines([
          { to: 'ok-1@example.com', subject: 'A', text: 'x' },
          { to: 'a@b@c', subject: 'B', text: 'x' },
          { to: 'ok-3@example.com', subject: 'C', text: 'x' },
        ]),
      );
      const before = outboxRows(cwd).length;
      const result = await runMailroom(['mail:send', '--jsonl', file], { cwd });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^mailroom: line 2: recipient "a@b@c" is not a valid email address/m);
      assert.equal(result.stdout, '');
      assert.equal(outboxRows(cwd).length, before);
    });

    it('checks a file of more than 1000 lines whole before queueing any of it', async () => {
      const file = join(cwd, 'bad-line-1001.jsonl');
      const messages = Array.from({ length: 1001 }, (_, i) => ({ to: `bulk-${i + 1}@example.com`, subject: i === 1000 ? 'Hi\r\nBcc: all@example.com' : 'Bulk', text: 'x' }));
      await writeFile(file, jsonLines(messages));
      const before = outboxRows(cwd).length;
      const result = await runMailroom(['mail:send', '--jsonl', file], { cwd });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /line 1001: subject must not contain a line break/);
      assert.equal(outboxRows(cwd).length, before, 'the first 1000 lines were not queued either');
    });

    it('exits with 2 and says what it needs when --to is missing', async () => {
      const before = outboxRows(cwd).length;
      const result = await runMailroom(['mail:send', '--subject', 'S', '--text', 'T'], { cwd });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /mail:send needs --to, --subject and --text or --html/);
      assert.equal(result.stdout, '');
      assert.equal(outboxRows(cwd).length, before);
    });
  });

  describe('mail:send with DKIM set up', { concurrency: 1 }, () => {
    it('queues a mail signed with the configured key', async () => {
      const cwd = await workFolder();
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      await mailroomOk(['config:set', 'mail_dkim_private_key', '-'], { cwd, input: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
      await mailroomOk(['config:set', 'mail_dkim_domain', 'example.com'], { cwd });
      await mailroomOk(['config:set', 'mail_dkim_selector', 'cli'], { cwd });
      const id = Number((await mailroomOk(['mail:send', '--to', 'signed@example.com', '--subject', 'Signed', '--text', 'Hello'], { cwd })).stdout);
      const db = database(cwd);
      let raw: Buffer;
      try {
        raw = (db.prepare('SELECT raw FROM outbox_bodies WHERE outbox_id = ?').get(id) as { raw: Buffer }).raw;
      } finally {
        db.close();
      }
      const resolver = async (name: string, rr: string) => {
        if (name === 'cli._domainkey.example.com' && rr === 'TXT') return [[`v=DKIM1; k=rsa; p=${publicB64}`]];
        throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
      };
      const result = await dkimVerify(raw, { resolver });
      assert.equal(result.results[0]?.status.result, 'pass', JSON.stringify(result.results[0]?.status));
    });
  });

  describe('outbox:list, outbox:retry and outbox:purge', { concurrency: 1 }, () => {
    let cwd: string;
    const daysAgo = (days: number) => Date.now() - days * 86_400_000;

    before(async () => {
      cwd = await workFolder();
      const file = join(cwd, 'three.jsonl');
      await writeFile(file, jsonLines(['a', 'b', 'c'].map((name) => ({ to: `${name}@example.com`, subject: `To ${name}`, text: 'x' }))));
      await mailroomOk(['mail:send', '--jsonl', file], { cwd });
      // As a worker would have left them: #1 failed three days ago, #2 failed just now with the
      // server's reply, #3 still queued since three days (a server that has been down).
      const db = database(cwd, false);
      try {
        const fail = db.prepare("UPDATE outbox SET state = 'failed', attempts = 1, last_error = ?, last_reply = ?, updated_at = ? WHERE id = ?");
        fail.run('smtp_recipient_rejected: gone', '550 5.1.1 <a@example.com>: Recipient address rejected', daysAgo(3), 1);
        fail.run('smtp_recipient_rejected: unknown user', '550 5.1.1 <b@example.com>: Recipient address rejected', Date.now(), 2);
        db.prepare('UPDATE outbox SET updated_at = ? WHERE id = 3').run(daysAgo(3));
      } finally {
        db.close();
      }
    });

    it('outbox:list shows the count of every state and each mail, a failed one with the reply', async () => {
      const { stdout } = await mailroomOk(['outbox:list'], { cwd });
      const lines = stdout.trimEnd().split('\n');
      assert.equal(lines[0], 'queued 1  sending 0  sent 0  failed 2  cancelled 0');
      assert.match(lines[1] ?? '', /^#3\s+queued\s+0×\s+c@example\.com\s+To c$/);
      assert.match(lines[2] ?? '', /^#2\s+failed\s+1×\s+b@example\.com\s+To b — 550 5\.1\.1 <b@example\.com>: Recipient address rejected$/);
      assert.match(lines[3] ?? '', /^#1\s+failed\s/);
      assert.equal(lines.length, 4);
    });

    it('outbox:list --search keeps the mails with the text in a recipient or the subject, any case', async () => {
      const byAddress = await mailroomOk(['outbox:list', '--search', 'B@EXAMPLE'], { cwd });
      assert.deepEqual(
        byAddress.stdout
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((l) => l.split(/\s+/)[0]),
        ['#2'],
      );
      const bySubject = JSON.parse((await mailroomOk(['outbox:list', '--search', 'to c', '--json'], { cwd })).stdout) as { mails: Array<{ id: number }>; next: number | null };
      assert.deepEqual(
        bySubject.mails.map((m) => m.id),
        [3],
      );
      assert.equal(bySubject.next, null);
    });

    it('outbox:send-now makes a queued mail due now, and refuses a failed one with exit 1 pointing to outbox:retry', async () => {
      const db = database(cwd, false);
      try {
        db.prepare('UPDATE outbox SET next_attempt_at = ? WHERE id = 3').run(Date.now() + 3_600_000);
      } finally {
        db.close();
      }
      assert.equal((await mailroomOk(['outbox:send-now', '3'], { cwd })).stdout, '#3 due now\n');
      const check = database(cwd, false);
      try {
        assert.ok(Number((check.prepare('SELECT next_attempt_at AS at FROM outbox WHERE id = 3').get() as { at: number }).at) <= Date.now());
      } finally {
        check.close();
      }
      const failed = await runMailroom(['outbox:send-now', '2'], { cwd });
      assert.equal(failed.code, 1);
      assert.equal(failed.stderr, 'mailroom: Mail #2 is failed: only a queued mail can be sent now; retry it instead, which queues it due at once\n');
    });

    it('outbox:list --status with an unknown state exits with 2 and names the states', async () => {
      const result = await runMailroom(['outbox:list', '--status', 'nope'], { cwd });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--status must be one of queued, sending, sent, failed, cancelled/);
      assert.equal(result.stdout, '');
    });

    it('outbox:retry without an id exits with 2 and asks for one or --all-failed', async () => {
      const result = await runMailroom(['outbox:retry'], { cwd });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /outbox:retry needs an ID or --all-failed/);
    });

    it('outbox:retry ID queues a failed mail again', async () => {
      const result = await mailroomOk(['outbox:retry', '2'], { cwd });
      assert.equal(result.stdout, '#2 queued again\n');
      assert.equal(outboxRows(cwd).find((r) => r.id === 2)?.state, 'queued');
    });

    it('outbox:retry of a mail that is queued exits with 2 and says only failed or cancelled ones can be', async () => {
      const result = await runMailroom(['outbox:retry', '3'], { cwd });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /Mail #3 is not failed or cancelled/);
    });

    it('outbox:purge --older-than 0 exits with 2 (a day at least) and deletes nothing', async () => {
      const result = await runMailroom(['outbox:purge', '--older-than', '0'], { cwd });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--older-than must be a whole number of 1 or more \(got "0"\)/);
      assert.equal(outboxRows(cwd).length, 3);
    });

    it('outbox:purge --older-than 2 deletes the old failed mail and keeps the queued one however old', async () => {
      const result = await mailroomOk(['outbox:purge', '--older-than', '2'], { cwd });
      assert.equal(result.stdout, '1 mail(s) removed\n');
      assert.deepEqual(
        outboxRows(cwd).map((r) => [r.id, r.state]),
        [
          [2, 'queued'],
          [3, 'queued'],
        ],
      );
    });

    it('outbox:cancel cancels queued mails, and with one it cannot cancel still cancels the others and exits with 1 naming it', async () => {
      assert.equal((await mailroomOk(['outbox:cancel', '3'], { cwd })).stdout, '#3 cancelled\n');
      assert.equal(outboxRows(cwd).find((r) => r.id === 3)?.state, 'cancelled');

      const result = await runMailroom(['outbox:cancel', '3', '2'], { cwd });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '#2 cancelled\n');
      assert.equal(result.stderr, 'mailroom: Mail #3 is cancelled: it was cancelled already\nmailroom: 1 of 2 mails not cancelled\n');
      assert.deepEqual(
        outboxRows(cwd).map((r) => [r.id, r.state]),
        [
          [2, 'cancelled'],
          [3, 'cancelled'],
        ],
      );
      const missing = await runMailroom(['outbox:cancel', '99'], { cwd });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No mail #99 in the outbox/);
      assert.equal((await mailroomOk(['outbox:retry', '3'], { cwd })).stdout, '#3 queued again\n', 'retry takes a cancelled mail back');
    });
  });

  describe('worker', { concurrency: 1 }, () => {
    it('delivers the queued mails, also ones queued while it runs, shows its counters on its metrics port with the token, and exits with 0 on SIGTERM', async () => {
      const [cwd, sink, metricsPort] = await Promise.all([workFolder(), startSmtpSink(), freePort()]);
      sinks.push(sink);
      const file = join(cwd, 'two.jsonl');
      await writeFile(
        file,
        jsonLines([
          { to: 'w1@example.com', subject: 'W1', text: 'x' },
          { to: 'w2@example.com', subject: 'W2', text: 'x' },
        ]),
      );
      assert.equal((await mailroomOk(['mail:send', '--jsonl', file], { cwd })).stdout, '2 queued\n');

      const metricsToken = 'worker-metrics-token-4f7a91';
      const env = cleanEnv({
        MAILROOM_MAIL_SMTPMODE: 'smtp',
        MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${sink.port}`,
        MAILROOM_MAIL_SMTPTIMEOUT: '3',
        MAILROOM_WORKER_IDLE_MS: '100',
        MAILROOM_METRICS_PORT: String(metricsPort),
        MAILROOM_METRICS_TOKEN: metricsToken,
      });
      const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      const child = spawn(process.execPath, [mailroomBin, 'worker'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      try {
        // Queued by another process while the worker runs: it finds it at its next poll.
        await mailroomOk(['mail:send', '--to', 'w3@example.com', '--subject', 'W3', '--text', 'x'], { cwd });
        let listing: OutboxListing | undefined;
        const deadline = Date.now() + 20_000;
        for (;;) {
          if (child.exitCode !== null) assert.fail(`the worker exited with ${child.exitCode}:\n${output}`);
          listing = JSON.parse((await mailroomOk(['outbox:list', '--json'], { cwd })).stdout) as OutboxListing;
          if (listing.counts['sent'] === 3) break;
          assert.ok(Date.now() < deadline, `not every mail was sent in time: ${JSON.stringify(listing.counts)}\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        for (const mail of listing.mails) {
          assert.equal(mail.state, 'sent');
          assert.equal(mail.acceptedBy, `127.0.0.1:${sink.port}`);
          assert.match(mail.lastReply ?? '', /^250 /);
        }

        // The worker's own counters, which no `serve` could show.
        const refused = await fetch(metricsUrl);
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unauthorized');
        const metrics = await fetch(metricsUrl, { headers: { authorization: `Bearer ${metricsToken}` } });
        assert.equal(metrics.status, 200);
        const text = await metrics.text();
        assert.match(text, /^mailroom_sent_total 3$/m);
        assert.match(text, /^mailroom_outbox_mails\{state="sent"\} 3$/m);
        assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status, 200, '/healthz needs no token');

        child.kill('SIGTERM');
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
        const outcome = await Promise.race([exited, timeout]);
        assert.notEqual(outcome, 'timeout', `the worker did not exit within 5 s of SIGTERM:\n${output}`);
        assert.deepEqual(outcome, { code: 0, signal: null }, output);
        await assert.rejects(fetch(metricsUrl), 'the metrics port is closed with the worker');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
});
