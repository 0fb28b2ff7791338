import { Argument, CommanderError, Option, type Command } from 'commander';
import { bashCompletionScript } from './bash-completion.ts';
import { commandGroups, formatCommandList, formatGroup } from './command-groups.ts';
import type { CommandIo } from './program.ts';
import { mailroomVersion } from './version.ts';

/**
 * The commands about the commands: `--version` (also `-V`, `-v` and `version`), `list [group]`,
 * `completion bash`, and `mailroom GROUP` listing that group. Registered after every other
 * command: the groups, the list and the completion script are read from the program as it then is.
 */
export function registerOverviewCommands(program: Command, io: CommandIo): void {
  const version = mailroomVersion();
  const printVersion = (): never => {
    io.out(`mailroom ${version}`);
    // How commander itself ends --help: exit code 0, nothing more to run.
    throw new CommanderError(0, 'mailroom.version', version);
  };
  // Not commander's .version(), which prints the bare number: every spelling prints one line.
  program.addOption(new Option('-V, --version', 'print the version of Mailroom'));
  program.on('option:version', printVersion);
  program.addOption(new Option('-v').hideHelp());
  program.on('option:v', printVersion);
  program.command('version', { hidden: true }).description('print the version of Mailroom').action(printVersion);

  const groups = [...commandGroups(program).keys()];
  program
    .command('list')
    .description('list the commands by group, or those of one group')
    .addArgument(new Argument('[group]', 'only the commands of this group').choices(groups))
    .action((group: string | undefined) => io.out(group === undefined ? formatCommandList(program, version) : formatGroup(program, group)));

  program
    .command('completion')
    .description('print the completion script for a shell: source <(mailroom completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash']))
    .action(() => io.out(bashCompletionScript(program)));

  // `mailroom outbox` lists the outbox commands instead of "unknown command".
  for (const group of groups) {
    if (program.commands.some((c) => c.name() === group)) continue;
    program
      .command(group, { hidden: true })
      .description(`the commands of the ${group} group`)
      .configureHelp({ formatHelp: () => `${formatGroup(program, group)}\n` })
      .action(() => io.out(formatGroup(program, group)));
  }
}
