/**
 * The limits hold under a burst of parallel requests, not only under requests one after another:
 * two Mailroom instances (each with its own context and connections, as two API processes behind
 * a load balancer have) on one database, SQLite and PostgreSQL, all requests sent at once.
 *
 * The limits, as src/main.ts configures them: 5 failed sign-ins per account and 20 per client
 * address in 15 minutes; 5 password-reset requests per client address a minute and 3 reset mails
 * per account in 15 minutes; 100 outside addresses per sharer an hour for public links.
 *
 * "Passwords tested" is counted by the password verifier each instance is built with: the real
 * scrypt comparison, wrapped to count its calls (buildContext's `verifyPassword`). Every call is
 * one password tested, whether against the account's hash or the decoy of an unknown name. The
 * answers are counted too (401 for a tested, wrong password; 429 for a refused attempt), and the
 * two must agree: a sign-in refused with 429 must not have had its password tested either.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { buildContext } from '../../src/main.ts';
import { verifyPassword } from '../../src/users/password-hash.ts';
import { sharedDatabase, type SharedDatabase } from '../support/shared-database.ts';

const PASSWORD = 'Harbour-lights-93';
const BURST = 60;
const ACCOUNT_LIMIT = 5;
const CLIENT_LIMIT = 20;

interface Reply {
  status: number;
  code: string | undefined;
  retryAfter: number | undefined;
}

/** How many answers had each status. */
function tally(replies: readonly Reply[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of replies) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`limits under a parallel burst at two API processes (${dialect})`, () => {
    let dir: string;
    let database: SharedDatabase;
    const contexts: AppContext[] = [];
    const apps: FastifyInstance[] = [];
    /** Passwords tested, by both instances together. */
    let tested = 0;
    let serviceToken: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `mailroom-limit-race-${dialect}-`));
      database = await sharedDatabase(dialect, dir);
      const countingVerifier = async (password: string, stored: string) => {
        tested++;
        return verifyPassword(password, stored);
      };
      for (let i = 0; i < 2; i++) {
        const ctx = await buildContext({ env: database.env, logLevel: 'silent', verifyPassword: countingVerifier });
        contexts.push(ctx);
        apps.push(buildApp(ctx));
      }
      const ctx = contexts[0] as AppContext;
      // Public-link mail is off by default; this test is about its hourly limit.
      await ctx.settings.update({ mail_smtpmode: 'capture', base_url: 'https://cloud.example.com', shareapi_allow_public_notification: true });
      await ctx.users.add({ uid: 'heidi', email: 'heidi@example.com', password: PASSWORD });
      for (let i = 1; i <= 12; i++) await ctx.users.add({ uid: `member-${i}`, email: `member-${i}@example.com`, password: PASSWORD });
      await ctx.users.add({ uid: 'rosa', email: 'rosa@example.com', password: PASSWORD });
      await ctx.users.add({ uid: 'sharer', display_name: 'Sam Sharer', email: 'sharer@example.com', invite: false });
      serviceToken = await ctx.tokens.create('host', { scope: 'service' });
    });

    after(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(contexts.map((c) => c.close()));
      await database?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    async function post(instance: number, url: string, payload: Record<string, unknown>, ip: string, headers: Record<string, string> = {}): Promise<Reply> {
      const res = await (apps[instance] as FastifyInstance).inject({ method: 'POST', url, payload, remoteAddress: ip, headers });
      const body = res.json<{ error?: { code: string } }>();
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, code: body.error?.code, retryAfter: retryAfter === undefined ? undefined : Number(retryAfter) };
    }
    /**
     * The instance for the n-th request of a burst that queues mail: on SQLite always the first.
     * Queuing a mail is a transaction that holds the write lock across awaits, and a second
     * connection in the same event loop waits for that lock synchronously (busy_timeout), blocking
     * the very loop that would finish the transaction; two processes simply wait for each other.
     * The sign-in and reset limits themselves are single statements and run on both instances.
     */
    const instanceOf = (n: number) => (dialect === 'postgres' ? n % 2 : 0);
    const signIn = (instance: number, user: string, password: string, ip: string) => post(instance, '/api/v1/login', { user, password }, ip);

    it(`tests at most ${ACCOUNT_LIMIT} passwords of an account when ${BURST} sign-ins arrive at once, and then refuses the right one`, async () => {
      tested = 0;
      // Each guess from its own address, so that only the account's limit stands in the way.
      const replies = await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(i % 2, 'heidi', `wrong-guess-${i}`, `203.0.113.${i + 1}`)));
      assert.deepEqual(tally(replies), { 401: ACCOUNT_LIMIT, 429: BURST - ACCOUNT_LIMIT }, 'wrong passwords tested (401) and refused untested (429)');
      assert.equal(tested, ACCOUNT_LIMIT, 'passwords the verifier was asked to test');
      for (const r of replies.filter((x) => x.status === 429)) assert.ok(r.code === 'rate_limited' && r.retryAfter !== undefined && r.retryAfter > 0 && r.retryAfter <= 900, JSON.stringify(r));

      for (const instance of [0, 1]) {
        const locked = await signIn(instance, 'heidi', PASSWORD, '203.0.113.200');
        assert.deepEqual([locked.status, locked.code], [429, 'rate_limited'], `the right password at process ${instance + 1}, while locked`);
      }
      assert.equal(tested, ACCOUNT_LIMIT, 'the right password was not even tested');
    });

    it(`tests at most ${CLIENT_LIMIT} passwords from one address when ${BURST} sign-ins to 12 accounts arrive at once, and then refuses the right one`, async () => {
      tested = 0;
      // 12 accounts × 5 guesses: the accounts' limits alone would let all 60 through.
      const replies = await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(i % 2, `member-${(i % 12) + 1}`, `wrong-guess-${i}`, '198.51.100.7')));
      assert.deepEqual(tally(replies), { 401: CLIENT_LIMIT, 429: BURST - CLIENT_LIMIT });
      assert.equal(tested, CLIENT_LIMIT, 'passwords the verifier was asked to test');

      const locked = await signIn(1, 'rosa', PASSWORD, '198.51.100.7');
      assert.deepEqual([locked.status, locked.code], [429, 'rate_limited'], 'the right password of an untouched account, from the locked address');
      assert.equal(tested, CLIENT_LIMIT);
      const elsewhere = await signIn(0, 'rosa', PASSWORD, '198.51.100.8');
      assert.equal(elsewhere.status, 200, 'another address signs in');
    });

    it('lets unknown names from one address test no more than its limit either', async () => {
      tested = 0;
      const replies = await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(i % 2, `nobody-${i}`, 'whatever-it-is', '198.51.100.9')));
      assert.deepEqual(tally(replies), { 401: CLIENT_LIMIT, 429: BURST - CLIENT_LIMIT });
      assert.equal(tested, CLIENT_LIMIT, 'decoy comparisons are passwords tested too');
    });

    it('gives a successful sign-in its places back, so the owner is not locked out by signing in', async () => {
      for (let i = 0; i < 4; i++) assert.equal((await signIn(i % 2, 'rosa', `typo-${i}`, '192.0.2.10')).status, 401);
      assert.equal((await signIn(0, 'rosa', PASSWORD, '192.0.2.10')).status, 200, 'the fifth try, right');
      // The failures are forgotten: five more wrong ones are tested before the lock.
      tested = 0;
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => signIn(i % 2, 'rosa', `again-${i}`, `192.0.2.${20 + i}`)));
      assert.deepEqual(tally(replies), { 401: ACCOUNT_LIMIT, 429: 10 - ACCOUNT_LIMIT });
      assert.equal(tested, ACCOUNT_LIMIT);
    });

    it('tests at most 5 current passwords when 20 address changes with an app password arrive at once, and counts them as failed sign-ins', async () => {
      const token = await (contexts[0] as AppContext).tokens.create('tia-phone', { uid: 'member-12' });
      await (contexts[0] as AppContext).sessions.forgetFailures('member-12');
      tested = 0;
      const change = (instance: number, currentPassword: string) => (apps[instance] as FastifyInstance).inject({ method: 'PATCH', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` }, payload: { email: 'taken-over@example.net', current_password: currentPassword } });
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => change(i % 2, `wrong-guess-${i}`)));
      assert.deepEqual(tally(replies.map((r) => ({ status: r.statusCode, code: undefined, retryAfter: undefined }))), { 403: ACCOUNT_LIMIT, 429: 20 - ACCOUNT_LIMIT });
      assert.equal(tested, ACCOUNT_LIMIT, 'current passwords the verifier was asked to test');
      assert.equal((await change(1, PASSWORD)).statusCode, 429, 'the right one is refused while locked');
      const locked = await signIn(0, 'member-12', PASSWORD, '192.0.2.99');
      assert.deepEqual([locked.status, locked.code], [429, 'rate_limited'], 'the account is locked for sign-in too');
      assert.equal(tested, ACCOUNT_LIMIT);
    });

    it('sends at most 5 password-reset requests a minute from one address when 30 arrive at once', async () => {
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => post(i % 2, '/api/v1/password-reset', { user: `nobody-${i}` }, '198.51.100.30')));
      assert.deepEqual(tally(replies), { 202: 5, 429: 25 });
    });

    it('mails at most 3 reset links to one account in 15 minutes when 30 requests from 30 addresses arrive at once', async () => {
      const before = await resetMailsTo('heidi@example.com');
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => post(instanceOf(i), '/api/v1/password-reset', { user: 'heidi' }, `198.51.100.${100 + i}`)));
      assert.deepEqual(tally(replies), { 202: 30 }, 'every request gets the same answer');
      assert.equal((await resetMailsTo('heidi@example.com')) - before, 3, 'reset mails queued');
    });

    it('queues at most 100 public-link mails an hour for one sharer when 12 events of 10 addresses arrive at once', async () => {
      const event = (n: number) => ({
        id: `race-link-${n}`,
        type: 'share.link.sent',
        actor: 'sharer',
        object: { type: 'file', id: '4711', name: 'Budget.xlsx' },
        link: 'https://cloud.example.com/s/Pub7Link',
        data: { recipients: Array.from({ length: 10 }, (_, i) => `guest${n}-${i}@outside.example.net`) },
      });
      const replies = await Promise.all(Array.from({ length: 12 }, (_, n) => post(instanceOf(n), '/api/v1/events', { events: [event(n)] }, '192.0.2.50', { authorization: `Bearer ${serviceToken}` })));
      assert.deepEqual(tally(replies), { 202: 10, 429: 2 });
      await queueOwed();
      const links = (await (contexts[1] as AppContext).outbox.list({ limit: 1000 })).filter((m) => (m as { kind: string }).kind === 'link_share');
      assert.equal(links.length, 100);
    });

    /** Requests owe their mails; a worker renders them into the outbox (sending nothing) before they are counted. */
    async function queueOwed(): Promise<void> {
      const worker = (contexts[0] as AppContext).createWorker();
      await worker.renderOwed();
      await worker.stop();
    }

    async function resetMailsTo(address: string): Promise<number> {
      await queueOwed();
      const mails = (await (contexts[0] as AppContext).outbox.list({ limit: 1000 })) as Array<{ kind: string; recipients: string[] }>;
      return mails.filter((m) => m.kind === 'lost_password' && m.recipients.includes(address)).length;
    }
  });
}
