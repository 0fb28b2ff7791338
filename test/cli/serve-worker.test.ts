/**
 * `mailroom serve` delivers on a second core: its outbox worker runs as a child process
 * (`mailroom worker --from-serve`), started again when it dies, and stopped with serve, which
 * still settles the mails in flight on SIGTERM. `serve --no-worker` starts none.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { buildContext } from '../../src/main.ts';
import { freePort } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { enqueueMails, startWorker, waitForCounts, waitUntil, type WorkerEnv, type WorkerProcess } from '../support/worker-process.ts';

/** The pids of a process's children, with their command lines. */
async function childrenOf(pid: number): Promise<Array<{ pid: number; cmdline: string[] }>> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const pids = text.split(/\s+/).filter(Boolean).map(Number);
  const children = await Promise.all(pids.map(async (child) => ({ pid: child, cmdline: (await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean) })));
  return children.filter((c) => c.cmdline.length > 0);
}

const METRICS_TOKEN = 'scrape-token-serve-worker-1';

const isWorker = (c: { cmdline: string[] }) => c.cmdline.includes('worker') && c.cmdline.includes('--from-serve');

async function healthy(port: number, serve: WorkerProcess): Promise<void> {
  await waitUntil(
    `serve on port ${port}`,
    async () => {
      if (!serve.running()) assert.fail(`serve exited:\n${serve.output()}`);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

describe('serve and its worker process', { concurrency: 1 }, () => {
  const dirs: string[] = [];
  const sinks: SmtpSink[] = [];
  const contexts: AppContext[] = [];
  const processes: WorkerProcess[] = [];
  after(async () => {
    await Promise.all(processes.map((p) => p.stop(5_000)));
    await Promise.all(contexts.map((c) => c.close()));
    await Promise.all(sinks.map((s) => s.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function setUp(name: string, settings: WorkerEnv): Promise<{ env: WorkerEnv; ctx: AppContext; port: number }> {
    const dir = await mkdtemp(join(tmpdir(), `mailroom-${name}-`));
    dirs.push(dir);
    const port = await freePort();
    const env: WorkerEnv = {
      MAILROOM_DATA_DIR: dir,
      MAILROOM_CONFIG: join(dir, 'no-such-config.json'),
      MAILROOM_LOG_LEVEL: 'warn',
      MAILROOM_MAIL_DOMAIN: 'cloud.example.com',
      MAILROOM_PORT: String(port),
      MAILROOM_ADMIN_PASSWORD: 'a long enough admin password 1',
      ...settings,
    };
    const ctx = await buildContext({ env, logLevel: 'silent' });
    contexts.push(ctx);
    return { env, ctx, port };
  }

  it('delivers from a child process, starts it again when it dies, and on SIGTERM settles the mails in flight and exits 0', async (t) => {
    const total = 300;
    const smtpTimeout = 5;
    // Each DATA is answered 1 s late, so mails are in flight when serve is stopped.
    const sink = await startSmtpSink(['-w', '1']);
    sinks.push(sink);
    const { env, ctx, port } = await setUp('serve-worker', {
      MAILROOM_MAIL_SMTPMODE: 'smtp',
      MAILROOM_MAIL_SMTPHOST: `127.0.0.1:${sink.port}`,
      MAILROOM_MAIL_SMTPTIMEOUT: String(smtpTimeout),
      MAILROOM_METRICS_TOKEN: METRICS_TOKEN,
    });
    const serve = startWorker(env, ['serve']);
    processes.push(serve);
    await healthy(port, serve);
    const first = await waitUntil('the worker process', async () => (await childrenOf(serve.pid)).find(isWorker), { timeoutMs: 10_000 });

    // A crash of the worker: serve starts another.
    process.kill(first.pid, 'SIGKILL');
    const second = await waitUntil('a new worker process', async () => (await childrenOf(serve.pid)).find((c) => isWorker(c) && c.pid !== first.pid), { timeoutMs: 10_000 });
    assert.ok(serve.running(), 'serve goes on when its worker dies');

    await enqueueMails(ctx, 'serve', total);
    await waitForCounts(ctx, 'mails sent by the worker process', (c) => (c.sent ?? 0) > 0 && (c.sending ?? 0) > 0, { timeoutMs: 30_000, intervalMs: 20, workers: [serve] });
    // serve's /metrics counts what its worker process sent (reported every second).
    const sentTotal = await waitUntil(
      'mailroom_sent_total above 0 at serve',
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        const value = Number(/^mailroom_sent_total (\d+)$/m.exec(await response.text())?.[1] ?? 0);
        return value > 0 ? value : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    assert.ok(sentTotal > 0);
    const stopped = await serve.stop((smtpTimeout + 10) * 1000);
    t.diagnostic(`serve exited after ${Math.round(stopped.ms)} ms`);
    assert.deepEqual({ code: stopped.code, signal: stopped.signal, timedOut: stopped.timedOut }, { code: 0, signal: null, timedOut: false }, serve.output());
    assert.equal(await readFile(`/proc/${second.pid}/cmdline`, 'utf8').catch(() => 'gone'), 'gone', 'the worker process ended with serve');

    const counts = await ctx.outbox.counts();
    assert.equal(counts.sending, 0, `no mail is left sending: ${JSON.stringify(counts)}`);
    assert.equal((counts.sent ?? 0) + (counts.queued ?? 0), total, `every mail is sent or queued: ${JSON.stringify(counts)}`);
  });

  it('serve --no-worker starts no worker process', async () => {
    const { env, port } = await setUp('serve-no-worker', {});
    const serve = startWorker(env, ['serve', '--no-worker']);
    processes.push(serve);
    await healthy(port, serve);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual((await childrenOf(serve.pid)).filter(isWorker), []);
    const stopped = await serve.stop(10_000);
    assert.equal(stopped.code, 0, serve.output());
  });
});
