import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { AppContext } from '../../src/context.ts';
import { buildContext } from '../../src/main.ts';
import { readMaildir, startPostgres, type PostgresServer } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { enqueueMails, listAllMails, startWorker, tally, waitForCounts, waitUntil, type WorkerEnv, type WorkerProcess } from '../support/worker-process.ts';

describe('worker processes sharing one PostgreSQL database', () => {
  const total = 5000;
  let postgres: PostgresServer;
  const dirs: string[] = [];
  const sinks: SmtpSink[] = [];
  const contexts: AppContext[] = [];
  const workers: WorkerProcess[] = [];

  before(async () => {
    postgres = await startPostgres();
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5_000)));
    await Promise.all(contexts.map((c) => c.close()));
    await Promise.all(sinks.map((s) => s.stop()));
    await postgres?.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function tempDir(name: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `mailroom-${name}-`));
    dirs.push(dir);
    return dir;
  }

  /** A sink that keeps each mail in a file, and a database of its own, with the workers' environment. */
  async function setUp(name: string, extra: Record<string, string> = {}): Promise<{ env: WorkerEnv; ctx: AppContext; dumpDir: string; url: string }> {
    // smtp-sink writes one file per mail (template + random hex) as the user nobody.
    const dumpDir = await tempDir(`${name}-dump`);
    await chmod(dumpDir, 0o777);
    const sink = await startSmtpSink(['-d', join(dumpDir, '%M')]);
    sinks.push(sink);
    const dataDir = await tempDir(`${name}-data`);
    const url = await postgres.createDatabase();
    const env: WorkerEnv = {
      MAILROOM_DATA_DIR: dataDir,
      MAILROOM_DATABASE_URL: url,
      MAILROOM_CONFIG: join(dataDir, 'no-such-config.json'),
      MAILROOM_LOG_LEVEL: 'warn',
      MAILROOM_MAIL_SMTPMODE: 'smtp',
      MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${sink.port}`,
      MAILROOM_MAIL_DOMAIN: 'cloud.example.com',
      ...extra,
    };
    const ctx = await buildContext({ env, logLevel: 'silent' });
    contexts.push(ctx);
    return { env, ctx, dumpDir, url };
  }

  /** Waits until each worker has logged that it started (MAILROOM_LOG_LEVEL info). */
  async function started(group: readonly WorkerProcess[]): Promise<void> {
    await waitUntil('every worker started', async () => (group.every((w) => w.output().includes('"event":"worker_started"')) ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      describe: () => `${group.filter((w) => w.output().includes('"event":"worker_started"')).length} of ${group.length} started; ${group.find((w) => !w.running())?.output() ?? ''}`,
    });
  }

  it('wakes an idle worker at once when mail is queued by another process (LISTEN/NOTIFY), also after its listening connection was cut', async () => {
    // A worker that looks at the queue once a minute: only the notification can bring it sooner.
    const { env, ctx, dumpDir, url } = await setUp('pg-notify', { MAILROOM_WORKER_IDLE_MS: '60000', MAILROOM_LOG_LEVEL: 'info' });
    const w = startWorker(env);
    workers.push(w);
    await started([w]);
    // Its lanes have looked once, found nothing, and sleep for a minute now.
    await new Promise((r) => setTimeout(r, 500));
    await enqueueMails(ctx, 'notify', 3);
    await waitForCounts(ctx, 'the 3 mails sent well before the worker looks again, a minute on', (c) => c.sent === 3, { timeoutMs: 15_000, intervalMs: 20, workers: [w] });
    const received = (await readMaildir(dumpDir)).map((m) => m.headers.get('subject'));
    assert.deepEqual(received.sort(), ['notify 0000', 'notify 0001', 'notify 0002']);

    // The server ends the listening connection: the worker says so, listens again, and the next
    // mails still come at once.
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    try {
      const listening = async () => (await direct.query<{ pid: number }>("select pid from pg_stat_activity where application_name = 'mailroom worker (listen)' and datname = current_database()")).rows.map((r) => r.pid);
      const before = await listening();
      assert.equal(before.length, 1, 'the worker listens on one connection of its own');
      await direct.query('select pg_terminate_backend($1)', [before[0]]);
      await waitUntil(
        'the worker listening again on a new connection',
        async () => {
          const now = await listening();
          return now.length === 1 && now[0] !== before[0] && w.output().includes('"event":"queue_listen_lost"') ? true : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, describe: () => w.output() },
      );
    } finally {
      await direct.end();
    }
    await ctx.outbox.send([{ to: 'again@example.com', subject: 'notify again', text: 'after the reconnect' }]);
    await waitForCounts(ctx, 'the 4th mail sent well before the next look', (c) => c.sent === 4, { timeoutMs: 15_000, intervalMs: 20, workers: [w] });
    const stopped = await w.stop();
    assert.deepEqual({ code: stopped.code, timedOut: stopped.timedOut }, { code: 0, timedOut: false }, w.output());
  });

  it('8 workers share the queue, two are killed with SIGKILL mid-send: every mail arrives, again only those the killed ones held', async (t) => {
    const total = 3000;
    // The lease is short so that the killed workers' mails come back soon, and long enough that a
    // live worker on a loaded machine renews it in time (every third of it).
    const { env, ctx, dumpDir, url } = await setUp('pg8', { MAILROOM_OUTBOX_LEASE_SECONDS: '6', MAILROOM_WORKER_IDLE_MS: '500', MAILROOM_LOG_LEVEL: 'info' });
    const group = Array.from({ length: 8 }, () => startWorker(env));
    workers.push(...group);
    await started(group);
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    t.after(() => direct.end());
    // Who holds what: the lease owner is `host:pid:random`.
    const holders = async () => {
      const rows = (await direct.query<{ owner: string; n: string }>("select lease_owner as owner, count(*) as n from outbox where state = 'sending' group by lease_owner")).rows;
      return rows.map((r) => ({ pid: Number(r.owner.split(':').at(-2)), n: Number(r.n) }));
    };

    const t0 = performance.now();
    await enqueueMails(ctx, 'pg8', total);
    const messageIds = new Set((await listAllMails(ctx)).map((m) => m.messageId));
    // Two workers that hold mails right now, once a part is sent.
    const victims = await waitUntil(
      'two workers holding mails',
      async () => {
        const counts = await ctx.outbox.counts();
        const holding = (await holders()).filter((h) => h.n > 0 && group.some((w) => w.pid === h.pid));
        return (counts.sent ?? 0) >= total * 0.1 && holding.length >= 2 ? holding.sort((a, b) => b.n - a.n).slice(0, 2) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 5 },
    );
    const killedPids = new Set(victims.map((v) => v.pid));
    const killed = await Promise.all(group.filter((w) => killedPids.has(w.pid)).map((w) => w.crash()));
    assert.deepEqual(
      killed.map((k) => k.signal),
      ['SIGKILL', 'SIGKILL'],
    );
    // What the dead hold now is all that can arrive twice: sent but never settled.
    const held = (await direct.query<{ message_id: string }>("select message_id from outbox where state = 'sending' and split_part(lease_owner, ':', 2)::int = any($1::int[])", [[...killedPids]])).rows.map((r) => r.message_id);
    const survivors = group.filter((w) => !killedPids.has(w.pid));

    const done = await waitForCounts(ctx, `all ${total} sent`, (c) => c.sent === total, { timeoutMs: 60_000, intervalMs: 50, workers: survivors });
    const sendingMs = performance.now() - t0;
    assert.deepEqual(done, { queued: 0, sending: 0, sent: total, failed: 0, cancelled: 0 }, 'nothing failed, nothing is left queued or sending');
    const stops = await Promise.all(survivors.map((w) => w.stop()));
    stops.forEach((s, i) => {
      assert.deepEqual({ code: s.code, signal: s.signal, timedOut: s.timedOut }, { code: 0, signal: null, timedOut: false }, `worker ${survivors[i]?.pid} stops with exit code 0; output:\n${survivors[i]?.output()}`);
    });

    const heldSet = new Set(held);
    const rows = await listAllMails(ctx);
    const claimedTwice = rows.filter((r) => r.attempts !== 1).map((r) => r.messageId);
    assert.deepEqual(
      claimedTwice.filter((id) => !heldSet.has(id)),
      [],
      'only the mails the killed workers held were claimed again',
    );
    const received = tally((await readMaildir(dumpDir)).map((m) => m.headers.get('message-id') ?? '(none)'));
    const missing = [...messageIds].filter((id) => !received.has(id));
    const twice = [...received].filter(([, n]) => n > 1).map(([id]) => id);
    const strangers = [...received.keys()].filter((id) => !messageIds.has(id));
    t.diagnostic(`8 workers, 2 killed holding ${victims.map((v) => v.n).join(' and ')} mails (${held.length} still unsettled); ${total} sent in ${Math.round(sendingMs)} ms from the enqueue; ${twice.length} received twice`);
    assert.deepEqual(missing, [], 'no mail is lost');
    assert.deepEqual(strangers, [], 'the sink received only the queued mails');
    assert.deepEqual(
      twice.filter((id) => !heldSet.has(id)),
      [],
      'a mail arrives twice only if a killed worker held it',
    );
    assert.ok(twice.length <= held.length, `${twice.length} received twice, at most the ${held.length} in flight at the kill`);
  });

  for (const count of [2, 4]) {
    it(`${count} workers send each of ${total} mails exactly once and all stop cleanly`, async (t) => {
      // smtp-sink writes one file per mail (template + random hex) as the user nobody.
      const dumpDir = await tempDir(`pg${count}-dump`);
      await chmod(dumpDir, 0o777);
      const sink = await startSmtpSink(['-d', join(dumpDir, '%M')]);
      sinks.push(sink);
      const dataDir = await tempDir(`pg${count}-data`);
      const env: WorkerEnv = {
        MAILROOM_DATA_DIR: dataDir,
        MAILROOM_DATABASE_URL: await postgres.createDatabase(),
        MAILROOM_CONFIG: join(dataDir, 'no-such-config.json'),
        MAILROOM_LOG_LEVEL: 'warn',
        MAILROOM_MAIL_SMTPMODE: 'smtp',
        MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${sink.port}`,
        MAILROOM_MAIL_DOMAIN: 'cloud.example.com',
      };
      const ctx = await buildContext({ env, logLevel: 'silent' });
      contexts.push(ctx);
      await enqueueMails(ctx, `pg${count}`, total);
      const messageIds = new Set((await listAllMails(ctx)).map((m) => m.messageId));
      assert.equal(messageIds.size, total, 'every queued mail has a Message-ID of its own');

      const started = performance.now();
      const group = Array.from({ length: count }, () => startWorker(env));
      workers.push(...group);
      const done = await waitForCounts(ctx, `all ${total} sent`, (c) => c.sent === total, { timeoutMs: 120_000, intervalMs: 100, workers: group });
      const sendingMs = performance.now() - started;
      assert.deepEqual(done, { queued: 0, sending: 0, sent: total, failed: 0, cancelled: 0 }, 'nothing failed, nothing is left queued or sending');

      const stops = await Promise.all(group.map((w) => w.stop()));
      stops.forEach((s, i) => {
        const w = group[i] as WorkerProcess;
        assert.deepEqual({ code: s.code, signal: s.signal, timedOut: s.timedOut }, { code: 0, signal: null, timedOut: false }, `worker ${w.pid} stops with exit code 0; output:\n${w.output()}`);
      });

      const rows = await listAllMails(ctx);
      assert.equal(rows.length, total);
      assert.deepEqual([...tally(rows.map((r) => r.state))], [['sent', total]], 'every row is sent');
      assert.deepEqual([...tally(rows.map((r) => String(r.attempts)))], [['1', total]], 'each mail was claimed once');

      // smtp-sink closes a mail's file before its 250, so every sent mail is on disk by now.
      const received = tally((await readMaildir(dumpDir)).map((m) => m.headers.get('message-id') ?? '(none)'));
      const missing = [...messageIds].filter((id) => !received.has(id));
      const twice = [...received].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
      const strangers = [...received.keys()].filter((id) => !messageIds.has(id));
      t.diagnostic(`${count} workers: ${total} mails sent in ${Math.round(sendingMs)} ms (from the workers' start); ${received.size} distinct Message-IDs received`);
      assert.deepEqual(missing, [], 'no mail is lost');
      assert.deepEqual(twice, [], 'no mail is received twice');
      assert.deepEqual(strangers, [], 'the sink received only the queued mails');
    });
  }
});
