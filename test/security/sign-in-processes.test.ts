/**
 * The sign-in limits hold across real processes: two `mailroom serve --no-worker` processes, as
 * two API processes behind a load balancer, on one SQLite file or one PostgreSQL database, and
 * 60 sign-ins with wrong passwords sent at once, half to each. What a client sees tells how many
 * passwords were tested: 401 means the password was checked and was wrong, 429 means the attempt
 * was refused before any check. Five failures lock an account (src/main.ts), so at most five
 * 401s may come back, and then even the right password gets 429.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/servers.ts';
import { sharedDatabase, type SharedDatabase } from '../support/shared-database.ts';
import { startWorker, waitUntil, type WorkerProcess } from '../support/worker-process.ts';

const PASSWORD = 'Harbour-lights-93';
const BURST = 60;
const ACCOUNT_LIMIT = 5;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`sign-in limits across two serve processes (${dialect})`, () => {
    let dir: string;
    let database: SharedDatabase;
    const processes: WorkerProcess[] = [];
    const urls: string[] = [];

    async function startServe(): Promise<void> {
      const port = await freePort();
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(database.env)) if (value !== undefined) env[name] = value;
      const serve = startWorker({ ...env, MAILROOM_PORT: String(port), MAILROOM_ADMIN_PASSWORD: PASSWORD, MAILROOM_LOG_LEVEL: 'warn' }, ['serve', '--no-worker']);
      processes.push(serve);
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(
        `serve on port ${port}`,
        async () => {
          if (!serve.running()) throw new Error(`serve ended: ${serve.output()}`);
          const ok = await fetch(`${url}/healthz`).then(
            (r) => r.ok,
            () => false,
          );
          return ok ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      urls.push(url);
    }

    const signIn = (url: string, password: string) => fetch(`${url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password }) }).then(async (r) => ({ status: r.status, body: await r.text() }));

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `mailroom-sign-in-processes-${dialect}-`));
      database = await sharedDatabase(dialect, dir);
      // One after the other: the first creates the admin, the second finds it.
      await startServe();
      await startServe();
    });

    after(async () => {
      await Promise.all(processes.map((p) => p.stop()));
      await database?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it(`tests at most ${ACCOUNT_LIMIT} of ${BURST} parallel wrong passwords, and then refuses the right one untested`, { timeout: 120_000 }, async () => {
      const replies = await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(urls[i % 2] as string, `Wrong-guess-${i}-x`)));
      const tested = replies.filter((r) => r.status === 401).length;
      const refused = replies.filter((r) => r.status === 429);
      assert.ok(tested <= ACCOUNT_LIMIT, `${tested} wrong passwords were tested, at most ${ACCOUNT_LIMIT} may be`);
      assert.equal(tested + refused.length, BURST, `every answer is 401 or 429: ${JSON.stringify(replies.map((r) => r.status))}`);
      assert.match(refused[0]?.body ?? '', /rate_limited|locked/);
      for (const url of urls) {
        const right = await signIn(url, PASSWORD);
        assert.equal(right.status, 429, `the right password is refused while the account is locked (${url})`);
      }
    });
  });
}
