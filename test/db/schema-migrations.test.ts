/**
 * How opening a database treats its schema, on SQLite and on PostgreSQL: `check`
 * (MAILROOM_AUTO_MIGRATE=false) refuses pending migrations, `as-is` then migrates step by step
 * and records the version that applied each migration, and a database with a migration this
 * build does not know is refused with the version to install instead of kysely's "corrupted
 * migrations".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import { knownMigrationNames, migrateStepByStep, migrateUpTo, schemaStatus } from '../../src/db/schema-migrations.ts';
import { createOutboxRepo } from '../../src/db/outbox-repo.ts';
import { testDatabases } from '../support/dialects.ts';

const { emptyDatabase, open, close } = testDatabases('mailroom-schema-');

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the schema on ${dialect}`, () => {
    it('check refuses pending migrations; step by step applies them and records the version', async () => {
      const where = await emptyDatabase(dialect);
      await assert.rejects(openDatabase({ ...where, schema: 'check', mailroomVersion: '1.2.3' }), (error: Error & { code?: string; details?: { pending?: string[] } }) => {
        assert.equal(error.code, 'database_migrations_pending');
        assert.deepEqual(error.details?.pending, knownMigrationNames(dialect));
        assert.match(error.message, /MAILROOM_AUTO_MIGRATE is false: run mailroom db:migrate once/);
        return true;
      });

      const database = await open({ ...where, schema: 'as-is', mailroomVersion: '1.2.3' });
      const before = await schemaStatus(database, '1.2.3');
      assert.equal(before.schemaVersion, 0);
      assert.deepEqual(before.pending, knownMigrationNames(dialect));
      const seen: string[] = [];
      const steps = await migrateStepByStep(database, '1.2.3', (step, index, total) => seen.push(`${index + 1}/${total} ${step.name}`));
      assert.deepEqual(
        steps.map((s) => s.name),
        knownMigrationNames(dialect),
      );
      assert.equal(seen.at(-1), `${steps.length}/${steps.length} ${steps.at(-1)?.name}`);
      const afterwards = await schemaStatus(database, '1.2.3');
      assert.deepEqual(afterwards.pending, []);
      assert.equal(afterwards.schemaVersion, afterwards.latestVersion);
      assert.deepEqual(new Set(afterwards.applied.map((m) => m.by)), new Set(['1.2.3']));
      assert.deepEqual(await migrateStepByStep(database, '1.2.3'), []);
      await close(database);

      // Migrated, the same database opens in check mode, and the default mode changes nothing.
      await close(await open({ ...where, schema: 'check' }));
      const reopened = await open({ ...where });
      assert.deepEqual(new Set((await schemaStatus(reopened, 'x')).applied.map((m) => m.by)), new Set(['1.2.3']));
    });

    it('refuses a database a newer Mailroom migrated, with its version, in every mode but as-is', async () => {
      const where = await emptyDatabase(dialect);
      const database = await open({ ...where, mailroomVersion: '0.9.0' });
      await sql`insert into mailroom_migrations (name, timestamp) values ('0100-later', '2031-01-01T00:00:00.000Z'), ('0101-later-still', '2031-02-01T00:00:00.000Z')`.execute(database.db);
      // 0.10.0 is newer than 0.9.0: numbers, not text, decide.
      await sql`insert into mailroom_migration_versions (name, mailroom_version, applied_at) values ('0100-later', '0.9.5', 1), ('0101-later-still', '0.10.0', 2)`.execute(database.db);
      await close(database);

      for (const schema of ['migrate', 'check'] as const) {
        await assert.rejects(openDatabase({ ...where, schema, mailroomVersion: '0.9.0' }), (error: Error & { code?: string }) => {
          assert.equal(error.code, 'database_newer');
          assert.match(error.message, /^this database was upgraded by Mailroom 0\.10\.0; install 0\.10\.0 or later \(this is Mailroom 0\.9\.0, which does not know the database's migration\(s\) 0100-later, 0101-later-still\)/);
          return true;
        });
      }
      const asIs = await open({ ...where, schema: 'as-is' });
      const status = await schemaStatus(asIs, '0.9.0');
      assert.equal(status.upgradedBy, '0.10.0');
      assert.equal(status.schemaVersion, 101);
      await assert.rejects(migrateStepByStep(asIs, '0.9.0'), { code: 'database_newer' });

      // Without a recorded version (a migration table written by hand) it still says what happened.
      await sql`delete from mailroom_migration_versions where name like '01%'`.execute(asIs.db);
      await close(asIs);
      await assert.rejects(openDatabase({ ...where }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'database_newer');
        assert.match(error.message, /^this database was upgraded by a newer Mailroom; install that version or later/);
        return true;
      });
    });

    it('0016 moves every queued message out of the outbox row into outbox_bodies, byte for byte', async () => {
      const where = await emptyDatabase(dialect);
      const database = await open({ ...where, schema: 'as-is', mailroomVersion: '1.2.3' });
      await migrateUpTo(database, '0014-migration-versions');
      // Before 0016 the outbox kept a message as text of one character a byte (latin1): UTF-8
      // bytes such as those of "ü" (C3 BC) were two characters, as was any 8-bit byte.
      const bytes = [Buffer.from('Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nGrüße, 你好 \u00ff\r\n', 'utf8'), Buffer.from('sealed:v1.abc', 'latin1')];
      const rows = Array.from({ length: 1203 }, (_, i) => ({
        message_id: `<${i}@example.test>`,
        kind: 'message',
        envelope_from: 'a@example.test',
        recipients: '["b@example.test"]',
        subject: `mail ${i}`,
        raw: (bytes[i % 2] as Buffer).toString('latin1'),
        state: i % 3 === 0 ? 'sent' : 'queued',
        attempts: 0,
        next_attempt_at: 1,
        created_at: 1,
        updated_at: 1,
      }));
      for (let i = 0; i < rows.length; i += 200)
        await sql`insert into outbox ${sql.raw('(message_id, kind, envelope_from, recipients, subject, raw, state, attempts, next_attempt_at, created_at, updated_at)')} values ${sql.join(rows.slice(i, i + 200).map((r) => sql`(${sql.join(Object.values(r))})`))}`.execute(database.db);
      await migrateStepByStep(database, '1.2.3');

      const repo = createOutboxRepo(database.db, dialect);
      for (const id of [1, 2, 1202, 1203]) assert.deepEqual((await repo.get(id))?.raw, bytes[(id - 1) % 2], `mail ${id}`);
      const moved = await sql<{ n: number | string }>`select count(*) as n from outbox_bodies`.execute(database.db);
      assert.equal(Number(moved.rows[0]?.n), 1203);
      assert.deepEqual(await repo.counts(), { queued: 802, sending: 0, sent: 401, failed: 0, cancelled: 0 });
      const claimed = await repo.claim({ owner: 'w', now: 2, leaseExpiresAt: 100, limit: 2 });
      assert.deepEqual(
        claimed.map((c) => c.raw),
        [bytes[1], bytes[0]],
      );
      // The outbox row no longer carries the message.
      await assert.rejects(sql`select raw from outbox`.execute(database.db));
    });
  });
}
