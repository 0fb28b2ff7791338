import type { Command } from 'commander';
import type { CommandIo } from './program.ts';

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
}
