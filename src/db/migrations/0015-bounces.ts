import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../database-handle.ts';

/**
 * Bounces beside the outbox, not a state of it: a mail is `sent` when a server took it, and may
 * bounce hours later, once per recipient. `mail_bounces` keeps what each report said;
 * `bounce_scores` the running score of each address (one row per address that ever bounced),
 * which decides whether notifications still go to it.
 */
export function bouncesMigration(dialect: SqlDialectName): Migration {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mail_bounces')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('outbox_id', 'bigint', (c) => c.notNull())
        .addColumn('address', 'varchar(400)', (c) => c.notNull())
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('format', 'varchar(20)', (c) => c.notNull())
        .addColumn('action', 'varchar(60)')
        .addColumn('status', 'varchar(20)')
        .addColumn('diagnostic', 'text')
        .addColumn('reporting_mta', 'varchar(400)')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('mail_bounces_outbox').on('mail_bounces').columns(['outbox_id']).execute();
      await db.schema.createIndex('mail_bounces_kind').on('mail_bounces').columns(['kind', 'received_at']).execute();
      await db.schema
        .createTable('bounce_scores')
        .addColumn('address', 'varchar(400)', (c) => c.primaryKey())
        .addColumn('score', 'integer', (c) => c.notNull())
        // The UTC day (YYYY-MM-DD) last counted and what it counted: an address counts once a day.
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('day_weight', 'integer', (c) => c.notNull())
        .addColumn('last_bounce_at', 'bigint', (c) => c.notNull())
        .addColumn('last_kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('last_status', 'varchar(20)')
        .addColumn('last_diagnostic', 'text')
        .addColumn('last_outbox_id', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
