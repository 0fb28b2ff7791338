import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openDatabase, type Database, type OpenDatabaseOptions } from '../../src/db/database.ts';
import { startPostgres, type PostgresServer } from './servers.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface DialectCase {
  readonly name: Dialect;
  /** A fresh, migrated, empty database. */
  open(): Promise<Database>;
}

/** The databases a test file made and opened, all closed and removed after the file. */
export interface TestDatabases {
  /** Where a fresh, empty database of the dialect is: a temp folder, or a new database on the private PostgreSQL cluster. */
  emptyDatabase(dialect: Dialect): Promise<Pick<OpenDatabaseOptions, 'url' | 'dataDir'>>;
  /** openDatabase, closed after the file unless the test closes it with close(). */
  open(options: OpenDatabaseOptions): Promise<Database>;
  close(database: Database): Promise<void>;
}

/**
 * The databases of one test file. The PostgreSQL cluster starts at the first database asked of
 * it; after the file, every database still open is closed, the folders are removed and the
 * cluster is stopped.
 */
export function testDatabases(folderPrefix = 'mailroom-db-'): TestDatabases {
  const opened: Database[] = [];
  const folders: string[] = [];
  let postgres: Promise<PostgresServer> | undefined;
  after(async () => {
    await Promise.all(opened.map((d) => d.close()));
    await Promise.all(folders.map((f) => rm(f, { recursive: true, force: true })));
    if (postgres) await (await postgres).stop();
  });
  return {
    async emptyDatabase(dialect) {
      if (dialect === 'postgres') {
        postgres ??= startPostgres();
        return { url: await (await postgres).createDatabase(), dataDir: '/nonexistent' };
      }
      const dataDir = await mkdtemp(join(tmpdir(), folderPrefix));
      folders.push(dataDir);
      return { dataDir };
    },
    async open(options) {
      const database = await openDatabase(options);
      opened.push(database);
      return database;
    },
    async close(database) {
      opened.splice(opened.indexOf(database), 1);
      await database.close();
    },
  };
}

/**
 * Every database test runs once per dialect: SQLite in a temp folder and a fresh database on
 * the private PostgreSQL cluster. Databases and the cluster are removed after the file.
 */
export function dialects(): DialectCase[] {
  const databases = testDatabases();
  return (['sqlite', 'postgres'] as const).map((name) => ({ name, open: async () => databases.open(await databases.emptyDatabase(name)) }));
}
