import { Argument, CommanderError, Option, type Command } from 'commander';
import { bashCompletionScript } from './bash-completion.ts';
import { commandGroups, formatCommandList, formatGroup, similarNames } from './command-groups.ts';
import type { CommandIo } from './command-io.ts';
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
  // Instead of commander's implicit one, which answers a mistyped name with the whole help.
  program.helpCommand(false);
  program
    .command('help')
    .description('show the options and arguments of a command, or the commands of a group')
    .argument('[command]', 'a command, or a group')
    .action((name: string | undefined) => {
      if (name === undefined) return program.help();
      // The hidden group commands are found too: `help outbox` lists the outbox commands.
      const command = program.commands.find((c) => c.name() === name);
      if (command) return command.help();
      const known = program.commands.filter((c) => c.name() !== 'help').map((c) => c.name());
      const similar = similarNames(name, known);
      const hint = similar.length > 0 ? `\n(Did you mean ${similar.join(', ')}?)` : '\n(mailroom list shows the commands)';
      program.error(`error: unknown command '${name}'${hint}`, { code: 'mailroom.unknownCommand', exitCode: 2 });
    });

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
