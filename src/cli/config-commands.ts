import type { Command } from 'commander';
import { quote } from '../config/php-source.ts';
import type { SettingView } from '../config/settings-service.ts';
import { assertSettingKey } from '../config/validate-setting.ts';
import type { CommandIo } from './command-io.ts';

function shownValue(view: SettingView): string {
  if (view.secret) return view.isSet ? '(set, hidden)' : '(not set)';
  return view.value === '' ? "''" : String(view.value);
}

export function registerConfigCommands(program: Command, io: CommandIo): void {
  program
    .command('config:list')
    .description('list every setting with its value, where it comes from, and whether it is locked')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const views = await (await io.context()).settings.describe();
      if (options.json) return io.out(JSON.stringify(views, null, 2));
      const width = Math.max(...views.map((v) => v.key.length));
      for (const v of views) {
        const lock = v.locked ? `  [locked by ${v.lockedBy === 'env' ? 'environment' : 'config file'}]` : v.fileOnly ? '  [config file or environment only]' : '';
        io.out(`${v.key.padEnd(width)}  ${shownValue(v)}  (${v.source})${lock}`);
      }
    });

  program
    .command('config:get')
    .description('print one setting (secrets only say whether they are set)')
    .argument('<key>')
    .option('--json', 'machine-readable output')
    .action(async (rawKey: string, options: { json?: boolean }) => {
      const key = assertSettingKey(rawKey);
      const view = (await (await io.context()).settings.describe()).find((v) => v.key === key) as SettingView;
      io.out(options.json ? JSON.stringify(view, null, 2) : shownValue(view));
    });

  program
    .command('config:set')
    .description("save a setting in the database (VALUE '-' reads it from standard input, for passwords)")
    .argument('<key>')
    .argument('<value>')
    .action(async (rawKey: string, rawValue: string) => {
      const key = assertSettingKey(rawKey);
      const ctx = await io.context();
      const value = rawValue === '-' ? (await io.readInput('-')).replace(/\r?\n$/, '') : rawValue;
      await ctx.settings.update({ [key]: value });
      const view = (await ctx.settings.describe()).find((v) => v.key === key) as SettingView;
      io.out(`${key} = ${shownValue(view)} (saved)`);
    });

  program
    .command('config:unset')
    .description('remove a saved setting, so its default applies again')
    .argument('<key>')
    .action(async (rawKey: string) => {
      const key = assertSettingKey(rawKey);
      const ctx = await io.context();
      await ctx.settings.unset([key]);
      const view = (await ctx.settings.describe()).find((v) => v.key === key) as SettingView;
      io.out(`${key} = ${shownValue(view)} (${view.source})`);
    });

  program
    .command('config:import')
    .description('copy the mail settings of an ownCloud or Nextcloud config.php (parsed, never executed)')
    .argument('<file>')
    .action(async (file: string) => {
      const source = await io.readInput(file);
      const report = await (await io.context()).importOwncloudConfig(source, file);
      io.out(`Imported ${report.imported.length} setting(s) from ${file}:`);
      for (const item of report.imported) io.out(`  ${item.key} = ${item.value === undefined ? '(hidden)' : item.value === '' ? "''" : String(item.value)}`);
      if (report.locked.length) io.out(`Left as they are (locked by the config file or environment): ${report.locked.join(', ')}`);
      if (report.notUsed.length) io.out(`Not used by Mailroom: ${report.notUsed.join(', ')}`);
      for (const item of report.unreadable) {
        io.out(`Not imported: ${quote(item.key)} (line ${item.line}, column ${item.column}) cannot be read without running PHP: ${item.problem}; it is not a setting Mailroom imports, so the import went on`);
      }
      for (const item of report.fileOnly) {
        io.out(`Not imported: ${item.key} = ${String(item.value)} names a program Mailroom runs, so only the config file (MAILROOM_CONFIG) or the environment (MAILROOM_${item.key.toUpperCase()}) may set it; copy it there if Mailroom should run that program`);
      }
    });
}
