import type { Kysely, Migration } from 'kysely';

/** Who was mailed about which share: "notify by email" mails each recipient once per share. */
export function shareNotificationsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('share_notifications')
        .addColumn('share_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('outbox_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('share_notifications_pk', ['share_id', 'uid'])
        .execute();
    },
  };
}
