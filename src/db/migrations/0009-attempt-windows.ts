import type { Kysely, Migration } from 'kysely';

/**
 * One row per limit and key, holding how many attempts its current window has taken and when
 * that window began, in place of a row per attempt. A limit is then taken with one conditional
 * upsert, which the database serialises on the row: two sign-ins at once can no longer both read
 * "4 of 5" and both go on to test a password. The attempts counted so far are dropped; they are
 * at most 15 minutes' worth.
 */
export function attemptWindowsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.dropTable('attempts').execute();
      await db.schema
        .createTable('attempts')
        .addColumn('bucket', 'varchar(40)', (c) => c.notNull())
        .addColumn('attempt_key', 'varchar(400)', (c) => c.notNull())
        .addColumn('tries', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('attempts_pk', ['bucket', 'attempt_key'])
        .execute();
      await db.schema.createIndex('attempts_by_window').on('attempts').column('window_start').execute();
    },
  };
}
