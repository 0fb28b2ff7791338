import type { Command } from 'commander';
import type { AppContext } from '../context.ts';
import { MailroomError } from '../errors.ts';
import { setExitCode, type CommandIo } from './command-io.ts';

type SchemaStatus = Awaited<ReturnType<AppContext['databaseStatus']>>;

export function registerDatabaseCommands(program: Command, io: CommandIo): void {
  program
    .command('db:copy')
    .description('copy this SQLite database (settings, users, templates, outbox, activities, everything) into an empty PostgreSQL database; stop Mailroom first')
    .requiredOption('--to <url>', 'the PostgreSQL database to fill: postgres://user:password@host:5432/database')
    .action(async (options: { to: string }) => {
      const ctx = await io.context();
      const report = await ctx.copyDatabaseTo(options.to, (table, rows) => io.out(`${table.padEnd(24)} ${rows} row(s)`));
      const total = report.tables.reduce((sum, t) => sum + t.rows, 0);
      io.out(`Copied ${total} row(s) in ${report.tables.length} tables to ${report.target}.`);
      io.out('Next: start Mailroom with MAILROOM_DATABASE_URL set to that URL. The stored secrets (SMTP password, OAuth tokens) and the unsubscribe links need the same secret key: keep this data folder (its secret.key), or set MAILROOM_SECRET_KEY to the content of that file on every machine.');
    });

  program
    .command('db:backup')
    .description('write a consistent copy of the SQLite database to FILE while Mailroom runs (PostgreSQL: use pg_dump)')
    .argument('<file>', 'the backup to write, e.g. mailroom-2026-12-07.sqlite (made 0600)')
    .option('--force', 'replace FILE when it exists')
    .action(async (file: string, options: { force?: boolean }) => {
      if (file.trim() === '') throw new MailroomError('invalid_request', 'db:backup needs a file name, e.g. mailroom-$(date +%F).sqlite');
      // Any schema can be backed up: the backup taken just before a migration is the one that matters.
      const ctx = await io.context({ schemaAsIs: true });
      let shownTenth = -1;
      const report = await ctx.backupDatabase(file, {
        force: options.force === true,
        onProgress: ({ pagesDone, pagesTotal }) => {
          // A line a tenth on a large database; nothing between for one copied in a step or two.
          const tenth = Math.floor((pagesDone / pagesTotal) * 10);
          if (tenth === shownTenth || pagesDone === 0 || pagesDone === pagesTotal) return;
          shownTenth = tenth;
          io.out(`copied ${pagesDone}/${pagesTotal} pages (${Math.floor((pagesDone / pagesTotal) * 100)}%)`);
        },
      });
      io.out(`Backed up ${report.pages} pages (${formatBytes(report.bytes)}, ${report.outboxMails} mail(s) in the outbox) to ${report.file}.`);
      io.out(`The secret key is not in it: keep a copy of secret.key from ${ctx.runtime.dataDir} (or MAILROOM_SECRET_KEY) apart from the backup; stored passwords and unsubscribe links need it.`);
    });

  program
    .command('db:status')
    .description('show the schema version, the migrations applied and those pending')
    .action(async () => {
      const ctx = await io.context({ schemaAsIs: true });
      const status = await ctx.databaseStatus();
      for (const line of statusLines(status, ctx.runtime.autoMigrate)) io.out(line);
      // Pending or unknown migrations: a script that checks before starting Mailroom sees it.
      if (status.pending.length > 0 || status.unknown.length > 0) setExitCode(program, 1);
    });

  program
    .command('db:migrate')
    .description('apply the pending migrations, one at a time (with MAILROOM_AUTO_MIGRATE=false, once before starting Mailroom)')
    .action(async () => {
      const ctx = await io.context({ schemaAsIs: true });
      const before = await ctx.databaseStatus();
      if (before.unknown.length === 0 && before.pending.length === 0) {
        io.out(`Nothing to do: the database is at schema ${before.schemaVersion}, the latest of Mailroom ${before.mailroomVersion}.`);
        return;
      }
      const steps = await ctx.migrateDatabase((step, index, total) => io.out(`[${index + 1}/${total}] ${step.name} applied (${step.ms} ms)`));
      const after = await ctx.databaseStatus();
      io.out(`Applied ${steps.length} migration(s): the database is at schema ${after.schemaVersion}${after.pending.length === 0 ? `, the latest of Mailroom ${after.mailroomVersion}` : ` (${after.pending.length} still pending)`}.`);
    });
}

function statusLines(status: SchemaStatus, autoMigrate: boolean): string[] {
  const lines = [`Mailroom ${status.mailroomVersion}: database schema ${status.schemaVersion} (this version's latest: ${status.latestVersion})`, ''];
  lines.push(`Applied (${status.applied.length}):`);
  for (const m of status.applied) lines.push(`  ${m.name.padEnd(28)} ${m.appliedAt.toISOString()}${m.by ? `  by Mailroom ${m.by}` : ''}`);
  lines.push('', `Pending (${status.pending.length}):`);
  for (const name of status.pending) lines.push(`  ${name}`);
  if (status.unknown.length > 0) {
    lines.push('', `Unknown to this version (${status.unknown.length}):`);
    for (const m of status.unknown) lines.push(`  ${m.name.padEnd(28)} ${m.appliedAt.toISOString()}${m.by ? `  by Mailroom ${m.by}` : ''}`);
    lines.push('', status.upgradedBy ? `This database was upgraded by Mailroom ${status.upgradedBy}; install ${status.upgradedBy} or later.` : 'This database was upgraded by a newer Mailroom; install that version or later.');
  } else if (status.pending.length > 0) {
    lines.push('', autoMigrate ? 'Mailroom applies them when it starts, or now with mailroom db:migrate.' : 'MAILROOM_AUTO_MIGRATE is false: run mailroom db:migrate once, then start Mailroom.');
  } else {
    lines.push('', 'Up to date.');
  }
  return lines;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
