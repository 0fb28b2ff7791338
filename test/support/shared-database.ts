/**
 * The environment of Mailroom processes that share one database, as a serve and its workers or
 * several API processes behind a load balancer do: a SQLite file in `dir`, or a fresh database
 * on a private PostgreSQL.
 */
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from './servers.ts';

export interface SharedDatabase {
  env: NodeJS.ProcessEnv;
  /** Stops the PostgreSQL server, if one was started. */
  stop(): Promise<void>;
}

export async function sharedDatabase(dialect: 'sqlite' | 'postgres', dir: string): Promise<SharedDatabase> {
  let postgres: PostgresServer | undefined;
  let databaseUrl: string | undefined;
  if (dialect === 'postgres') {
    postgres = await startPostgres();
    databaseUrl = await postgres.createDatabase();
  }
  return {
    env: {
      PATH: process.env['PATH'],
      MAILROOM_DATA_DIR: join(dir, 'data'),
      MAILROOM_CONFIG: join(dir, 'none.json'),
      ...(databaseUrl ? { MAILROOM_DATABASE_URL: databaseUrl } : {}),
    },
    stop: async () => {
      await postgres?.stop();
    },
  };
}
