import type { Command } from 'commander';
import { errorCodes, isMailroomError } from '../errors.ts';
import { MAX_BOUNCE_BYTES } from '../bounces/bounce-service.ts';
import { setExitCode, type CommandIo } from './command-io.ts';

/** sysexits.h EX_TEMPFAIL: the mail server keeps the message and delivers it again later. */
export const EX_TEMPFAIL = 75;

/** Standard input as bytes, at most `limit` of them kept; the rest is read and dropped, so the writer never sees a broken pipe. */
async function readStdinBytes(limit: number): Promise<{ raw: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  for await (const chunk of process.stdin) {
    const bytes = chunk as Buffer;
    if (kept >= limit) {
      truncated = true;
      continue;
    }
    const take = bytes.subarray(0, limit - kept);
    if (take.length < bytes.length) truncated = true;
    chunks.push(take);
    kept += take.length;
  }
  return { raw: Buffer.concat(chunks), truncated };
}

export function registerBounceCommands(program: Command, io: CommandIo): void {
  program
    .command('bounce:receive')
    .description('read one bounce, delay notice or complaint on stdin (for a mail server pipe) and record it')
    .option('--recipient <address>', 'the envelope recipient (the VERP address), e.g. ${original_recipient} of a Postfix pipe; else read from the message')
    .action(async (options: { recipient?: string }, command: Command) => {
      // A pipe's exit code is the mail server's whole answer: 0 when the message was handled or
      // ignored (a bounce is never bounced), 75 when it should be kept and delivered again later.
      try {
        const { raw, truncated } = await readStdinBytes(MAX_BOUNCE_BYTES);
        const ctx = await io.context({ defaultLogLevel: 'info' });
        const envelopeRecipient = options.recipient ?? process.env['ORIGINAL_RECIPIENT'] ?? process.env['RECIPIENT'];
        await ctx.bounces.receive(raw, { envelopeRecipient, truncated });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        io.deps.stderr.write(`mailroom: the bounce was not recorded and should be delivered again later: ${isMailroomError(error) ? `${message} (${error.code})` : message}\n`);
        setExitCode(command, EX_TEMPFAIL);
      }
    });

  program
    .command('bounce:fetch')
    .description('fetch the bounce mailbox once (mail_bounce_pop3_*): record each message as bounce:receive does, then delete it')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = await io.context();
      let report;
      try {
        report = await ctx.bounceMailbox.fetch();
      } catch (error) {
        if (!isMailroomError(error)) throw error;
        // The code too, for scripts and cron mails: the message alone changes between versions.
        io.deps.stderr.write(`mailroom: the bounce mailbox was not fetched: ${error.message} [${error.code}]\n`);
        setExitCode(command, errorCodes[error.code].exit);
        return;
      }
      if (options.json) return io.out(JSON.stringify(report, null, 2));
      io.out(`${report.fetched} message(s) fetched and deleted: ${report.recorded} recorded, ${report.ignored} ignored${report.left > 0 ? `; ${report.left} left for the next fetch` : ''}`);
    });

  program
    .command('bounce:list')
    .description('the addresses with a bounce score, and whether their notifications stop')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const ctx = await io.context();
      const [addresses, reputation, settings] = await Promise.all([ctx.bounces.list(), ctx.bounces.reputationWarning(), ctx.settings.get()]);
      if (options.json) return io.out(JSON.stringify({ threshold: settings.mail_bounce_threshold, addresses, reputation: reputation ?? null }, null, 2));
      if (addresses.length === 0) io.out('No address has a bounce score.');
      for (const a of addresses) {
        io.out(
          `${a.address}  score ${a.score}${a.suppressed ? ` (at least ${settings.mail_bounce_threshold}: no notifications)` : ''}, last ${a.lastKind} bounce ${new Date(a.lastBounceAt).toISOString()}${a.lastStatus ? ` ${a.lastStatus}` : ''} (mail #${a.lastMailId})${a.lastDiagnostic ? `: ${a.lastDiagnostic}` : ''}`,
        );
      }
      if (reputation) io.out(`warning: ${reputation.count} mail(s) refused for the instance's reputation or content in the last 7 days, last by ${reputation.last.reportingMta ?? 'a receiving server'}: ${reputation.last.diagnostic ?? reputation.last.status ?? ''}`);
    });

  program
    .command('bounce:clear')
    .description("forget an address's bounce score: its notifications go out again")
    .argument('<address>')
    .action(async (address: string) => {
      const result = await (await io.context()).bounces.clear(address);
      io.out(result.cleared ? `${result.address}: bounce score cleared` : `${result.address} had no bounce score`);
    });
}
