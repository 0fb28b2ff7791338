import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { MailroomError } from '../errors.ts';
import type { Database, SqlDialectName } from './database-handle.ts';
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
import { migrationVersionsMigration } from './migrations/0014-migration-versions.ts';
import { bouncesMigration } from './migrations/0015-bounces.ts';
import { outboxBodiesMigration } from './migrations/0016-outbox-bodies.ts';

/** The tables of the migrations themselves: not Mailroom's data (db:copy leaves them out). */
export const MIGRATION_TABLES: ReadonlySet<string> = new Set(['mailroom_migrations', 'mailroom_migrations_lock', 'mailroom_migration_versions']);

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
    '0014-migration-versions': migrationVersionsMigration(),
    '0015-bounces': bouncesMigration(dialect),
    '0016-outbox-bodies': outboxBodiesMigration(dialect),
  };
}

/** Every migration this build knows, in the order they run. */
export function knownMigrationNames(dialect: SqlDialectName): string[] {
  return Object.keys(migrations(dialect)).sort();
}

export interface AppliedMigration {
  readonly name: string;
  readonly appliedAt: Date;
  /** The Mailroom version that applied it; undefined for those applied before versions were kept. */
  readonly by: string | undefined;
}

export interface SchemaStatus {
  /** The migrations this build knows that the database has, oldest first. */
  readonly applied: readonly AppliedMigration[];
  /** The migrations this build knows that the database lacks, in the order they would run. */
  readonly pending: readonly string[];
  /** Migrations in the database that this build does not know: a newer Mailroom applied them. */
  readonly unknown: readonly AppliedMigration[];
  /** The newest Mailroom version that applied one of `unknown`, when it was recorded. */
  readonly upgradedBy: string | undefined;
  /** The number of the newest migration applied (0 for an empty database). */
  readonly schemaVersion: number;
  /** The newest schema this build knows. */
  readonly latestVersion: number;
  /** This build's version. */
  readonly mailroomVersion: string;
}

export interface MigrationStep {
  readonly name: string;
  readonly ms: number;
}

type Untyped = Kysely<Record<string, Record<string, unknown>>>;

/** The number a migration's name starts with: 12 for 0012-serve-address. */
const migrationNumber = (name: string) => Number.parseInt(name, 10) || 0;

function migrator(database: Database): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations(database.dialect) };
  return new Migrator({ db: database.db, provider, migrationTableName: 'mailroom_migrations', migrationLockTableName: 'mailroom_migrations_lock' });
}

/**
 * The migrations up to and including `last`, and no further: a database as an older Mailroom
 * left it, for the tests of a migration that moves data.
 */
export async function migrateUpTo(database: Database, last: string): Promise<void> {
  const { error } = await migrator(database).migrateTo(last);
  if (error) throw error;
}

/** Which of the migration tables exist: every start asks, so not kysely's introspection of every column. */
async function migrationTablesPresent(database: Database): Promise<Set<string>> {
  const db = database.db as unknown as Untyped;
  const names = [...MIGRATION_TABLES];
  const rows =
    database.dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name in (${sql.join(names)})`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name in (${sql.join(names)})`.execute(db);
  return new Set(rows.rows.map((r) => r.name));
}

/** What the database holds against what this build knows; changes nothing. */
export async function schemaStatus(database: Database, mailroomVersion: string): Promise<SchemaStatus> {
  const db = database.db as unknown as Untyped;
  const tables = await migrationTablesPresent(database);
  const rows = tables.has('mailroom_migrations') ? (await sql<{ name: string; timestamp: string | Date }>`select name, timestamp from mailroom_migrations order by name`.execute(db)).rows : [];
  const versions = new Map<string, string>();
  if (tables.has('mailroom_migration_versions')) {
    const stored = await sql<{ name: string; mailroom_version: string }>`select name, mailroom_version from mailroom_migration_versions`.execute(db);
    for (const row of stored.rows) versions.set(row.name, row.mailroom_version);
  }
  const known = knownMigrationNames(database.dialect);
  const knownSet = new Set(known);
  const appliedNames = new Set(rows.map((r) => r.name));
  const all = rows.map((r) => ({ name: r.name, appliedAt: new Date(r.timestamp), by: versions.get(r.name) }));
  const applied = all.filter((m) => knownSet.has(m.name));
  const unknown = all.filter((m) => !knownSet.has(m.name));
  return {
    applied,
    pending: known.filter((name) => !appliedNames.has(name)),
    unknown,
    upgradedBy: unknown
      .map((m) => m.by)
      .filter((v): v is string => v !== undefined)
      .sort(compareVersions)
      .at(-1),
    schemaVersion: Math.max(0, ...all.map((m) => migrationNumber(m.name))),
    latestVersion: Math.max(0, ...known.map(migrationNumber)),
    mailroomVersion,
  };
}

/**
 * Refuses a database a newer Mailroom has migrated: this build would run on tables it does not
 * understand (and kysely would call the unknown migrations "corrupted"). The version that applied
 * them is what the admin needs to install again.
 */
export function refuseNewerSchema(status: SchemaStatus): void {
  if (status.unknown.length === 0) return;
  const newest = status.upgradedBy;
  const names = status.unknown.map((m) => m.name).join(', ');
  const upgradedBy = newest === undefined ? 'this database was upgraded by a newer Mailroom; install that version or later' : `this database was upgraded by Mailroom ${newest}; install ${newest} or later`;
  throw new MailroomError('database_newer', `${upgradedBy} (this is Mailroom ${status.mailroomVersion}, which does not know the database's migration(s) ${names}). To go back to this version, restore the backup taken before the upgrade: see "Upgrades, rollbacks and backups" in the manual`, {
    details: { migrations: status.unknown.map((m) => m.name), ...(newest === undefined ? {} : { version: newest }) },
  });
}

/** MAILROOM_AUTO_MIGRATE=false: the admin migrates once, with `mailroom db:migrate`, before any node starts. */
export function refusePendingMigrations(status: SchemaStatus): void {
  if (status.pending.length === 0) return;
  throw new MailroomError('database_migrations_pending', `The database needs ${status.pending.length} migration(s) of Mailroom ${status.mailroomVersion} (${status.pending.join(', ')}) and MAILROOM_AUTO_MIGRATE is false: run mailroom db:migrate once (on one machine), then start Mailroom`, {
    details: { pending: [...status.pending] },
  });
}

/** Brings the database to this build's schema in one go (every start, unless MAILROOM_AUTO_MIGRATE=false). */
export async function migrateToLatest(database: Database, mailroomVersion: string): Promise<void> {
  const { error, results } = await migrator(database).migrateToLatest();
  if (error) throw error;
  await recordVersions(
    database,
    (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    mailroomVersion,
  );
}

/**
 * `db:migrate`: the pending migrations one at a time, each in its own transaction, so the admin
 * sees which one runs and a failure leaves the ones before it applied.
 */
export async function migrateStepByStep(database: Database, mailroomVersion: string, onStep?: (step: MigrationStep, index: number, total: number) => void): Promise<MigrationStep[]> {
  const status = await schemaStatus(database, mailroomVersion);
  refuseNewerSchema(status);
  const steps: MigrationStep[] = [];
  const applied: string[] = [];
  const m = migrator(database);
  for (const [index, name] of status.pending.entries()) {
    const started = performance.now();
    const { error, results } = await m.migrateUp();
    applied.push(...(results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName));
    // Those before 0014 are recorded once its table exists.
    await recordVersions(database, applied, mailroomVersion);
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? name;
      throw new MailroomError('internal_error', `The migration ${failed} failed: ${(error as Error).message}. The ones before it are applied; the database is at schema ${Math.max(0, ...steps.map((s) => migrationNumber(s.name)), status.schemaVersion)}`, { cause: error });
    }
    // Another machine may have migrated in the meantime: then migrateUp had nothing to do.
    const done = results?.find((r) => r.status === 'Success')?.migrationName;
    if (done === undefined) break;
    const step = { name: done, ms: Math.round(performance.now() - started) };
    steps.push(step);
    onStep?.(step, index, status.pending.length);
  }
  return steps;
}

async function recordVersions(database: Database, applied: readonly string[], mailroomVersion: string): Promise<void> {
  if (applied.length === 0) return;
  const db = database.db as unknown as Untyped;
  // The table itself comes with 0014; a failed run may have stopped before it.
  if (!(await migrationTablesPresent(database)).has('mailroom_migration_versions')) return;
  const now = Date.now();
  await db
    .insertInto('mailroom_migration_versions')
    .values(applied.map((name) => ({ name, mailroom_version: mailroomVersion, applied_at: now })))
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/** Orders 0.9.0 before 0.10.0 (numeric parts), then by text. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((p) => Number.parseInt(p, 10));
  const pb = b.split(/[.+-]/).map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (Number.isNaN(x) || Number.isNaN(y)) break;
    if (x !== y) return x - y;
  }
  return a.localeCompare(b);
}
