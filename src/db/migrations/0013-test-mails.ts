import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../database-handle.ts';

/**
 * The test mails (the "Send email" button, a template's test-send, `mailroom mail:test`): they go
 * to the server at once, not through the outbox, so this is the only trace of them the Outbox page
 * can list. What was sent and what the server answered; not the message.
 */
export function testMailsMigration(dialect: SqlDialectName): Migration {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('test_mails')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('template', 'varchar(60)', (c) => c.notNull())
        .addColumn('recipient', 'varchar(400)', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('mode', 'varchar(20)', (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('via', 'varchar(400)')
        .addColumn('response', 'text')
        .addColumn('error_code', 'varchar(60)')
        .addColumn('error_message', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
