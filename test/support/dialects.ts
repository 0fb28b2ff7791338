import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { startPostgres, type PostgresServer } from './servers.ts';

export interface DialectCase {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, migrated, empty database. */
  open(): Promise<Database>;
}

/**
 * Every database test runs once per dialect: SQLite in a temp folder and a fresh database on
 * the private PostgreSQL cluster. Databases and the cluster are removed after the file.
 */
export function dialects(): DialectCase[] {
  const opened: Database[] = [];
  const folders: string[] = [];
  let postgres: Promise<PostgresServer> | undefined;
  after(async () => {
    await Promise.all(opened.map((d) => d.close()));
    await Promise.all(folders.map((f) => rm(f, { recursive: true, force: true })));
    if (postgres) await (await postgres).stop();
  });
  return [
    {
      name: 'sqlite',
      async open() {
        const dir = await mkdtemp(join(tmpdir(), 'mailroom-db-'));
        folders.push(dir);
        const db = await openDatabase({ dataDir: dir });
        opened.push(db);
        return db;
      },
    },
    {
      name: 'postgres',
      async open() {
        postgres ??= startPostgres();
        const url = await (await postgres).createDatabase();
        const db = await openDatabase({ url, dataDir: '/nonexistent' });
        opened.push(db);
        return db;
      },
    },
  ];
}
