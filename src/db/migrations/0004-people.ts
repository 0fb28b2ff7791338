import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database-handle.ts';

/**
 * People and what they hear about: sessions, one-use tokens (password reset, later invitations),
 * app passwords, events from the host cloud, each user's activities, their notification choices,
 * and the digests already sent (one per user and period, claimed by a unique key).
 */
export function peopleMigration(dialect: SqlDialectName): Migration {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const serial = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<unknown>) {
      // A token may act as one user (an app password) instead of as a service or the admin.
      await db.schema.alterTable('api_tokens').addColumn('uid', 'varchar(64)').execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('csrf_token', 'varchar(100)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_by_user').on('sessions').column('uid').execute();

      await db.schema
        .createTable('user_tokens')
        .addColumn('token_hash', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('purpose', 'varchar(30)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('data', 'text')
        .execute();
      await db.schema.createIndex('user_tokens_by_user').on('user_tokens').columns(['uid', 'purpose']).execute();

      await db.schema
        .createTable('notification_settings')
        // '*' holds the admin's defaults; a user's row holds only what that user chose.
        .addColumn('uid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('frequency', 'varchar(10)')
        .addColumn('own_actions', 'integer')
        .addColumn('types', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('id', id, serial)
        .addColumn('event_key', 'varchar(200)', (c) => c.notNull().unique())
        .addColumn('type', 'varchar(40)', (c) => c.notNull())
        .addColumn('actor', 'varchar(64)')
        .addColumn('object_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('object_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('object_name', 'text', (c) => c.notNull())
        .addColumn('object_path', 'text')
        .addColumn('link', 'text')
        .addColumn('data', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('activities')
        .addColumn('id', id, serial)
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('event_id', 'bigint', (c) => c.notNull())
        .addColumn('type', 'varchar(40)', (c) => c.notNull())
        .addColumn('actor', 'varchar(64)')
        .addColumn('own', 'integer', (c) => c.notNull())
        .addColumn('object_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('object_name', 'text', (c) => c.notNull())
        .addColumn('link', 'text')
        .addColumn('stream', 'integer', (c) => c.notNull())
        // 'pending' until a digest takes it, then 'mailed'; 'none' when it is never to be mailed.
        .addColumn('mail_state', 'varchar(10)', (c) => c.notNull())
        .addColumn('digest_id', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // Only what waits for a digest sits in this index, however long the history grows.
      await db.schema.createIndex('activities_pending').on('activities').columns(['uid', 'created_at']).where(sql.ref('mail_state'), '=', 'pending').execute();
      await db.schema.createIndex('activities_stream').on('activities').columns(['uid', 'id']).execute();

      await db.schema
        .createTable('digests')
        .addColumn('id', id, serial)
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('period_key', 'varchar(60)', (c) => c.notNull())
        .addColumn('frequency', 'varchar(10)', (c) => c.notNull())
        .addColumn('activity_count', 'integer', (c) => c.notNull())
        .addColumn('outbox_id', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('digests_one_per_period', ['uid', 'period_key'])
        .execute();
    },
  };
}
