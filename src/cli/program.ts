import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import type { AppContext } from '../context.ts';
import { errorCodes, isMailroomError, MailroomError } from '../errors.ts';
import { registerBounceCommands } from './bounce-commands.ts';
import { registerConfigCommands } from './config-commands.ts';
import { registerDatabaseCommands } from './database-commands.ts';
import { registerMailCommands } from './mail-commands.ts';
import { registerOutboxCommands } from './outbox-commands.ts';
import { registerOverviewCommands } from './overview-commands.ts';
import { registerTemplateCommands } from './template-commands.ts';
import { registerTokenCommands } from './token-commands.ts';
import { registerUserCommands } from './user-commands.ts';
import type { CliDeps, CommandIo } from './command-io.ts';

export type { CliDeps, CommandIo, ContextOptions, ParentLink, RunningServer, WorkerProcessHandle } from './command-io.ts';

export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let ctx: AppContext | undefined;
  const io: CommandIo = {
    out: (line) => void deps.stdout.write(line.endsWith('\n') ? line : `${line}\n`),
    context: async (options = {}) => {
      // One-off commands log only warnings unless MAILROOM_LOG_LEVEL says otherwise: their
      // answer is what they print.
      ctx ??= await deps.buildContext({ defaultLogLevel: 'warn', ...options });
      return ctx;
    },
    readInput: async (fileOrDash) => {
      if (fileOrDash === '-') return (deps.readStdin ?? readStdin)();
      try {
        return await readFile(fileOrDash, 'utf8');
      } catch (error) {
        throw new MailroomError('file_unreadable', `Cannot read ${fileOrDash}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    },
    waitForStop: () => (deps.waitForStop ?? waitForSignal)(),
    deps,
  };

  const program = new Command('mailroom')
    .description('Mailroom: the email system of your self-hosted cloud')
    .exitOverride()
    .configureOutput({ writeOut: (s) => deps.stdout.write(s), writeErr: (s) => deps.stderr.write(s) })
    .showSuggestionAfterError(true)
    // Options of mailroom itself (--version) come before the command: template:get has a
    // --version of its own.
    .enablePositionalOptions()
    .addHelpText('after', '\nmailroom list shows the commands by group; mailroom help <command> the options of one.');

  program
    .command('serve')
    .description('serve the API, with the outbox worker in a process of its own beside it')
    .option('--no-worker', 'do not run the outbox worker')
    .action(async (options: { worker: boolean }) => {
      // serve logs at MAILROOM_LOG_LEVEL (info), not the one-off commands' warn.
      const context = await io.context({ bootstrapAdmin: true, defaultLogLevel: undefined });
      // The worker gets a process (and so a core) of its own when main.ts can start one.
      const inProcess = options.worker && !deps.startWorkerProcess;
      const worker = inProcess ? context.createWorker() : undefined;
      const digests = inProcess ? context.createDigestScheduler() : undefined;
      const bounceMailbox = inProcess ? context.createBounceMailboxPoller() : undefined;
      const server = await deps.startServer(context);
      const workerProcess = options.worker ? deps.startWorkerProcess?.(context) : undefined;
      worker?.start();
      digests?.start();
      bounceMailbox?.start();
      context.log.info({ event: 'serving', url: server.url }, `Mailroom is listening on ${server.url}`);
      const settings = await context.settings.get();
      if (settings.mail_smtpmode === 'capture') {
        context.log.warn({ event: 'capture_mode' }, 'mail_smtpmode is capture: mails are kept in Mailroom, not sent, until a mail server is configured');
      }
      if ((await context.settings.describe()).find((v) => v.key === 'base_url')?.source === 'default') {
        context.log.warn({ event: 'base_url_derived', baseUrl: settings.base_url }, `base_url is not set: links in mails start with ${settings.base_url}, the address Mailroom listens on; set base_url (the General page, or mailroom config:set base_url) when users reach Mailroom at another address`);
      }
      for (const key of await context.settings.ignoredSaved()) {
        context.log.warn({ event: 'setting_ignored', key }, `${key} saved in the database is ignored: it names a program Mailroom runs, so only the config file or MAILROOM_${key.toUpperCase()} sets it (mailroom config:unset ${key} removes the saved one)`);
      }
      await io.waitForStop();
      await Promise.all([digests?.stop(), bounceMailbox?.stop()]);
      await worker?.stop();
      await Promise.all([workerProcess?.stop(), server.close()]);
    });

  registerBounceCommands(program, io);
  registerConfigCommands(program, io);
  registerDatabaseCommands(program, io);
  registerMailCommands(program, io);
  registerTokenCommands(program, io);
  registerOutboxCommands(program, io);
  registerTemplateCommands(program, io);
  registerUserCommands(program, io);
  // Last: it reads the commands registered above.
  registerOverviewCommands(program, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return (program as Command & { mailroomExitCode?: number }).mailroomExitCode ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isMailroomError(error)) {
      deps.stderr.write(`mailroom: ${error.message}\n`);
      return errorCodes[error.code].exit;
    }
    deps.stderr.write(`mailroom: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    await ctx?.close();
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
