/**
 * The database commands an admin runs around upgrades, run as a user runs them: `db:backup`
 * while another Mailroom process keeps queueing mails (the copy is a consistent snapshot holding
 * every mail committed before it began, and Mailroom starts on it once it is put in place),
 * `db:status`, `db:migrate` with MAILROOM_AUTO_MIGRATE=false, and the refusal to run on a
 * database a newer Mailroom has migrated.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, chmod, mkdir, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { buildContext } from '../../src/main.ts';
import { cleanEnv, mailroomOk, repoRoot, runMailroom } from '../support/run-mailroom.ts';
import { startPostgres, type PostgresServer } from '../support/servers.ts';
import { knownMigrationNames } from '../../src/db/schema-migrations.ts';

// The migrations of this build: how many, the last, and its number (the schema version).
const MIGRATIONS = knownMigrationNames('sqlite');
const COUNT = MIGRATIONS.length;
const LAST = MIGRATIONS.at(-1) as string;
const LATEST = Number.parseInt(LAST, 10);

const folders: string[] = [];
let postgres: PostgresServer | undefined;
after(async () => {
  await postgres?.stop();
  await Promise.all(folders.map((f) => rm(f, { recursive: true, force: true })));
});

interface Install {
  readonly dir: string;
  readonly dataDir: string;
  readonly env: Record<string, string>;
}

async function install(name: string, extra: Record<string, string> = {}): Promise<Install> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), `mailroom-db-cli-${name}-`)));
  folders.push(dir);
  const dataDir = join(dir, 'data');
  return { dir, dataDir, env: { MAILROOM_DATA_DIR: dataDir, MAILROOM_CONFIG: join(dir, 'none.json'), ...extra } };
}

/** Queues `count` mails of about `size` bytes each in batches, in this process. */
async function fill(target: Install, count: number, size: number): Promise<number[]> {
  const ctx = await buildContext({ env: { PATH: process.env['PATH'] ?? '', ...target.env }, logLevel: 'silent' });
  try {
    await ctx.settings.update({ mail_domain: 'cloud.example.com' });
    const text = 'Queued before the backup began, so the backup must hold it.\n'.repeat(Math.ceil(size / 61));
    const ids: number[] = [];
    for (let start = 0; start < count; start += 500) {
      const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) => ({ to: `early-${start + i}@example.org`, subject: `early ${start + i}`, text }));
      ids.push(...(await ctx.outbox.send(batch)).map((q) => q.id));
    }
    return ids;
  } finally {
    await ctx.close();
  }
}

/** The outbox-writer process: its committed ids, as it prints them. */
function startWriter(target: Install): { child: ChildProcess; committed: number[]; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'support', 'outbox-writer.ts'), 'during'], { cwd: repoRoot, env: cleanEnv(target.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const committed: number[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    committed.push(...lines.map(Number));
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    committed,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      assert.equal(code, 0, `the writer failed:\n${stderr}`);
    },
  };
}

async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function outboxIds(file: string): { integrity: unknown; ids: number[] } {
  const copy = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return {
      integrity: copy.pragma('integrity_check', { simple: true }),
      ids: (copy.prepare('select id from outbox order by id').all() as Array<{ id: number }>).map((r) => r.id),
    };
  } finally {
    copy.close();
  }
}

describe('db:backup', () => {
  it('copies a consistent snapshot while another process queues mails; put in place, Mailroom starts on it with every mail', async () => {
    const live = await install('live');
    // ~24 MiB: the copy takes several steps, with the writer committing between them.
    const early = await fill(live, 3000, 8000);
    const writer = startWriter(live);
    try {
      await until(() => writer.committed.length >= 20, 'the writer to commit 20 mails');
      const committedBefore = [...writer.committed];
      const backupFile = join(live.dir, 'mailroom-backup.sqlite');
      const result = await mailroomOk(['db:backup', backupFile], { cwd: live.dir, env: live.env });
      const committedAfter = [...writer.committed];
      // The writer went on while the backup ran, so the snapshot had something to leave out.
      assert.ok(committedAfter.length > committedBefore.length, 'the writer committed mails while the backup ran');

      const reported = /Backed up (\d+) pages \(.+, (\d+) mail\(s\) in the outbox\) to (.+)\.\n/.exec(result.stdout);
      assert.ok(reported, result.stdout);
      assert.equal(reported[3], backupFile);
      assert.match(result.stdout, /The secret key is not in it: keep a copy of secret\.key/);
      assert.match(result.stdout, /copied \d+\/\d+ pages \(\d+%\)/, 'a large database shows its progress');

      const { integrity, ids } = outboxIds(backupFile);
      assert.equal(integrity, 'ok');
      // Every mail committed before the backup began is there …
      for (const id of [...early, ...committedBefore]) assert.ok(ids.includes(id), `mail ${id}, committed before the backup, is in it`);
      // … and the rest is exactly the writer's first k mails: a state the database really was in.
      const fromWriter = ids.slice(early.length);
      assert.deepEqual(ids.slice(0, early.length), early);
      assert.deepEqual(fromWriter, committedAfter.slice(0, fromWriter.length));
      assert.ok(fromWriter.length <= committedAfter.length);
      assert.equal(ids.length, Number(reported[2]), 'the count shown is the copy’s');

      assert.equal((await stat(backupFile)).mode & 0o777, 0o600);
      assert.deepEqual(
        (await readdir(live.dir)).filter((f) => f.includes('partial') || f.startsWith('mailroom-backup.sqlite-')),
        [],
      );

      // Restore: the copy and the key into a data folder of their own; Mailroom starts on it.
      const restored = await install('restored');
      await mkdir(restored.dataDir, { mode: 0o700 });
      await copyFile(backupFile, join(restored.dataDir, 'mailroom.sqlite'));
      await chmod(join(restored.dataDir, 'mailroom.sqlite'), 0o600);
      await copyFile(join(live.dataDir, 'secret.key'), join(restored.dataDir, 'secret.key'));
      const listed = await mailroomOk(['outbox:list', '--status', 'queued', '--limit', '1', '--json'], { cwd: restored.dir, env: restored.env });
      const { counts, mails } = JSON.parse(listed.stdout) as { counts: { queued: number }; mails: Array<{ id: number; subject: string }> };
      assert.equal(counts.queued, ids.length);
      assert.equal(mails[0]?.id, ids.at(-1));
      const status = await mailroomOk(['db:status'], { cwd: restored.dir, env: restored.env });
      assert.match(status.stdout, /Up to date\./);
    } finally {
      await writer.stop();
    }
  });

  it('does not overwrite a file unless --force, and names the file', async () => {
    const target = await install('force');
    await fill(target, 3, 100);
    const file = join(target.dir, 'keep.sqlite');
    await mailroomOk(['db:backup', file], { cwd: target.dir, env: target.env });
    const first = await stat(file);
    await fill(target, 2, 100);

    const refused = await runMailroom(['db:backup', file], { cwd: target.dir, env: target.env });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `mailroom: ${file} exists already: give another name, or --force to replace it\n`);
    assert.equal((await stat(file)).mtimeMs, first.mtimeMs);
    assert.equal(outboxIds(file).ids.length, 3);

    const forced = await mailroomOk(['db:backup', file, '--force'], { cwd: target.dir, env: target.env });
    assert.match(forced.stdout, /5 mail\(s\) in the outbox/);
    assert.equal(outboxIds(file).ids.length, 5);

    const intoLive = await runMailroom(['db:backup', join(target.dataDir, 'mailroom.sqlite'), '--force'], { cwd: target.dir, env: target.env });
    assert.equal(intoLive.code, 2);
    assert.match(intoLive.stderr, /is the live database itself/);
    const noFolder = await runMailroom(['db:backup', join(target.dir, 'missing', 'b.sqlite')], { cwd: target.dir, env: target.env });
    assert.equal(noFolder.code, 2);
    assert.match(noFolder.stderr, /the folder .*missing does not exist/);
  });

  it('on PostgreSQL, refuses and gives the pg_dump line; db:status works there too', async () => {
    postgres ??= await startPostgres();
    const url = await postgres.createDatabase();
    const target = await install('pg', { MAILROOM_DATABASE_URL: url, MAILROOM_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    const result = await runMailroom(['db:backup', join(target.dir, 'b.sqlite')], { cwd: target.dir, env: target.env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /this Mailroom uses PostgreSQL/);
    assert.ok(result.stderr.includes('pg_dump -Fc --file=mailroom.dump "$MAILROOM_DATABASE_URL"'), result.stderr);
    assert.ok(!result.stderr.includes(url), 'not the URL, which may hold a password');
    // db:backup left the new database as it was; the first ordinary command migrates it.
    const fresh = await runMailroom(['db:status'], { cwd: target.dir, env: target.env });
    assert.equal(fresh.code, 1);
    assert.match(fresh.stdout, new RegExp(`database schema 0 [\\s\\S]*\\nPending \\(${COUNT}\\):\\n`));
    await mailroomOk(['outbox:list'], { cwd: target.dir, env: target.env });
    const status = await mailroomOk(['db:status'], { cwd: target.dir, env: target.env });
    assert.match(status.stdout, new RegExp(`database schema ${LATEST} \\(this version's latest: ${LATEST}\\)[\\s\\S]*\\nUp to date\\.\\n$`));
  });
});

describe('db:status, db:migrate and MAILROOM_AUTO_MIGRATE=false', () => {
  it('refuses to start on pending migrations, shows them, applies them once, then starts', async () => {
    const target = await install('explicit', { MAILROOM_AUTO_MIGRATE: 'false' });
    const options = { cwd: target.dir, env: target.env };

    const refused = await runMailroom(['outbox:list'], options);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^mailroom: The database needs ${COUNT} migration\\(s\\) of Mailroom \\d+\\.\\d+\\.\\d+ \\(0001-initial, .*${LAST}\\) and MAILROOM_AUTO_MIGRATE is false: run mailroom db:migrate once \\(on one machine\\), then start Mailroom\\n$`));
    const serve = await runMailroom(['serve'], { ...options, env: { ...target.env, MAILROOM_PORT: '0' } });
    assert.equal(serve.code, 1);
    assert.match(serve.stderr, /run mailroom db:migrate once/);

    const pending = await runMailroom(['db:status'], options);
    assert.equal(pending.code, 1, 'pending migrations: exit 1 for scripts');
    assert.match(pending.stdout, new RegExp(`^Mailroom \\d+\\.\\d+\\.\\d+: database schema 0 \\(this version's latest: ${LATEST}\\)\\n`));
    assert.match(pending.stdout, new RegExp(`\\nApplied \\(0\\):\\n\\nPending \\(${COUNT}\\):\\n {2}0001-initial\\n`));
    assert.match(pending.stdout, /MAILROOM_AUTO_MIGRATE is false: run mailroom db:migrate once, then start Mailroom\.\n$/);

    const migrated = await mailroomOk(['db:migrate'], options);
    assert.match(migrated.stdout, new RegExp(`^\\[1/${COUNT}\\] 0001-initial applied \\(\\d+ ms\\)\\n`));
    assert.match(migrated.stdout, new RegExp(`\\[${COUNT}/${COUNT}\\] ${LAST} applied \\(\\d+ ms\\)\\nApplied ${COUNT} migration\\(s\\): the database is at schema ${LATEST}, the latest of Mailroom \\d+\\.\\d+\\.\\d+\\.\\n$`));

    const current = await mailroomOk(['db:status'], options);
    assert.match(current.stdout, new RegExp(`database schema ${LATEST} \\(this version's latest: ${LATEST}\\)`));
    assert.match(current.stdout, /\n {2}0012-serve-address {11}\S+Z {2}by Mailroom \d+\.\d+\.\d+\n/);
    assert.match(current.stdout, /\nPending \(0\):\n\nUp to date\.\n$/);
    await mailroomOk(['outbox:list'], options);
    const again = await mailroomOk(['db:migrate'], options);
    assert.match(again.stdout, new RegExp(`^Nothing to do: the database is at schema ${LATEST}\\b`));

    const invalid = await runMailroom(['outbox:list'], { ...options, env: { ...target.env, MAILROOM_AUTO_MIGRATE: 'no' } });
    assert.equal(invalid.code, 1);
    assert.equal(invalid.stderr, 'mailroom: MAILROOM_AUTO_MIGRATE: must be true or false\n');
  });

  it('an older Mailroom on a database a newer one migrated names the version to install', async () => {
    const target = await install('newer');
    const options = { cwd: target.dir, env: target.env };
    await mailroomOk(['outbox:list'], options);
    const sqlite = new BetterSqlite3(join(target.dataDir, 'mailroom.sqlite'));
    sqlite.prepare('insert into mailroom_migrations (name, timestamp) values (?, ?)').run('0099-from-the-future', '2030-01-01T00:00:00.000Z');
    sqlite.prepare('insert into mailroom_migration_versions (name, mailroom_version, applied_at) values (?, ?, ?)').run('0099-from-the-future', '99.1.0', Date.now());
    sqlite.close();

    const message = /^mailroom: this database was upgraded by Mailroom 99\.1\.0; install 99\.1\.0 or later \(this is Mailroom \d+\.\d+\.\d+, which does not know the database's migration\(s\) 0099-from-the-future\)/;
    for (const args of [['outbox:list'], ['db:migrate'], ['serve']]) {
      const result = await runMailroom(args, { ...options, env: { ...target.env, MAILROOM_PORT: '0' } });
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
      assert.ok(!result.stderr.includes('corrupted'), result.stderr);
    }
    const status = await runMailroom(['db:status'], options);
    assert.equal(status.code, 1);
    assert.match(status.stdout, new RegExp(`database schema 99 \\(this version's latest: ${LATEST}\\)`));
    assert.match(status.stdout, /\nUnknown to this version \(1\):\n {2}0099-from-the-future {9}2030-01-01T00:00:00\.000Z {2}by Mailroom 99\.1\.0\n\nThis database was upgraded by Mailroom 99\.1\.0; install 99\.1\.0 or later\.\n$/);
    // The way back is the backup: db:backup works on any schema.
    await mailroomOk(['db:backup', join(target.dir, 'b.sqlite')], options);
  });
});
