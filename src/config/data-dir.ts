import { mkdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { MailroomError } from '../errors.ts';

/**
 * The files Mailroom keeps in the data directory. The database holds queued account mails and
 * the sealed secrets, secret.key opens them: none may be readable by another local user.
 * SQLite gives `-wal`, `-shm` and `-journal` the mode of the database file itself.
 */
export const DATA_FILES: readonly string[] = ['mailroom.sqlite', 'mailroom.sqlite-wal', 'mailroom.sqlite-shm', 'mailroom.sqlite-journal', 'secret.key'];

/** Bits that let a group or other users read, write or enter. */
const LOOSE = 0o077;

export interface DataDirOptions {
  /** Make the directory (0700) when it does not exist: SQLite or secret.key will live there. */
  create: boolean;
  /** The user this process runs as (process.getuid()); undefined where there are no uids (Windows). */
  uid: number | undefined;
}

const mode = (stats: Stats) => (stats.mode & 0o7777).toString(8).padStart(4, '0');
/** A path as the shell needs it in the suggested command. */
const shellWord = (path: string) => (/^[A-Za-z0-9_./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`);

function statIfThere(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MailroomError('data_dir_insecure', `Cannot look at ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Makes the data directory (0700) or, when it exists, refuses to go on while it or a file of
 * Mailroom's in it can be read by other users: the message carries the `chmod` that fixes it.
 * A directory that is not the user's own (another user's, or a sticky one such as /tmp) cannot be
 * fixed with chmod without harming its other users, so then the advice is a directory of its own.
 */
export function prepareDataDir(dataDir: string, options: DataDirOptions): void {
  // Modes mean nothing on Windows; there the directory's ACL is the admin's to set.
  if (options.uid === undefined) {
    if (options.create) mkdirSync(dataDir, { recursive: true });
    return;
  }
  const dir = statIfThere(dataDir);
  if (!dir) {
    if (options.create) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return;
  }
  if (!dir.isDirectory()) throw new MailroomError('data_dir_insecure', `MAILROOM_DATA_DIR ${dataDir} is not a directory`);
  // root may look after the Mailroom user's directory; anyone else would be sharing it.
  const foreign = options.uid !== 0 && dir.uid !== options.uid;
  if (foreign || (dir.mode & 0o1000) !== 0) {
    throw new MailroomError(
      'data_dir_insecure',
      `The data directory ${dataDir} (mode ${mode(dir)}, owner uid ${dir.uid}) is shared: ${foreign ? 'it belongs to another user' : 'it is a sticky directory that others write to'}, ` +
        `and Mailroom keeps live reset links and the key to its secrets there. Give Mailroom a directory of its own: ` +
        `mkdir -m 700 ${shellWord(join(dataDir, 'mailroom'))} and set MAILROOM_DATA_DIR=${shellWord(join(dataDir, 'mailroom'))} (move mailroom.sqlite* and secret.key there if they exist).`,
      { details: { path: dataDir, mode: mode(dir), uid: dir.uid } },
    );
  }
  const looseDir = (dir.mode & LOOSE) !== 0;
  const looseFiles: Array<{ path: string; mode: string }> = [];
  for (const name of DATA_FILES) {
    const path = join(dataDir, name);
    const file = statIfThere(path);
    if (file && (file.mode & LOOSE) !== 0) looseFiles.push({ path, mode: mode(file) });
  }
  if (!looseDir && looseFiles.length === 0) return;
  const fix = [...(looseDir ? [`chmod 700 ${shellWord(dataDir)}`] : []), ...(looseFiles.length > 0 ? [`chmod 600 ${looseFiles.map((f) => shellWord(f.path)).join(' ')}`] : [])].join(' && ');
  const what = [...(looseDir ? [`${dataDir} is ${mode(dir)}`] : []), ...looseFiles.map((f) => `${f.path} is ${f.mode}`)].join(', ');
  throw new MailroomError('data_dir_insecure', `Other users can read Mailroom's data (${what}); Mailroom keeps live reset links and the key to its secrets there and does not start so. Fix it with: ${fix}`, { details: { path: dataDir, fix } });
}
