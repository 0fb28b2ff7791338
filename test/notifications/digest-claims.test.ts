/**
 * Digests built by several workers at once, a digest pass that dies half-way, and a digest whose
 * activities change while it is built: every due digest is built (rendered) once and queued once,
 * nothing is lost, on SQLite and on PostgreSQL. Each "worker" is a
 * digest service with a database connection of its own on the shared database, and a renderer
 * that counts what it builds and takes a little time, so the passes really overlap.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { defaultSettings, type Settings } from '../../src/config/settings-schema.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createNotificationRepo } from '../../src/db/notification-repo.ts';
import { createUserRepo } from '../../src/db/user-repo.ts';
import { createLogger } from '../../src/log/logger.ts';
import * as digestService from '../../src/notifications/digest-service.ts';
import type { DigestService } from '../../src/notifications/digest-service.ts';
import { composeMessage } from '../../src/message/compose-message.ts';
import type { MailRenderer } from '../../src/templates/render-mail.ts';
import { sharedDatabase, type SharedDatabase } from '../support/shared-database.ts';

const USERS = 30;
const PER_USER = 3;
// 10:00 UTC: the daily digest of yesterday's activities is due for users in UTC (after 06:00).
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const YESTERDAY = NOW - 86_400_000;

interface WorkerOptions {
  /** Renders after the n-th never finish: the worker died. */
  stallAfter?: number;
  /** Runs during each render, before it finishes. */
  whileRendering?: (uid: string) => Promise<void>;
  /** Sees every statement the worker sends to the database. */
  counter?: KyselyPlugin;
  batchSize?: number;
}

/** A kysely plugin that counts the statements sent through it. */
function statementCounter(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery(args) {
      this.count++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

/** A renderer that records whom it built a digest for; `stall` makes renders after the n-th never finish (a worker that died). */
function countingRenderer(built: string[], options: WorkerOptions = {}): MailRenderer {
  const renderer: MailRenderer = {
    partsOf: async () => ({ subject: 'Recent activity', html: 'digest', text: 'digest' }),
    batch: () => renderer,
    async render(input: { to: { address: string; uid?: string | undefined } }) {
      if (options.stallAfter !== undefined && built.length >= options.stallAfter) return new Promise<never>(() => undefined);
      built.push(input.to.uid ?? '');
      await options.whileRendering?.(input.to.uid ?? '');
      await sleep(2);
      const message = await composeMessage({ from: { name: 'Cloud', address: 'activity-noreply@example.com' }, to: input.to.address, subject: 'Recent activity', text: 'digest', domain: 'example.com', date: new Date(NOW) });
      return { ...message, language: 'en' as const };
    },
  };
  return renderer;
}

function worker(database: Database, clock: { now(): Date }, built: string[], options: WorkerOptions = {}): DigestService {
  const db = { ...database, db: options.counter ? database.db.withPlugin(options.counter) : database.db };
  const settings: Settings = { ...defaultSettings(), base_url: 'https://cloud.example.com', mail_default_language: 'en' };
  return digestService.createDigestService({
    store: createNotificationRepo(db.db, db.dialect),
    findUsers: createUserRepo(db.db).findMany,
    settings: { get: async () => settings },
    renderer: countingRenderer(built, options),
    unsubscribe: { url: (base: string, token: string) => `${base}/unsubscribe/${token}`, token: (uid: string) => uid },
    clock,
    onQueued: () => undefined,
    log: createLogger({ level: 'silent' }),
    batchSize: options.batchSize ?? 7,
  });
}

async function seed(db: Database): Promise<void> {
  const iso = new Date(YESTERDAY).toISOString();
  await db.db.insertInto('notification_settings').values({ uid: '*', frequency: 'daily', own_actions: null, types: '{}', updated_at: YESTERDAY }).execute();
  await db.db
    .insertInto('users')
    .values(Array.from({ length: USERS }, (_, u) => ({ uid: `user${String(u).padStart(2, '0')}`, display_name: `User ${u}`, email: `user${u}@example.org`, language: 'en', timezone: 'UTC', is_admin: 0, password_hash: null, disabled: 0, created_at: iso, updated_at: iso })))
    .execute();
  await db.db
    .insertInto('activities')
    .values(
      Array.from({ length: USERS * PER_USER }, (_, i) => ({
        uid: `user${String(Math.floor(i / PER_USER)).padStart(2, '0')}`,
        event_id: i + 1,
        type: 'file.changed',
        actor: 'someone',
        own: 0,
        object_type: 'file',
        object_name: `file ${i}.txt`,
        link: null,
        stream: 1,
        mail_state: 'pending',
        digest_id: null,
        created_at: YESTERDAY + i,
      })),
    )
    .execute();
}

/** What the database holds once the passes are over: digests queued per user, activities left pending. */
async function outcome(db: Database) {
  const mails = await db.db.selectFrom('outbox').select(['idempotency_key']).where('kind', '=', 'activity').execute();
  const perUser = new Map<string, number>();
  for (const m of mails) {
    const uid = (m.idempotency_key ?? '').split(':')[1] ?? '';
    perUser.set(uid, (perUser.get(uid) ?? 0) + 1);
  }
  const pending = await db.db.selectFrom('activities').select('id').where('mail_state', '=', 'pending').execute();
  const mailed = await db.db.selectFrom('activities').select(['id', 'digest_id']).where('mail_state', '=', 'mailed').execute();
  const digests = await db.db.selectFrom('digests').select(['id', 'outbox_id', 'activity_count']).execute();
  return { mails: mails.length, perUser, pending: pending.length, mailed: mailed.length, digests };
}

const counts = (list: string[]) => {
  const out = new Map<string, number>();
  for (const x of list) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
};

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`digests on several workers (${dialect})`, () => {
    const cleanup: Array<() => Promise<void>> = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    /** Two connections to one fresh, migrated, seeded database. */
    async function twoConnections(): Promise<[Database, Database]> {
      const dir = await mkdtemp(join(tmpdir(), 'mailroom-digest-claims-'));
      const shared: SharedDatabase = await sharedDatabase(dialect, dir);
      cleanup.push(async () => {
        await shared.stop();
        await rm(dir, { recursive: true, force: true });
      });
      const open = () => openDatabase({ url: shared.env['MAILROOM_DATABASE_URL'], dataDir: shared.env['MAILROOM_DATA_DIR'] as string });
      const a = await open();
      const b = await open();
      cleanup.push(async () => {
        await a.close();
        await b.close();
      });
      await seed(a);
      return [a, b];
    }

    it('two workers running their pass at the same moment build and queue each due digest exactly once', async () => {
      const [a, b] = await twoConnections();
      const clock = { now: () => new Date(NOW) };
      const builtA: string[] = [];
      const builtB: string[] = [];
      const [ra, rb] = await Promise.all([worker(a, clock, builtA).runDue(), worker(b, clock, builtB).runDue()]);

      const built = counts([...builtA, ...builtB]);
      assert.equal(built.size, USERS, 'every user got a digest built');
      assert.deepEqual(
        [...built.values()].filter((n) => n !== 1),
        [],
        'no digest was built twice',
      );
      assert.equal(ra.digests + rb.digests, USERS);
      assert.equal(ra.activities + rb.activities, USERS * PER_USER);
      const after = await outcome(a);
      assert.equal(after.mails, USERS, 'one mail per user in the outbox');
      assert.deepEqual(
        [...after.perUser.values()].filter((n) => n !== 1),
        [],
      );
      assert.equal(after.pending, 0);
      assert.equal(after.mailed, USERS * PER_USER);
      assert.ok(
        after.digests.every((d) => d.outbox_id !== null && Number(d.activity_count) === PER_USER),
        'every digest row is complete',
      );
      assert.deepEqual(await worker(b, clock, builtB).runDue(), { digests: 0, activities: 0, skipped: 0 }, 'a later pass finds nothing due');
    });

    it('a pass that dies half-way leaves its claims to run out; the next pass after that queues the rest, nothing twice, nothing lost', async () => {
      const [a, b] = await twoConnections();
      let offset = 0;
      const clock = { now: () => new Date(NOW + offset) };
      const builtA: string[] = [];
      // Worker A builds 10 digests, then stops answering in the middle of its second batch of 7: it died.
      void worker(a, clock, builtA, { stallAfter: 10 }).runDue();
      for (let i = 0; i < 200 && builtA.length < 10; i++) await sleep(10);
      await sleep(100);
      assert.equal(builtA.length, 10);

      const builtB: string[] = [];
      const first = await worker(b, clock, builtB).runDue();
      const dead = (await outcome(a)).mails;
      assert.equal(dead, 7 + first.digests, "the dead worker's first batch is queued, its second is not");
      assert.equal(first.digests, USERS - 14, 'another worker queues every digest not claimed by the dead one');
      assert.equal(first.skipped, 7, 'and leaves the 7 it claimed alone while the claims last');

      offset = digestService.DIGEST_CLAIM_MS + 1000;
      const second = await worker(b, clock, builtB).runDue();
      assert.equal(second.digests, 7, 'once the claims ran out, the dead worker’s digests are built');
      const after = await outcome(a);
      assert.equal(after.mails, USERS);
      assert.deepEqual(
        [...after.perUser.values()].filter((n) => n !== 1),
        [],
        'no user has two digests',
      );
      assert.equal(after.pending, 0, 'nothing was lost');
      assert.equal(after.mailed, USERS * PER_USER);
      assert.equal(new Set(builtB).size, builtB.length, 'the second worker built each digest once');
    });

    it('a digest whose activities another digest took while it was built is not queued, and the next pass builds it from what is left', async () => {
      const [a, b] = await twoConnections();
      const clock = { now: () => new Date(NOW) };
      const built: string[] = [];
      // While user05's digest is rendered, one of its activities is mailed by something else
      // (a `digest:run --all` elsewhere, say).
      const taken = await b.db.selectFrom('activities').select('id').where('uid', '=', 'user05').orderBy('id').limit(1).executeTakeFirstOrThrow();
      const first = await worker(a, clock, built, {
        whileRendering: async (uid) => {
          if (uid === 'user05') await b.db.updateTable('activities').set({ mail_state: 'mailed' }).where('id', '=', taken.id).execute();
        },
      }).runDue();
      assert.equal(first.digests, USERS - 1);
      assert.equal(first.skipped, 1, "user05's digest was dropped at the queue");
      const user05 = await a.db.selectFrom('activities').select(['mail_state', 'digest_id']).where('uid', '=', 'user05').where('id', '!=', taken.id).execute();
      assert.deepEqual(
        user05,
        Array.from({ length: PER_USER - 1 }, () => ({ mail_state: 'pending', digest_id: null })),
        'its other activities wait again',
      );

      const second = await worker(b, clock, built).runDue();
      assert.deepEqual(second, { digests: 1, activities: PER_USER - 1, skipped: 0 }, 'the next pass queues the rest');
      const after = await outcome(a);
      assert.equal(after.mails, USERS);
      assert.equal(after.pending, 0);
    });

    it("a render that fails gives the batch's claims back at once: the next pass builds them without waiting for the claims to run out", async () => {
      const [a, b] = await twoConnections();
      const clock = { now: () => new Date(NOW) };
      const failing = worker(a, clock, [], {
        whileRendering: async (uid) => {
          if (uid === 'user10') throw new Error('the template broke');
        },
      });
      await assert.rejects(failing.runDue(), /the template broke/);
      const queuedBefore = (await outcome(a)).mails;
      assert.equal(queuedBefore, 7, 'the batch before the failure is queued, the failed one is not');
      const next = await worker(b, clock, []).runDue();
      assert.deepEqual(next, { digests: USERS - 7, activities: (USERS - 7) * PER_USER, skipped: 0 });
      assert.equal((await outcome(a)).pending, 0);
    });

    it('a pass over many due users costs a few statements per batch, not several per digest', async () => {
      const [a] = await twoConnections();
      const counter = statementCounter();
      const report = await worker(a, { now: () => new Date(NOW) }, [], { counter, batchSize: 500 }).runDue();
      assert.equal(report.digests, USERS);
      // One batch: the page, the next (empty) page, defaults, users, preferences, activities, the
      // claim, the template, and the transaction that queues them (about ten statements).
      assert.ok(counter.count <= 25, `${counter.count} statements for ${USERS} digests`);
    });
  });
}
