import type { Command } from 'commander';

/** The group of a command: what comes before the colon (`outbox` of `outbox:list`); none for `serve`. */
export function groupOf(name: string): string | undefined {
  const colon = name.indexOf(':');
  return colon > 0 ? name.slice(0, colon) : undefined;
}

/** The commands a user may type, as the help shows them (hidden ones left out), by name. */
export function visibleCommands(program: Command): Command[] {
  return program
    .createHelp()
    .visibleCommands(program)
    .sort((a, b) => a.name().localeCompare(b.name()));
}

/** The groups of the program's commands, each with its commands, by name. */
export function commandGroups(program: Command): Map<string, Command[]> {
  const groups = new Map<string, Command[]>();
  for (const command of visibleCommands(program)) {
    const group = groupOf(command.name());
    if (group !== undefined) groups.set(group, [...(groups.get(group) ?? []), command]);
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

function rows(commands: readonly Command[], width: number, indent: string): string[] {
  return commands.map((c) => `${indent}${c.name().padEnd(width)}  ${c.description()}`.trimEnd());
}

/**
 * `mailroom list`: the commands without a group first, then each group under its name, the way
 * `occ list` shows namespaces. Made from the program, so every registered command is in it.
 */
export function formatCommandList(program: Command, version: string): string {
  const commands = visibleCommands(program);
  const width = Math.max(...commands.map((c) => c.name().length));
  const lines = [
    `Mailroom ${version}`,
    '',
    'Usage:',
    '  mailroom <command> [options] [arguments]',
    '  mailroom help <command>    the options and arguments of one command',
    '  mailroom list <group>      the commands of one group (also: mailroom <group>)',
    '',
    'Commands:',
    ...rows(
      commands.filter((c) => groupOf(c.name()) === undefined),
      width,
      '  ',
    ),
  ];
  for (const [group, members] of commandGroups(program)) lines.push(` ${group}`, ...rows(members, width, '  '));
  return lines.join('\n');
}

/** `mailroom list GROUP` and `mailroom GROUP`: the commands of one group. */
export function formatGroup(program: Command, group: string): string {
  const members = commandGroups(program).get(group) ?? [];
  const width = Math.max(0, ...members.map((c) => c.name().length));
  return [`Commands of the "${group}" group:`, ...rows(members, width, '  '), '', `mailroom help <command> shows the options of one.`].join('\n');
}

/** Edits (insert, delete, replace, swap two neighbours) that turn one name into the other. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The names a mistyped one was probably meant as: the nearest, at most two edits away. */
export function similarNames(typed: string, names: readonly string[]): string[] {
  const scored = names.map((name) => ({ name, edits: distance(typed, name) })).filter((s) => s.edits <= 2);
  const best = Math.min(...scored.map((s) => s.edits));
  return scored.filter((s) => s.edits === best).map((s) => s.name);
}
