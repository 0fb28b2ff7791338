/**
 * What an open database is, apart from how it is opened: a leaf of db/, so that the migrations
 * and their runner (schema-migrations.ts) can name it while database.ts, which runs them when it
 * opens a database, is imported by neither.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.ts';

export type SqlDialectName = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<DatabaseSchema>;
  readonly dialect: SqlDialectName;
  /** Where it is, without any password: for logs and `doctor`. */
  readonly description: string;
  /**
   * The connections the outbox claims run on. On PostgreSQL a pool of its own, opened at the
   * first claim, whose planner never sorts or bitmap-scans when an index gives the order (see
   * database.ts openPostgres); on SQLite the same as `db`.
   */
  readonly claimDb: Kysely<DatabaseSchema>;
  /** The SQLite file (for db:backup); undefined on PostgreSQL. */
  readonly sqlitePath: string | undefined;
  close(): Promise<void>;
}
