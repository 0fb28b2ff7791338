import { sql, type Kysely, type Transaction } from 'kysely';
import { MailroomError } from '../errors.ts';
import { openDatabase, type Database } from './database.ts';
import { MIGRATION_TABLES } from './schema-migrations.ts';

/** How many rows each table gave, in the order they were copied. */
export interface CopyReport {
  readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: number }>;
  readonly target: string;
}

export interface CopyOptions {
  /** Called after each table, for progress output on long copies. */
  onTable?(table: string, rows: number): void;
  /** For the check that no worker is sending from the source right now. */
  now(): Date;
}

type AnyRow = Record<string, unknown>;
type Untyped = Kysely<Record<string, AnyRow>>;

/** Bounds memory (the outbox holds whole messages) and stays far under PostgreSQL's 65 535 parameters a statement. */
const ROWS_PER_CHUNK = 500;

/** Opens the PostgreSQL database at `url` (creating Mailroom's tables there) and copies `source` into it. */
export async function copyDatabaseTo(source: Database, url: string, options: CopyOptions & { dataDir: string }): Promise<CopyReport> {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new MailroomError('invalid_request', '--to must be a PostgreSQL URL (postgres://user:password@host:5432/database)');
  if (source.dialect !== 'sqlite') throw new MailroomError('invalid_request', `db:copy copies the SQLite database of the data folder; this Mailroom uses ${source.description} (copy PostgreSQL with pg_dump)`);
  const target = await openDatabase({ url, dataDir: options.dataDir });
  try {
    return await copyDatabase(source, target, options);
  } finally {
    await target.close();
  }
}

/**
 * Copies every table of a SQLite database into an empty PostgreSQL database of the same schema
 * (both are migrated by openDatabase first). The source is read in one transaction and the
 * target written in one, so the copy is a consistent snapshot and a failure leaves the target
 * empty, ready for another try. Serial ids keep their values and the sequences continue after
 * them, so links and outbox ids stay valid.
 */
async function copyDatabase(source: Database, target: Database, options: CopyOptions): Promise<CopyReport> {
  if (source.dialect !== 'sqlite' || target.dialect !== 'postgres') throw new MailroomError('internal_error', `copyDatabase copies SQLite into PostgreSQL, not ${source.dialect} into ${target.dialect}`);

  const tables = await userTables(source.db as unknown as Untyped);
  const targetTables = new Set(await userTables(target.db as unknown as Untyped));
  const missing = tables.filter((t) => !targetTables.has(t));
  if (missing.length > 0) throw new MailroomError('internal_error', `The target database lacks the tables ${missing.join(', ')}: are both on the same Mailroom version?`);

  return (source.db as unknown as Untyped).transaction().execute(async (from) => {
    await refuseWhileSending(from, options.now());
    return (target.db as unknown as Untyped).transaction().execute(async (to) => {
      await refuseUnlessEmpty(to, tables, target.description);
      const report: Array<{ table: string; rows: number }> = [];
      for (const table of tables) {
        const rows = await copyTable(from, to, table);
        report.push({ table, rows });
        options.onTable?.(table, rows);
      }
      await continueSequences(to, tables);
      return { tables: report, target: target.description };
    });
  });
}

async function userTables(db: Untyped): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables
    .map((t) => t.name)
    .filter((name) => !MIGRATION_TABLES.has(name))
    .sort();
}

/** Mail a worker is sending right now would be copied as "sending" and its outcome lost. */
async function refuseWhileSending(from: Transaction<Record<string, AnyRow>>, now: Date): Promise<void> {
  const result = await sql<{ n: number }>`select count(*) as n from outbox where state = 'sending' and lease_expires_at > ${now.getTime()}`.execute(from);
  const sending = Number(result.rows[0]?.n ?? 0);
  if (sending > 0) {
    throw new MailroomError('database_busy', `A worker is sending ${sending} mail(s) from this database right now: stop mailroom serve and every mailroom worker, then copy again (nothing was copied)`);
  }
}

async function refuseUnlessEmpty(to: Transaction<Record<string, AnyRow>>, tables: readonly string[], description: string): Promise<void> {
  const filled: string[] = [];
  for (const table of tables) {
    const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(to);
    const n = Number(result.rows[0]?.n ?? 0);
    if (n > 0) filled.push(`${table} (${n})`);
  }
  if (filled.length > 0) {
    throw new MailroomError('database_not_empty', `${description} already holds data (${filled.join(', ')}): db:copy only fills an empty database, so nothing is overwritten. Create a new database, or drop this one's tables, and copy again`, { details: { tables: filled } });
  }
}

async function copyTable(from: Transaction<Record<string, AnyRow>>, to: Transaction<Record<string, AnyRow>>, table: string): Promise<number> {
  let copied = 0;
  let lastRowid = 0;
  for (;;) {
    // rowid: SQLite's own key of every row here (all start at 1), so paging is stable whatever the table's key.
    const page = await sql<AnyRow & { mailroom_copy_rowid: number }>`select rowid as mailroom_copy_rowid, * from ${sql.table(table)} where rowid > ${lastRowid} order by rowid limit ${ROWS_PER_CHUNK}`.execute(from);
    if (page.rows.length === 0) return copied;
    const rows = page.rows.map(({ mailroom_copy_rowid: rowid, ...row }) => {
      lastRowid = rowid;
      return row;
    });
    try {
      await to.insertInto(table).values(rows).execute();
    } catch (cause) {
      // PostgreSQL is stricter than SQLite (lengths, NUL bytes): say where, and that nothing stays.
      throw new MailroomError('internal_error', `PostgreSQL refused one of rows ${copied + 1}–${copied + rows.length} of ${table}: ${(cause as Error).message}. Nothing was copied`, { cause });
    }
    copied += rows.length;
  }
}

/** A serial column's sequence starts after the highest id copied, so new rows do not collide. */
async function continueSequences(to: Transaction<Record<string, AnyRow>>, tables: readonly string[]): Promise<void> {
  const metadata = await to.introspection.getTables();
  for (const table of metadata) {
    if (!tables.includes(table.name)) continue;
    for (const column of table.columns) {
      if (!column.isAutoIncrementing) continue;
      await sql`select setval(pg_get_serial_sequence(${table.name}, ${column.name}), coalesce((select max(${sql.ref(column.name)}) from ${sql.table(table.name)}), 0) + 1, false)`.execute(to);
    }
  }
}
