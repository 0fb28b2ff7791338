import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import { MailroomError } from '../errors.ts';
import { initialMigration } from './migrations/0001-initial.ts';
import { outboxMigration } from './migrations/0002-outbox.ts';
import { templatesMigration } from './migrations/0003-templates.ts';
import { peopleMigration } from './migrations/0004-people.ts';
import { shareNotificationsMigration } from './migrations/0005-share-notifications.ts';
import { linkSharesMigration } from './migrations/0006-link-shares.ts';
import { attemptsMigration } from './migrations/0007-attempts.ts';
import { hostCooldownsMigration } from './migrations/0008-host-cooldowns.ts';
import { attemptWindowsMigration } from './migrations/0009-attempt-windows.ts';
import { owedMailsMigration } from './migrations/0010-owed-mails.ts';
import { digestClaimsMigration } from './migrations/0011-digest-claims.ts';
import { serveAddressMigration } from './migrations/0012-serve-address.ts';
import { testMailsMigration } from './migrations/0013-test-mails.ts';
import type { DatabaseSchema } from './schema.ts';

export type SqlDialectName = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<DatabaseSchema>;
  readonly dialect: SqlDialectName;
  /** Where it is, without any password: for logs and `doctor`. */
  readonly description: string;
  close(): Promise<void>;
}

function migrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-outbox': outboxMigration(dialect),
    '0003-templates': templatesMigration(dialect),
    '0004-people': peopleMigration(dialect),
    '0005-share-notifications': shareNotificationsMigration(),
    '0006-link-shares': linkSharesMigration(),
    '0007-attempts': attemptsMigration(),
    '0008-host-cooldowns': hostCooldownsMigration(),
    '0009-attempt-windows': attemptWindowsMigration(),
    '0010-owed-mails': owedMailsMigration(dialect),
    '0011-digest-claims': digestClaimsMigration(),
    '0012-serve-address': serveAddressMigration(),
    '0013-test-mails': testMailsMigration(dialect),
  };
}

/** PostgreSQL when a URL is given, else SQLite (WAL) in the data directory. Migrates to the latest schema. */
export async function openDatabase(options: { url?: string | undefined; dataDir: string }): Promise<Database> {
  const database = options.url ? await openPostgres(options.url) : openSqlite(options.dataDir);
  try {
    await migrate(database);
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
  return new MailroomError(
    'sqlite_module_mismatch',
    `better-sqlite3 was built for another Node.js version (module version ${versions[1]}; Node.js ${process.version} needs ${versions[2]}): run \`npm rebuild better-sqlite3\` in ${installDir}, then start Mailroom again`,
    { cause, details: { built: Number(versions[1]), needed: Number(versions[2]) } },
  );
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
  return { db, dialect: 'sqlite', description: `sqlite:${path}`, close: () => db.destroy() };
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
  const safe = new URL(url);
  safe.password = safe.password ? '***' : '';
  return { db, dialect: 'postgres', description: safe.toString(), close: () => db.destroy() };
}

async function migrate(database: Database): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(database.dialect) };
  const migrator = new Migrator({ db: database.db, provider, migrationTableName: 'mailroom_migrations', migrationLockTableName: 'mailroom_migrations_lock' });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
