import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { buildContext } from '../../src/main.ts';
import { readMaildir, startPostgres, type PostgresServer } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { enqueueMails, listAllMails, startWorker, tally, waitForCounts, type WorkerEnv, type WorkerProcess } from '../support/worker-process.ts';

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
