import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { buildContext } from '../../src/main.ts';
import { readMaildir, startPostfix, type PostfixServer } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { enqueueMails, listAllMails, startWorker, tally, waitForCounts, waitUntil, type WorkerEnv, type WorkerProcess } from '../support/worker-process.ts';

/** Files still in the Postfix queue (received, not yet delivered to the Maildir). */
async function postfixQueueSize(postfixDir: string): Promise<number> {
  let files = 0;
  for (const queue of ['maildrop', 'incoming', 'active', 'deferred', 'hold']) {
    try {
      const entries = await readdir(join(postfixDir, 'spool', queue), { recursive: true, withFileTypes: true });
      files += entries.filter((e) => e.isFile()).length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return files;
}

describe('mailroom worker processes', () => {
  let postfix: PostfixServer;
  const sinks: SmtpSink[] = [];
  const dirs: string[] = [];
  const contexts: AppContext[] = [];
  const workers: WorkerProcess[] = [];

  before(async () => {
    postfix = await startPostfix();
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5_000)));
    await Promise.all(contexts.map((c) => c.close()));
    await Promise.all(sinks.map((s) => s.stop()));
    await postfix?.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** A fresh SQLite data dir; `env` for both the workers and this process's context. */
  async function setUp(name: string, settings: WorkerEnv): Promise<{ env: WorkerEnv; ctx: AppContext }> {
    const dir = await mkdtemp(join(tmpdir(), `mailroom-${name}-`));
    dirs.push(dir);
    const env: WorkerEnv = {
      MAILROOM_DATA_DIR: dir,
      MAILROOM_CONFIG: join(dir, 'no-such-config.json'),
      MAILROOM_LOG_LEVEL: 'warn',
      MAILROOM_MAIL_DOMAIN: 'cloud.example.com',
      ...settings,
    };
    const ctx = await buildContext({ env, logLevel: 'silent' });
    contexts.push(ctx);
    return { env, ctx };
  }

  function worker(env: WorkerEnv): WorkerProcess {
    const w = startWorker(env);
    workers.push(w);
    return w;
  }

  it('delivers every mail after a worker is killed mid-send, again only those it had in flight', async (t) => {
    const total = 2000;
    const { env, ctx } = await setUp('crash', {
      MAILROOM_OUTBOX_LEASE_SECONDS: '3',
      MAILROOM_MAIL_SMTPMODE: 'smtp',
      MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${postfix.smtpPort}`,
      MAILROOM_MAIL_SMTPSECURE: 'tls',
      MAILROOM_MAIL_SMTPTLS_CA: postfix.certPath,
      MAILROOM_MAIL_SMTPAUTH: 'true',
      MAILROOM_MAIL_SMTPAUTHTYPE: 'PLAIN',
      MAILROOM_MAIL_SMTPNAME: postfix.user,
      MAILROOM_MAIL_SMTPPASSWORD: postfix.pass,
    });
    await enqueueMails(ctx, 'crash', total);
    const messageIds = new Set((await listAllMails(ctx)).map((m) => m.messageId));
    assert.equal(messageIds.size, total, 'every queued mail has a Message-ID of its own');

    const first = worker(env);
    await waitForCounts(ctx, '20% sent', (c) => (c.sent ?? 0) >= total * 0.2, { timeoutMs: 30_000, intervalMs: 10, workers: [first] });
    const killed = await first.crash();
    assert.equal(killed.signal, 'SIGKILL');
    const atKill = await ctx.outbox.counts();
    const inFlight = atKill.sending ?? 0;
    assert.ok((atKill.sent ?? 0) <= total * 0.6, `killed at ~20–60% sent, not ${JSON.stringify(atKill)}`);
    assert.ok(inFlight > 0, `mails were in flight when the worker was killed: ${JSON.stringify(atKill)}`);

    const second = worker(env);
    const done = await waitForCounts(ctx, `all ${total} sent`, (c) => c.sent === total, { timeoutMs: 90_000, workers: [second] });
    assert.deepEqual(done, { queued: 0, sending: 0, sent: total, failed: 0, cancelled: 0 }, 'nothing failed, nothing is left queued or sending');

    // Postfix said 250 before delivering; wait until its queue is empty and every mail arrived.
    let delivered: string[] = [];
    await waitUntil(
      'every mail in the Maildir and an empty Postfix queue',
      async () => {
        delivered = (await readMaildir(postfix.maildir)).map((m) => m.headers.get('message-id') ?? '(none)');
        const arrived = new Set(delivered);
        return [...messageIds].every((id) => arrived.has(id)) && (await postfixQueueSize(postfix.dir)) === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, describe: () => `${new Set(delivered).size} of ${total} Message-IDs delivered` },
    );
    const copies = tally(delivered);
    const missing = [...messageIds].filter((id) => !copies.has(id));
    assert.deepEqual(missing, [], 'no mail is lost');
    const strangers = [...copies.keys()].filter((id) => !messageIds.has(id));
    assert.deepEqual(strangers, [], 'the Maildir holds only the queued mails');
    const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
    t.diagnostic(`killed at ${JSON.stringify(atKill)}: ${inFlight} in flight, ${duplicates} delivered twice`);
    assert.ok(duplicates <= inFlight, `${duplicates} duplicate deliveries, but only ${inFlight} mails were in flight at the kill`);

    const stopped = await second.stop();
    assert.deepEqual({ code: stopped.code, signal: stopped.signal, timedOut: stopped.timedOut }, { code: 0, signal: null, timedOut: false });
  });

  it('on SIGTERM finishes the sends under way, gives the other claimed mails back and exits 0 in time', async (t) => {
    const total = 500;
    const smtpTimeout = 5;
    // Each DATA is answered 2 s late, so a claimed batch takes far longer to send than a stop may.
    const sink = await startSmtpSink(['-w', '2']);
    sinks.push(sink);
    const { env, ctx } = await setUp('sigterm', {
      MAILROOM_MAIL_SMTPMODE: 'smtp',
      MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${sink.port}`,
      MAILROOM_MAIL_SMTPTIMEOUT: String(smtpTimeout),
    });
    await enqueueMails(ctx, 'sigterm', total);

    const w = worker(env);
    const before = await waitForCounts(ctx, 'mails being sent', (c) => (c.sending ?? 0) > 0, { timeoutMs: 30_000, intervalMs: 20, workers: [w] });
    const stopped = await w.stop((smtpTimeout + 10) * 1000);
    t.diagnostic(`SIGTERM with ${JSON.stringify(before)}; exited after ${Math.round(stopped.ms)} ms`);
    assert.equal(stopped.timedOut, false, `the worker exits after SIGTERM; its output:\n${w.output()}`);
    assert.deepEqual({ code: stopped.code, signal: stopped.signal }, { code: 0, signal: null }, `exit code 0; output:\n${w.output()}`);
    assert.ok(stopped.ms <= (smtpTimeout + 5) * 1000, `exited within mail_smtptimeout + 5 s, not ${Math.round(stopped.ms)} ms`);

    const counts = await ctx.outbox.counts();
    assert.equal(counts.sending, 0, `no mail is left sending: ${JSON.stringify(counts)}`);
    assert.equal((counts.sent ?? 0) + (counts.queued ?? 0), total, `every mail is sent or queued: ${JSON.stringify(counts)}`);
    assert.ok((counts.queued ?? 0) > 0, 'the claimed mails not yet sent were given back');
    const mails = await listAllMails(ctx);
    const attemptsOf = (state: string) => tally(mails.filter((m) => m.state === state).map((m) => String(m.attempts)));
    assert.deepEqual([...attemptsOf('queued').keys()], ['0'], 'a mail given back does not count as an attempt');
    if ((counts.sent ?? 0) > 0) assert.deepEqual([...attemptsOf('sent').keys()], ['1']);
  });

  it('keeps the lease of a batch that takes longer than the lease, so no mail is sent twice', async (t) => {
    const total = 48;
    // 8 connections, each DATA answered 1 s late: the batch takes about 6 s, twice the 3 s lease.
    const dumpDir = await mkdtemp(join(tmpdir(), 'mailroom-lease-dump-'));
    dirs.push(dumpDir);
    await chmod(dumpDir, 0o777);
    const sink = await startSmtpSink(['-w', '1', '-d', join(dumpDir, '%M')]);
    sinks.push(sink);
    const { env, ctx } = await setUp('lease', {
      MAILROOM_OUTBOX_LEASE_SECONDS: '3',
      MAILROOM_MAIL_SMTPMODE: 'smtp',
      MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${sink.port}`,
      MAILROOM_MAIL_SMTP_CONNECTIONS: '8',
    });
    await enqueueMails(ctx, 'lease', total);
    const w = worker(env);
    const started = performance.now();
    const done = await waitForCounts(ctx, `all ${total} sent`, (c) => c.sent === total, { timeoutMs: 30_000, intervalMs: 100, workers: [w] });
    t.diagnostic(`${total} mails sent in ${Math.round(performance.now() - started)} ms with a 3 s lease`);
    assert.deepEqual(done, { queued: 0, sending: 0, sent: total, failed: 0, cancelled: 0 });
    const stopped = await w.stop();
    assert.equal(stopped.code, 0);
    assert.doesNotMatch(w.output(), /leases_expired/, 'no lease ran out under the live worker');
    const received = tally((await readMaildir(dumpDir)).map((m) => m.headers.get('message-id') ?? '(none)'));
    assert.equal(received.size, total);
    assert.deepEqual(
      [...received.values()].filter((n) => n > 1),
      [],
      'no mail is received twice',
    );
    assert.deepEqual([...tally((await listAllMails(ctx)).map((m) => String(m.attempts)))], [['1', total]], 'each mail was claimed once');
  });
});
