import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database-handle.ts';

/** The durable outbox: every mail is a row before anyone is told "accepted". Times are epoch ms. */
export function outboxMigration(dialect: SqlDialectName): Migration {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('outbox')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('message_id', 'varchar(400)', (c) => c.notNull())
        .addColumn('kind', 'varchar(40)', (c) => c.notNull())
        .addColumn('envelope_from', 'varchar(400)', (c) => c.notNull())
        .addColumn('recipients', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('raw', 'text', (c) => c.notNull())
        .addColumn('state', 'varchar(20)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'varchar(100)')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('last_reply', 'text')
        .addColumn('accepted_by', 'varchar(400)')
        .addColumn('recipient_results', 'text')
        .addColumn('idempotency_key', 'varchar(200)', (c) => c.unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .execute();
      // Partial indexes: a mail sits in the due index only while queued and in the lease index
      // only while sending, so both stay as small as the work in hand however many mails were
      // sent before, and a claim or settle touches few index pages.
      await db.schema.createIndex('outbox_due').on('outbox').columns(['next_attempt_at', 'id']).where(sql.ref('state'), '=', 'queued').execute();
      await db.schema.createIndex('outbox_lease').on('outbox').column('lease_expires_at').where(sql.ref('state'), '=', 'sending').execute();
      await db.schema
        .createTable('outbox_attempts')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('outbox_id', 'bigint', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('host', 'varchar(400)')
        .addColumn('outcome', 'varchar(20)', (c) => c.notNull())
        .addColumn('code', 'varchar(60)')
        .addColumn('message', 'text')
        .addColumn('reply', 'text')
        .execute();
      await db.schema.createIndex('outbox_attempts_by_mail').on('outbox_attempts').columns(['outbox_id', 'attempt']).execute();
    },
  };
}
