import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database-handle.ts';

/** Rows moved a round at a time, so a large outbox does not sit in memory at once. */
const MOVE_CHUNK = 500;

/**
 * Each message's bytes in a table of their own, as bytes (`blob`, `bytea`), no longer a latin1
 * text column of the outbox row. Marking a mail sending or sent rewrote the whole row, its 10 KB
 * of message included (SQLite writes the row's overflow pages again, PostgreSQL a new tuple with
 * it), and counting the outbox by state had to step over every message; the row is now a few
 * hundred bytes and the message is written once. An index on the state makes counting read only
 * the index.
 */
export function outboxBodiesMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('outbox_bodies')
        // On SQLite an integer primary key is the rowid itself: one b-tree, no second index.
        .addColumn('outbox_id', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.primaryKey())
        .addColumn('raw', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .execute();
      if (dialect === 'postgres') {
        // The text held one character per byte (latin1), so LATIN1 gives the bytes back exactly.
        await sql`insert into outbox_bodies (outbox_id, raw) select id, convert_to(raw, 'LATIN1') from outbox`.execute(db);
      } else {
        // SQLite has no latin1 codec: the rows go through Node, a chunk at a time.
        for (let after = 0; ; ) {
          const rows = (await sql<{ id: number; raw: string }>`select id, raw from outbox where id > ${after} order by id limit ${MOVE_CHUNK}`.execute(db)).rows;
          if (rows.length === 0) break;
          await db
            .insertInto('outbox_bodies' as never)
            .values(rows.map((r) => ({ outbox_id: r.id, raw: Buffer.from(r.raw, 'latin1') })) as never)
            .execute();
          after = Number(rows[rows.length - 1]?.id);
        }
      }
      await db.schema.alterTable('outbox').dropColumn('raw').execute();
      await db.schema.createIndex('outbox_by_state').on('outbox').column('state').execute();
    },
  };
}
