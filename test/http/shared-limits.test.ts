/**
 * The sign-in and password-reset limits hold across API processes: two Mailroom instances (each
 * with its own context, as two processes behind a load balancer have) on one database, SQLite
 * and PostgreSQL. Failures at one count at the other, and the table keeps only keyed hashes of names and addresses.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import BetterSqlite3 from 'better-sqlite3';
import type { AppContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { buildContext } from '../../src/main.ts';
import { sharedDatabase, type SharedDatabase } from '../support/shared-database.ts';

const PASSWORD = 'Harbour-lights-93';

interface Reply {
  status: number;
  code: string | undefined;
  retryAfter: string | undefined;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`sign-in and reset limits shared by two API processes (${dialect})`, () => {
    let dir: string;
    let database: SharedDatabase;
    let databaseUrl: string | undefined;
    const contexts: AppContext[] = [];
    const apps: FastifyInstance[] = [];

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `mailroom-shared-limits-${dialect}-`));
      database = await sharedDatabase(dialect, dir);
      const { env } = database;
      databaseUrl = env['MAILROOM_DATABASE_URL'];
      for (let i = 0; i < 2; i++) {
        const ctx = await buildContext({ env, logLevel: 'silent' });
        contexts.push(ctx);
        apps.push(await buildApp(ctx));
      }
      await contexts[0]?.users.add({ uid: 'heidi', email: 'heidi@example.com', password: PASSWORD });
    });

    after(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(contexts.map((c) => c.close()));
      await database?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    async function post(instance: number, url: string, payload: unknown, ip: string): Promise<Reply> {
      const res = await (apps[instance] as FastifyInstance).inject({ method: 'POST', url, payload: payload as Record<string, unknown>, remoteAddress: ip });
      const body = res.json<{ error?: { code: string } }>();
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, code: body.error?.code, retryAfter: retryAfter === undefined ? undefined : String(retryAfter) };
    }

    it('locks an account after 5 failed sign-ins spread over both processes, at both, even for the right password', async () => {
      for (const [i, instance] of [0, 1, 0, 1, 0].entries()) {
        const failed = await post(instance, '/api/v1/login', { user: 'heidi', password: `wrong-guess-${i}` }, `203.0.113.${i + 1}`);
        assert.deepEqual([failed.status, failed.code], [401, 'login_failed'], `failure ${i + 1} at process ${instance + 1}`);
      }
      for (const instance of [1, 0]) {
        const locked = await post(instance, '/api/v1/login', { user: 'heidi', password: PASSWORD }, '203.0.113.99');
        assert.deepEqual([locked.status, locked.code], [429, 'rate_limited'], `process ${instance + 1} counts the failures of both`);
        assert.ok(Number(locked.retryAfter) > 0 && Number(locked.retryAfter) <= 900, `Retry-After ${locked.retryAfter}`);
      }
    });

    it('counts password-reset requests from one address at either process (5 a minute)', async () => {
      for (const [i, instance] of [0, 1, 0, 1, 0].entries()) {
        const asked = await post(instance, '/api/v1/password-reset', { user: `nobody-${i}` }, '198.51.100.20');
        assert.equal(asked.status, 202, `request ${i + 1}`);
      }
      const sixth = await post(1, '/api/v1/password-reset', { user: 'nobody-6' }, '198.51.100.20');
      assert.deepEqual([sixth.status, sixth.code], [429, 'rate_limited']);
      const elsewhere = await post(1, '/api/v1/password-reset', { user: 'nobody-7' }, '198.51.100.21');
      assert.equal(elsewhere.status, 202, 'another address is not limited');
    });

    it('keeps neither names, addresses nor client IPs in the table, only their hashes', async () => {
      const keys = await attemptKeys();
      // One row per limit and key: the account, the six sign-in addresses and the two reset addresses.
      assert.ok(keys.length >= 9, `attempts are stored (${keys.length})`);
      for (const key of keys) assert.doesNotMatch(key, /heidi|nobody|203\.0\.113|198\.51\.100/);
      // Keyed with the instance's secret: a plain hash of an address could be found by trying them all.
      const plain = (value: string) => createHash('sha256').update(value).digest('base64url');
      for (const guess of ['uid:heidi', 'heidi', '198.51.100.20', '203.0.113.1']) assert.ok(!keys.includes(plain(guess)), `${guess} is not stored as its plain SHA-256`);
    });

    async function attemptKeys(): Promise<string[]> {
      if (databaseUrl) {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          return (await client.query<{ attempt_key: string }>('select attempt_key from attempts')).rows.map((r) => r.attempt_key);
        } finally {
          await client.end();
        }
      }
      const file = new BetterSqlite3(join(dir, 'data', 'mailroom.sqlite'), { readonly: true });
      try {
        return (file.prepare('select attempt_key from attempts').all() as Array<{ attempt_key: string }>).map((r) => r.attempt_key);
      } finally {
        file.close();
      }
    }
  });
}
