import type { Kysely, Migration } from 'kysely';

/**
 * Every outside address a public link was mailed to: what the per-sharer hourly limit counts
 * (in the database, so every API process and worker counts the same mails).
 */
export function linkSharesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('link_share_mails')
        .addColumn('event_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('address', 'varchar(320)', (c) => c.notNull())
        .addColumn('sharer', 'varchar(64)', (c) => c.notNull())
        .addColumn('outbox_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('link_share_mails_pk', ['event_key', 'address'])
        .execute();
      await db.schema.createIndex('link_share_mails_by_sharer').on('link_share_mails').columns(['sharer', 'created_at']).execute();
    },
  };
}
