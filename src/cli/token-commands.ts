import type { Command } from 'commander';
import { MailroomError } from '../errors.ts';
import type { CommandIo } from './command-io.ts';

export function registerTokenCommands(program: Command, io: CommandIo): void {
  program
    .command('token:create')
    .description('create an API token (printed once; only a hash is kept)')
    .argument('<name>')
    .option('--scope <scope>', 'admin (everything), service (events and messages of a host application)', 'admin')
    .option('--user <uid>', 'an app password: the token acts as this user')
    .action(async (name: string, options: { scope: string; user?: string }, command: Command) => {
      if (options.user !== undefined && command.getOptionValueSource('scope') === 'cli') throw new MailroomError('invalid_request', 'Give --scope or --user, not both: a token with --user acts as that user');
      if (options.scope !== 'admin' && options.scope !== 'service') throw new MailroomError('invalid_request', `--scope: "${options.scope}" is not admin or service`);
      const token = await (await io.context()).tokens.create(name, options.user !== undefined ? { uid: options.user } : { scope: options.scope });
      io.out(token);
    });

  program
    .command('token:list')
    .description('list API tokens (names and dates, never the tokens)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const tokens = await (await io.context()).tokens.list();
      if (options.json) return io.out(JSON.stringify(tokens, null, 2));
      if (tokens.length === 0) return io.out('No tokens. Create one with: mailroom token:create NAME');
      for (const t of tokens) io.out(`${t.name}  ${t.scope}${t.uid ? `:${t.uid}` : ''}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}`);
    });

  program
    .command('token:revoke')
    .description('revoke an API token')
    .argument('<name>')
    .action(async (name: string) => {
      await (await io.context()).tokens.revoke(name);
      io.out(`Token ${name} revoked`);
    });
}
