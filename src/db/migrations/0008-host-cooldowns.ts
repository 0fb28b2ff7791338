import type { Kysely, Migration } from 'kysely';

/**
 * The servers of a failover list that failed lately, with the time their cool-down ends, so that
 * every worker on the database skips a dead server, not only the one that found it dead.
 */
export function hostCooldownsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('smtp_host_cooldowns')
        .addColumn('host', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('failed_until', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
