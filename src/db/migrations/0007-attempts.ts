import type { Kysely, Migration } from 'kysely';

/**
 * Failed sign-ins and reset requests, counted in the database so that every API process behind
 * a load balancer counts the same attempts. Rows live for the longest window (15 minutes).
 */
export function attemptsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('attempts')
        .addColumn('bucket', 'varchar(40)', (c) => c.notNull())
        .addColumn('attempt_key', 'varchar(400)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('attempts_by_key').on('attempts').columns(['bucket', 'attempt_key', 'at']).execute();
      await db.schema.createIndex('attempts_by_age').on('attempts').column('at').execute();
    },
  };
}
