import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { MailroomError } from '../errors.ts';
import { mailroomVersion } from '../mailroom-version.ts';
import { migrateToLatest, refuseNewerSchema, refusePendingMigrations, schemaStatus } from './schema-migrations.ts';
import type { DatabaseSchema } from './schema.ts';
import type { Database } from './database-handle.ts';

export type { Database, SqlDialectName } from './database-handle.ts';

/**
 * What opening does to the schema. `migrate`: brings it to this build's (the default);
 * `check`: refuses a database with pending migrations (MAILROOM_AUTO_MIGRATE=false);
 * `as-is`: leaves it be, for the db: commands that show, migrate or back it up.
 * All but `as-is` refuse a database a newer Mailroom has migrated.
 */
export type SchemaMode = 'migrate' | 'check' | 'as-is';

export interface OpenDatabaseOptions {
  url?: string | undefined;
  dataDir: string;
  schema?: SchemaMode;
  /** Recorded with the migrations this build applies; this build's version unless given. */
  mailroomVersion?: string;
}

/** PostgreSQL when a URL is given, else SQLite (WAL) in the data directory. Migrates to the latest schema unless told otherwise. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const database = options.url ? await openPostgres(options.url) : openSqlite(options.dataDir);
  try {
    await prepareSchema(database, options.schema ?? 'migrate', options.mailroomVersion ?? mailroomVersion());
  } catch (cause) {
    await database.close().catch(() => undefined);
    if (cause instanceof MailroomError) throw cause;
    throw new MailroomError('database_unavailable', `Cannot open the database ${database.description}: ${(cause as Error).message}`, { cause });
  }
  return database;
}

/**
 * better-sqlite3 is a native module built for one Node.js version: after Node.js is upgraded it
 * no longer loads, with a five-line message about NODE_MODULE_VERSION. Said as what to do.
 */
function nativeModuleMismatch(cause: unknown): MailroomError | undefined {
  const message = cause instanceof Error ? cause.message : '';
  const versions = /NODE_MODULE_VERSION (\d+)[\s\S]*NODE_MODULE_VERSION (\d+)/.exec(message);
  if ((cause as { code?: unknown }).code !== 'ERR_DLOPEN_FAILED' || !versions) return undefined;
  const module = /'([^']*node_modules[\\/]better-sqlite3)[\\/]/.exec(message)?.[1];
  const installDir = module ? dirname(dirname(module)) : 'the folder Mailroom is installed in';
  return new MailroomError('sqlite_module_mismatch', `better-sqlite3 was built for another Node.js version (module version ${versions[1]}; Node.js ${process.version} needs ${versions[2]}): run \`npm rebuild better-sqlite3\` in ${installDir}, then start Mailroom again`, {
    cause,
    details: { built: Number(versions[1]), needed: Number(versions[2]) },
  });
}

function openSqlite(dataDir: string): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'mailroom.sqlite');
  let sqlite: BetterSqlite3.Database;
  try {
    // Made 0600 before SQLite opens it (an existing file keeps its mode): SQLite gives the -wal,
    // -shm and -journal files it makes later the mode of the database file, whatever the umask.
    closeSync(openSync(path, 'a', 0o600));
    sqlite = new BetterSqlite3(path);
  } catch (cause) {
    const mismatch = nativeModuleMismatch(cause);
    if (mismatch) throw mismatch;
    throw new MailroomError('database_unavailable', `Cannot open the SQLite database ${path}: ${(cause as Error).message}`, { cause });
  }
  // WAL lets the web server read while the worker writes; busy_timeout waits out the brief
  // write locks of another process (a CLI command next to `mailroom serve`).
  sqlite.pragma('journal_mode = WAL');
  // better-sqlite3 is built with WAL commits synced only at checkpoints (NORMAL): a power cut
  // could then lose mail the API had already accepted. FULL syncs every commit; the outbox
  // commits a batch at a time, so that is one fsync per batch, not per mail.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, claimDb: db, dialect: 'sqlite', description: `sqlite:${path}`, sqlitePath: path, close: () => db.destroy() };
}

/** pg is loaded only for PostgreSQL: one SQLite process saves its ~16 MiB. */
async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg');
  // bigint (int8) columns hold epoch milliseconds and ids, well inside 2^53: read them as numbers
  // rather than pg's default strings, so both dialects give the repositories the same types.
  const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser };
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000, types });
  // An idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process instead of failing the next query.
  pool.on('error', () => undefined);
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  // The claim takes the first due rows in the order of the partial index outbox_due. When the
  // statistics are missing or old (a new database, or a burst of mail after a quiet spell, until
  // autovacuum analyzes the table again), the planner expects a handful of queued rows and reads
  // every one of them, sorts them and keeps a batch: O(queue) per claim. Without sorts and
  // bitmap scans it walks the index and stops after a batch, whatever the statistics say.
  // JIT off: the penalty that disables them would make every plan look costly enough to compile.
  const claimDb = new Kysely<DatabaseSchema>({
    dialect: new PostgresDialect({
      pool: async () => {
        const claims = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000, types, options: '-c enable_sort=off -c enable_bitmapscan=off -c jit=off' });
        claims.on('error', () => undefined);
        return claims;
      },
    }),
  });
  const safe = new URL(url);
  safe.password = safe.password ? '***' : '';
  return {
    db,
    claimDb,
    dialect: 'postgres',
    description: safe.toString(),
    sqlitePath: undefined,
    close: async () => {
      await claimDb.destroy();
      await db.destroy();
    },
  };
}

async function prepareSchema(database: Database, mode: SchemaMode, mailroomVersion: string): Promise<void> {
  if (mode === 'as-is') return;
  const status = await schemaStatus(database, mailroomVersion);
  refuseNewerSchema(status);
  if (mode === 'check') refusePendingMigrations(status);
  else if (status.pending.length > 0) await migrateToLatest(database, mailroomVersion);
}
