/**
 * Data at rest readable only by Mailroom: the real `mailroom` command, started as an admin starts
 * it (umask 022, the usual default), makes its data directory 0700 and every file it keeps there
 * 0600, the -wal and -shm files SQLite makes while it runs included; and it refuses to start on a
 * directory or files that other users can read, saying which `chmod` fixes it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { mailroomOk, runMailroom, spawnServe } from '../support/run-mailroom.ts';
import { freePort } from '../support/servers.ts';

const modeOf = async (path: string) => ((await stat(path)).mode & 0o7777).toString(8).padStart(4, '0');

describe('the data directory and its files are readable by Mailroom alone', { concurrency: 1 }, () => {
  const folders: string[] = [];
  let previousUmask: number;

  /** A working folder of its own; the command keeps ./data in it. */
  async function workFolder(): Promise<string> {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-modes-')));
    folders.push(dir);
    return dir;
  }

  before(() => {
    // The child inherits it: the common default, under which SQLite alone would make 0644 files.
    previousUmask = process.umask(0o022);
  });

  after(async () => {
    process.umask(previousUmask);
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('a fresh `mailroom serve` makes the directory 0700 and secret.key, mailroom.sqlite, -wal and -shm 0600', async () => {
    const cwd = await workFolder();
    const port = await freePort();
    const serve = spawnServe(cwd, port);
    try {
      assert.equal((await serve.healthz()).status, 200);
      // While it runs, SQLite keeps its write-ahead log and shared-memory index beside the database.
      const data = join(cwd, 'data');
      assert.equal(await modeOf(data), '0700');
      for (const name of ['secret.key', 'mailroom.sqlite', 'mailroom.sqlite-wal', 'mailroom.sqlite-shm']) {
        assert.equal(await modeOf(join(data, name)), '0600', `${name} while serve runs`);
      }
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  it('refuses to start (exit 1, data_dir_insecure) when the directory and the database are 0755 and 0644, and the chmod it names lets it start', async () => {
    const cwd = await workFolder();
    await mailroomOk(['user:list'], { cwd });
    const data = join(cwd, 'data');
    await chmod(data, 0o755);
    await chmod(join(data, 'mailroom.sqlite'), 0o644);
    await chmod(join(data, 'secret.key'), 0o640);

    const refused = await runMailroom(['user:list'], { cwd });
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stdout, '');
    const fix = /Fix it with: (.+)$/m.exec(refused.stderr)?.[1];
    assert.equal(fix, `chmod 700 ${data} && chmod 600 ${join(data, 'mailroom.sqlite')} ${join(data, 'secret.key')}`, refused.stderr);
    // Nothing was changed by the refused start.
    assert.equal(await modeOf(data), '0755');
    assert.equal(await modeOf(join(data, 'mailroom.sqlite')), '0644');

    await promisify(execFile)('sh', ['-c', fix]);
    await mailroomOk(['user:list'], { cwd });
  });

  it('refuses a shared directory such as a sticky one, and says to give Mailroom a directory of its own', async () => {
    const cwd = await workFolder();
    const shared = join(cwd, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const refused = await runMailroom(['user:list'], { cwd, env: { MAILROOM_DATA_DIR: shared } });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /directory of its own/);
    assert.ok(refused.stderr.includes(`mkdir -m 700 ${join(shared, 'mailroom')}`), refused.stderr);
    // Nothing of Mailroom's was written to the shared directory.
    await assert.rejects(stat(join(shared, 'secret.key')), { code: 'ENOENT' });
    await assert.rejects(stat(join(shared, 'mailroom.sqlite')), { code: 'ENOENT' });
  });
});
