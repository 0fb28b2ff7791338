import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database-handle.ts';

/**
 * Mails a request owes, rendered later by a worker: a request commits what happened and the
 * mails it causes (recipient, template, data) in one transaction and answers without rendering.
 * A worker claims rows under a lease, as the outbox does, and queues each rendered mail in the
 * transaction that deletes its row; the key is the outbox row's key too, so a second render
 * after a lost lease adds nothing.
 */
export function owedMailsMigration(dialect: SqlDialectName): Migration {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('owed_mails')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('kind', 'varchar(40)', (c) => c.notNull())
        .addColumn('idempotency_key', 'varchar(200)', (c) => c.notNull().unique())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'varchar(20)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'varchar(100)')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('last_code', 'varchar(60)')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // Partial, as the outbox's: the claim reads only what waits or is leased, never the failed.
      await db.schema.createIndex('owed_mails_waiting').on('owed_mails').column('id').where(sql.ref('state'), '=', 'owed').execute();
      await db.schema.createIndex('owed_mails_lease').on('owed_mails').column('lease_expires_at').where(sql.ref('state'), '=', 'rendering').execute();
    },
  };
}
