import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { MailroomError } from '../errors.ts';
import type { Database } from './database.ts';

export interface BackupProgress {
  readonly pagesDone: number;
  readonly pagesTotal: number;
}

export interface BackupOptions {
  /** Replace FILE when it exists. */
  force?: boolean;
  /** Called after each step of a copy that takes more than one. */
  onProgress?(progress: BackupProgress): void;
  /** Pages copied a step (4 KiB each); between steps the event loop runs. */
  pagesPerStep?: number;
}

export interface BackupReport {
  readonly file: string;
  readonly bytes: number;
  readonly pages: number;
  /** Mails in the outbox of the copy, whatever their state: the snapshot's, not today's. */
  readonly outboxMails: number;
}

const DEFAULT_PAGES_PER_STEP = 1024;

/**
 * `db:backup`: a consistent copy of the SQLite database while serve and workers go on writing.
 *
 * SQLite's online backup API restarts whenever another process writes between two of its steps,
 * so under steady load a step-by-step copy might never finish. It is therefore run on a
 * connection of its own that holds one read transaction from the first step to the last: the copy
 * is exactly the database as of that moment (WAL lets the writers go on meanwhile), and the
 * outbox count it reports is read in the same transaction. The copy is written beside FILE
 * (0600: it holds everything the data folder does but the key), checked, switched out of WAL
 * so it is one self-contained file, synced, and only then renamed to FILE: a FILE that exists
 * is always a whole backup.
 */
export async function backupDatabase(database: Database, file: string, options: BackupOptions = {}): Promise<BackupReport> {
  if (database.sqlitePath === undefined) {
    throw new MailroomError(
      'invalid_request',
      `db:backup copies the SQLite database of the data folder; this Mailroom uses PostgreSQL (${database.description}). Back that up with PostgreSQL's own tool, which also copies while Mailroom runs: pg_dump -Fc --file=mailroom.dump "$MAILROOM_DATABASE_URL" (the manual's "Upgrades, rollbacks and backups" tells how to restore with pg_restore)`,
    );
  }
  const target = resolve(file);
  const source = database.sqlitePath;
  if ([source, `${source}-wal`, `${source}-shm`, `${source}-journal`].includes(target)) {
    throw new MailroomError('invalid_request', `${target} is the live database itself: name a file outside the data folder, e.g. mailroom-$(date +%F).sqlite`);
  }
  const folder = dirname(target);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new MailroomError('invalid_request', `Cannot write ${target}: the folder ${folder} does not exist`);
  if (existsSync(target) && !options.force) {
    throw new MailroomError('file_exists', `${target} exists already: give another name, or --force to replace it`, { details: { file: target } });
  }

  const temporary = join(folder, `.${basename(target)}.${process.pid}.partial`);
  try {
    // Made 0600 before SQLite writes to it: an existing file keeps its mode, whatever the umask.
    closeSync(openSync(temporary, 'wx', 0o600));
  } catch (cause) {
    throw new MailroomError('invalid_request', `Cannot write a file in ${folder}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  try {
    const snapshot = await copySnapshot(source, temporary, options);
    seal(temporary);
    renameSync(temporary, target);
    syncFolder(folder);
    return { file: target, bytes: statSync(target).size, pages: snapshot.pages, outboxMails: snapshot.outboxMails };
  } catch (cause) {
    for (const leftover of [temporary, `${temporary}-journal`, `${temporary}-wal`, `${temporary}-shm`]) rmSync(leftover, { force: true });
    if (cause instanceof MailroomError) throw cause;
    throw new MailroomError('internal_error', `The backup of ${source} failed: ${(cause as Error).message}. Nothing was written to ${target}`, { cause });
  }
}

async function copySnapshot(source: string, destination: string, options: BackupOptions): Promise<{ pages: number; outboxMails: number }> {
  const connection = new BetterSqlite3(source, { fileMustExist: true });
  try {
    connection.pragma('busy_timeout = 5000');
    connection.exec('BEGIN');
    // The first read starts the snapshot every later step reads from.
    // (A database no migration has run on yet has no outbox: still a valid, if empty, backup.)
    const hasOutbox = connection.prepare("select 1 from sqlite_master where type = 'table' and name = 'outbox'").get() !== undefined;
    const outboxMails = hasOutbox ? Number((connection.prepare('select count(*) as n from outbox').get() as { n: number }).n) : 0;
    const pagesPerStep = options.pagesPerStep ?? DEFAULT_PAGES_PER_STEP;
    const result = await connection.backup(destination, {
      progress: ({ totalPages, remainingPages }) => {
        options.onProgress?.({ pagesDone: totalPages - remainingPages, pagesTotal: totalPages });
        return pagesPerStep;
      },
    });
    connection.exec('COMMIT');
    return { pages: result.totalPages, outboxMails };
  } finally {
    connection.close();
  }
}

/** Checks the copy, makes it one file without WAL (restored, Mailroom turns WAL on again), and syncs it. */
function seal(file: string): void {
  const copy = new BetterSqlite3(file, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new MailroomError('internal_error', `The copy failed SQLite's check (${String(check)}); nothing was written`);
  } finally {
    copy.close();
  }
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The rename is durable only once the folder's entry is on disk. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot sync a folder; the file itself is synced already.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
