import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../database-handle.ts';

/**
 * Editable templates: every save and every reset is a row of its own, so the history of a
 * template is kept and the newest row of a name and language says what is in force.
 */
export function templatesMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('template_versions')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('name', 'varchar(40)', (c) => c.notNull())
        .addColumn('lang', 'varchar(10)', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('html', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('action', 'varchar(10)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(100)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('template_versions_by_template').on('template_versions').columns(['name', 'lang', 'id']).execute();
    },
  };
}
