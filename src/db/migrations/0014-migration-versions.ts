import type { Kysely, Migration } from 'kysely';

/**
 * Which Mailroom version applied each migration. An older Mailroom that finds migrations it does
 * not know reads here which version it takes ("install X or later") instead of failing on
 * migrations it cannot explain. Filled by schema-migrations.ts after each run, not by the
 * migrations themselves, so the ones applied before this table existed have no row.
 */
export function migrationVersionsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mailroom_migration_versions')
        .addColumn('name', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('mailroom_version', 'varchar(100)', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
