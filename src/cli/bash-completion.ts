import type { Command, Option } from 'commander';
import { commandGroups, visibleCommands } from './command-groups.ts';

/** Words the script holds in single quotes: a quote or a space in one would break it. */
function word(text: string): string {
  if (!/^[A-Za-z0-9:_.=+@/-]+$/.test(text)) throw new Error(`cannot put "${text}" in the bash completion script`);
  return text;
}

function words(list: readonly string[]): string {
  return list.map(word).join(' ');
}

function flagsOf(option: Option): string[] {
  return [option.long, option.short].filter((f): f is string => f !== undefined);
}

/** One `case` branch: the options of a command, and what follows those that take a value. */
function commandBranch(command: Command, argumentWords: readonly string[]): string {
  const options = command.createHelp().visibleOptions(command);
  const valueBranches = options
    .filter((o) => o.required || o.optional)
    .map((o) => {
      // An option's value: its choices when it has some, else nothing here, so that bash offers
      // file names (complete -o default).
      const choices = o.argChoices ?? [];
      return `        ${flagsOf(o).map(word).join('|')}) COMPREPLY=($(compgen -W '${words(choices)}' -- "$cur")); return 0 ;;`;
    });
  const lines = [`    '${word(command.name())}')`];
  if (valueBranches.length > 0) lines.push('      case $prev in', ...valueBranches, '      esac');
  lines.push(`      if [[ $cur == -* ]]; then candidates='${words(options.flatMap((o) => (o.long ? [o.long] : flagsOf(o))))}'; else candidates='${words(argumentWords)}'; fi`, '      ;;');
  return lines.join('\n');
}

/**
 * `mailroom completion bash`: a script that `source <(mailroom completion bash)` loads. It is made
 * from the program itself (commands, their options, the values an argument or option allows), so
 * a new command completes without being listed anywhere.
 */
export function bashCompletionScript(program: Command): string {
  const commands = visibleCommands(program);
  const names = commands.map((c) => c.name());
  const groups = [...commandGroups(program).keys()];
  const rootOptions = program
    .createHelp()
    .visibleOptions(program)
    .flatMap((o) => (o.long ? [o.long] : flagsOf(o)));
  const argumentWordsOf = (command: Command): string[] => {
    // `help` takes a command (or a group); any other command offers its first argument's choices.
    if (command.name() === 'help') return [...names, ...groups];
    return command.registeredArguments[0]?.argChoices ?? [];
  };
  return `# bash completion for mailroom, made by \`mailroom completion bash\`.
# Load it with: source <(mailroom completion bash)
# or keep it: mailroom completion bash > /etc/bash_completion.d/mailroom
_mailroom() {
  local cur prev command= candidates= w i
  local -a words=()
  # bash splits words at ':' (it is in COMP_WORDBREAKS), so outbox:list arrives as outbox, :, list.
  for ((i = 0; i <= COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if ((\${#words[@]} > 0 && i > 0)) && [[ $w == : || \${COMP_WORDS[i-1]} == : ]]; then
      words[\${#words[@]}-1]+=$w
    else
      words+=("$w")
    fi
  done
  cur=\${words[\${#words[@]}-1]}
  prev=
  if ((\${#words[@]} > 1)); then prev=\${words[\${#words[@]}-2]}; fi
  for ((i = 1; i < \${#words[@]} - 1; i++)); do
    if [[ \${words[i]} != -* ]]; then command=\${words[i]}; break; fi
  done
  case $command in
    '')
      if [[ $cur == -* ]]; then candidates='${words(rootOptions)}'; else candidates='${words(names)}'; fi
      ;;
${commands.map((c) => commandBranch(c, argumentWordsOf(c))).join('\n')}
  esac
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  # bash replaces only what follows the last ':' of the word: hand it that part.
  if [[ $cur == *:* ]]; then
    local before=\${cur%"\${cur##*:}"}
    for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]=\${COMPREPLY[i]#"$before"}; done
  fi
  return 0
}
complete -o default -F _mailroom mailroom
`;
}
