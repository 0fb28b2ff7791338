import type { Kysely, Migration } from 'kysely';

/**
 * The address `mailroom serve` last listened on, written each time it starts listening. Links in
 * mails start with it while base_url is not set, and every process reads it here: serve's worker
 * process, and a `mailroom worker` started apart from serve with an environment of its own.
 */
export function serveAddressMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('serve_address')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('url', 'varchar(2000)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .execute();
    },
  };
}
