import { hostname } from 'node:os';
import type { RuntimeOptions } from '../config/runtime-options.ts';
import { prepareDataDir } from '../config/data-dir.ts';
import { createSecretBox, loadOrCreateSecretKey } from '../config/secret-box.ts';
import { serveUrl } from '../config/serve-address.ts';
import { readConfigFile, readEnvSettings } from '../config/setting-sources.ts';
import { createSettingsService } from '../config/settings-service.ts';
import type { AppContext, Clock } from '../context.ts';
import { backupDatabase } from '../db/database-backup.ts';
import { copyDatabaseTo } from '../db/database-copy.ts';
import { openDatabase } from '../db/database.ts';
import { migrateStepByStep, schemaStatus } from '../db/schema-migrations.ts';
import { createServeAddressRepo } from '../db/serve-address-repo.ts';
import { createSettingsRepo } from '../db/settings-repo.ts';
import { createUserRepo } from '../db/user-repo.ts';
import type { Logger } from '../log/logger.ts';
import { mailroomVersion } from '../mailroom-version.ts';

export interface StorageInput {
  runtime: RuntimeOptions;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** Open the database as it is, neither migrating nor refusing pending migrations (db:status, db:migrate, db:backup). */
  schemaAsIs: boolean;
}

/**
 * What everything else stands on: the data directory, the secret key, the database, and the
 * settings read through their layers (defaults < database < file < environment). The user table
 * is here too, as several parts read it (the first admin, the test mail, people, notifications).
 */
export async function wireStorage(input: StorageInput) {
  const { runtime, env, clock, log } = input;
  const fileSettings = readConfigFile(runtime.configPath);
  const envSettings = readEnvSettings(env);
  // Before anything is written there: a directory other users can read is refused, a new one is 0700.
  prepareDataDir(runtime.dataDir, { create: runtime.databaseUrl === undefined || runtime.secretKey === undefined, uid: process.getuid?.() });
  const secretKey = loadOrCreateSecretKey(runtime.dataDir, runtime.secretKey);
  const secretBox = createSecretBox(secretKey);
  const database = await openDatabase({
    url: runtime.databaseUrl,
    dataDir: runtime.dataDir,
    schema: input.schemaAsIs ? 'as-is' : runtime.autoMigrate ? 'migrate' : 'check',
    mailroomVersion: mailroomVersion(),
  });
  const settingsRepo = createSettingsRepo(database.db, clock);
  const users = createUserRepo(database.db);
  const serveAddress = createServeAddressRepo(database.db, clock);
  // Where links lead while base_url is not set: where serve last listened (the worker process and
  // a separate `mailroom worker` read it from the database), else where this environment would
  // make it listen.
  const servedAt = async () => (await serveAddress.read()) ?? serveUrl(runtime.host, runtime.port, hostname());
  const settings = createSettingsService({
    store: settingsRepo,
    secretBox,
    fileSettings,
    envSettings,
    derivedBaseUrl: servedAt,
    onInvalidSaved: (key, reason) => log.warn({ event: 'setting_ignored', key }, `the saved value of ${key} is not valid and is ignored (the file, the environment or the default applies): ${reason}; set it again with mailroom config:set or the web page`),
  });
  const pingDatabase = async () => {
    await settingsRepo.readAll();
    return database.description;
  };
  const context: Pick<AppContext, 'settings' | 'recordServeAddress' | 'copyDatabaseTo' | 'backupDatabase' | 'databaseStatus' | 'migrateDatabase' | 'health'> = {
    settings,
    recordServeAddress: (host, port) => serveAddress.write(serveUrl(host, port, hostname())),
    copyDatabaseTo: (url, onTable) => copyDatabaseTo(database, url, { dataDir: runtime.dataDir, now: () => clock.now(), ...(onTable ? { onTable } : {}) }),
    backupDatabase: (file, backupOptions) => backupDatabase(database, file, backupOptions),
    databaseStatus: () => schemaStatus(database, mailroomVersion()),
    migrateDatabase: (onStep) => migrateStepByStep(database, mailroomVersion(), onStep),
    health: async () => ({ database: await pingDatabase() }),
  };
  return { database, secretKey, secretBox, settings, users, servedAt, pingDatabase, context };
}

export type Storage = Awaited<ReturnType<typeof wireStorage>>;
