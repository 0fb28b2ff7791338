import type { Command } from 'commander';
import { LANGUAGE_CODES } from '../domain/languages.ts';
import { MailroomError } from '../errors.ts';
import { parseEventInputs } from '../notifications/event-input.ts';
import { newUserSchema, userChangesSchema, type PublicUser } from '../users/user-service.ts';
import type { CommandIo } from './command-io.ts';
import { parseWith, positiveInteger } from './parse-with.ts';

interface UserOptions {
  email?: string;
  displayName?: string;
  language?: string;
  timezone?: string;
  admin?: boolean;
  passwordFromEnv?: string;
  invite?: boolean;
}

/** The password named by --password-from-env: never on the command line, where `ps` shows it. */
function passwordFrom(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (value === undefined || value === '') throw new MailroomError('invalid_request', `--password-from-env ${variable}: the environment variable ${variable} is not set`);
  return value;
}

function line(u: PublicUser): string {
  const flags = [u.admin ? 'admin' : '', u.disabled ? 'disabled' : '', u.password_set ? '' : 'no password set'].filter(Boolean).join(',');
  return `${u.uid}  ${u.display_name}  ${u.email ?? '(no email)'}  ${u.language}  ${u.timezone}${flags ? `  [${flags}]` : ''}`;
}

function invitationLine(invitation: { email: string; expires_at: string }): string {
  return `Invitation queued for ${invitation.email}: its set-password link works once, until ${invitation.expires_at}`;
}

export function registerUserCommands(program: Command, io: CommandIo): void {
  program
    .command('user:add')
    .description('add a user (people get mails at their address, in their language and time zone)')
    .argument('<uid>')
    .option('--email <address>', 'where mails go')
    .option('--display-name <name>', 'the name shown in mails (default: the uid)')
    .option('--language <lang>', `one of ${LANGUAGE_CODES.join(', ')} (de-AT is taken as de)`)
    .option('--timezone <zone>', 'IANA time zone, e.g. Asia/Shanghai (default UTC)')
    .option('--admin', 'may administer Mailroom')
    .option('--password-from-env <VAR>', 'take the password from this environment variable')
    .option('--no-invite', 'with --email and no password: do not mail the welcome invitation')
    .action(async (uid: string, options: UserOptions) => {
      const input = parseWith(newUserSchema, {
        uid,
        ...(options.email !== undefined ? { email: options.email } : {}),
        ...(options.displayName !== undefined ? { display_name: options.displayName } : {}),
        ...(options.language !== undefined ? { language: options.language } : {}),
        ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
        ...(options.admin ? { admin: true } : {}),
        ...(options.passwordFromEnv !== undefined ? { password: passwordFrom(options.passwordFromEnv) } : {}),
        ...(options.invite === false ? { invite: false } : {}),
      });
      const user = await (await io.context()).users.add(input);
      io.out(`User ${user.uid} added`);
      if (user.invitation) io.out(invitationLine(user.invitation));
      if (user.invitation_error) {
        throw new MailroomError(user.invitation_error.code, `the invitation was not sent: ${user.invitation_error.message}`);
      }
    });

  program
    .command('activities:purge')
    .description('forget activities, digests and events older than some days (what still waits for a digest stays)')
    .requiredOption('--older-than <days>', 'age in days')
    .action(async (options: { olderThan: string }) => {
      const removed = await (await io.context()).events.purge(positiveInteger(options.olderThan, '--older-than'));
      io.out(`${removed.activities} activit${removed.activities === 1 ? 'y' : 'ies'}, ${removed.digests} digest(s), ${removed.events} event(s) and ${removed.linkMails} public-link record(s) removed`);
    });

  program
    .command('user:invite')
    .description('mail the welcome invitation (again): a new set-password link; the links of earlier invitations stop working')
    .argument('<uid>')
    .action(async (uid: string) => {
      io.out(invitationLine(await (await io.context()).accountMails.invite(uid)));
    });

  program
    .command('user:list')
    .description('list users')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const users = await (await io.context()).users.list();
      if (options.json) return io.out(JSON.stringify(users, null, 2));
      for (const u of users) io.out(line(u));
    });

  program
    .command('user:modify')
    .description('change a user (an empty --email removes the address)')
    .argument('<uid>')
    .option('--email <address>', 'new address ("" for none)')
    .option('--display-name <name>')
    .option('--language <lang>', `one of ${LANGUAGE_CODES.join(', ')} (de-AT is taken as de)`)
    .option('--timezone <zone>', 'IANA time zone')
    .option('--admin', 'make admin')
    .option('--no-admin', 'no longer admin')
    .option('--disable', 'disable the account (no sign-in, no mail)')
    .option('--enable', 'enable the account again')
    .option('--password-from-env <VAR>', 'set the password from this environment variable')
    .option('--json', 'print the user as JSON')
    .action(async (uid: string, options: UserOptions & { disable?: boolean; enable?: boolean; json?: boolean }, command: Command) => {
      if (options.disable && options.enable) throw new MailroomError('invalid_request', 'Give --disable or --enable, not both');
      const adminSource = command.getOptionValueSource('admin');
      const changes = parseWith(userChangesSchema, {
        ...(options.email !== undefined ? { email: options.email === '' ? null : options.email } : {}),
        ...(options.displayName !== undefined ? { display_name: options.displayName } : {}),
        ...(options.language !== undefined ? { language: options.language } : {}),
        ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
        ...(adminSource === 'cli' ? { admin: options.admin === true } : {}),
        ...(options.disable ? { disabled: true } : options.enable ? { disabled: false } : {}),
        ...(options.passwordFromEnv !== undefined ? { password: passwordFrom(options.passwordFromEnv) } : {}),
      });
      if (Object.keys(changes).length === 0) throw new MailroomError('invalid_request', 'Nothing to change: give at least one option (see mailroom user:modify --help)');
      const user = await (await io.context()).users.modify(uid, changes);
      io.out(options.json ? JSON.stringify(user, null, 2) : `User ${uid} changed: ${line(user)}`);
    });

  program
    .command('user:delete')
    .description('delete a user with their sessions, tokens, preferences and activities')
    .argument('<uid>')
    .action(async (uid: string) => {
      await (await io.context()).users.delete(uid);
      io.out(`User ${uid} deleted`);
    });

  program
    .command('event:emit')
    .description('report an event, as POST /api/v1/events does (for scripts)')
    .argument('<type>', 'e.g. share.created, file.changed')
    .requiredOption('--json <data>', 'the event without its type, as JSON ("-" reads stdin), e.g. {"actor":"alice","affected":["bob"],"object":{"type":"file","id":"1","name":"a.txt"}}')
    .action(async (type: string, options: { json: string }) => {
      const text = options.json === '-' ? await io.readInput('-') : options.json;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        throw new MailroomError('invalid_request', `--json: not valid JSON (${(error as Error).message})`);
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new MailroomError('invalid_request', '--json: give one JSON object');
      const [event] = parseEventInputs({ ...data, type });
      const result = await (await io.context()).events.ingest([event as NonNullable<typeof event>]);
      const first = result.events[0] as { id: string; duplicate: boolean };
      io.out(first.duplicate ? `Event ${first.id} was recorded before; nothing new` : `Event ${first.id} recorded: ${result.activities} activit${result.activities === 1 ? 'y' : 'ies'}, ${result.mails} mail(s) queued`);
    });

  program
    .command('digest:run')
    .description('queue the activity digests that are due now (the worker does this every 30 s)')
    .option('--all', 'send everything waiting now, due or not')
    .action(async (options: { all?: boolean }) => {
      const report = await (await io.context()).digests.runDue({ all: options.all === true });
      io.out(`${report.digests} digest(s) queued with ${report.activities} activit${report.activities === 1 ? 'y' : 'ies'}${report.skipped ? `; ${report.skipped} taken by another worker` : ''}`);
    });
}
