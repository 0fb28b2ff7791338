import { Option, type Command } from 'commander';
import { isMailroomError, MailroomError } from '../errors.ts';
import { positiveInteger } from './parse-with.ts';
import { MAX_BATCH, parseMessageInputs, type MessageInput } from '../outbox/message-input.ts';
import { OUTBOX_STATES } from '../domain/outbox.ts';
import type { CommandIo } from './command-io.ts';

interface ListedMail {
  id: number;
  state: string;
  attempts: number;
  recipients: string[];
  subject: string;
  lastError: string | null;
  lastReply: string | null;
  nextAttemptAt: number;
}

/** One message per line of JSON; a line that is not JSON is refused with its number. */
function parseJsonLines(text: string): MessageInput[] {
  const lines = text.split('\n');
  const out: MessageInput[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new MailroomError('invalid_request', `line ${index + 1} is not JSON`);
    }
    try {
      out.push(...parseMessageInputs(value));
    } catch (error) {
      if (error instanceof MailroomError) throw new MailroomError(error.code, `line ${index + 1}: ${error.message}`);
      throw error;
    }
  });
  return out;
}

export function registerOutboxCommands(program: Command, io: CommandIo): void {
  program
    .command('mail:send')
    .description('queue mail through the outbox: one with --to/--subject/--text|--html, or one per line with --jsonl')
    .option('--to <address>')
    .option('--subject <subject>')
    .option('--text <text>', 'the plain-text body')
    .option('--html <file>', 'a file with the HTML body')
    .option('--key <key>', 'idempotency key: the same key twice queues one mail')
    .option('--jsonl <file>', 'queue one mail per line ({ "to", "subject", "text"?, "html"?, "key"? }); - reads stdin')
    .action(async (options: { to?: string; subject?: string; text?: string; html?: string; key?: string; jsonl?: string }) => {
      const ctx = await io.context();
      if (options.jsonl !== undefined) {
        if (options.to || options.subject || options.text || options.html || options.key) throw new MailroomError('invalid_request', '--jsonl cannot be combined with --to, --subject, --text, --html or --key');
        const messages = parseJsonLines(await io.readInput(options.jsonl));
        let queued = 0;
        let duplicates = 0;
        for (let i = 0; i < messages.length; i += MAX_BATCH) {
          const results = await ctx.outbox.send(messages.slice(i, i + MAX_BATCH));
          queued += results.filter((r) => !r.duplicate).length;
          duplicates += results.filter((r) => r.duplicate).length;
          if (messages.length > MAX_BATCH) io.deps.stderr.write(`queued ${Math.min(i + MAX_BATCH, messages.length)} of ${messages.length}\n`);
        }
        return io.out(`${queued} queued${duplicates ? `, ${duplicates} already queued (same key)` : ''}`);
      }
      if (!options.to || !options.subject || (options.text === undefined && options.html === undefined)) {
        throw new MailroomError('invalid_request', 'mail:send needs --to, --subject and --text or --html (or --jsonl FILE)');
      }
      const html = options.html !== undefined ? await io.readInput(options.html) : undefined;
      const [message] = parseMessageInputs({ to: options.to, subject: options.subject, ...(options.text !== undefined ? { text: options.text } : {}), ...(html !== undefined ? { html } : {}), ...(options.key ? { key: options.key } : {}) });
      const [result] = await ctx.outbox.send([message as MessageInput]);
      io.out(String(result?.id));
    });

  program
    .command('outbox:list')
    .description('the outbox: counts per state and the newest mails')
    .option('--status <state>', `only mails in this state (${OUTBOX_STATES.join(', ')})`)
    .option('--limit <n>', 'how many mails to list', '50')
    .option('--search <text>', 'only mails with this in a recipient address or the subject (any case)')
    .option('--json', 'machine-readable output')
    .action(async (options: { status?: string; limit: string; search?: string; json?: boolean }) => {
      if (options.status && !(OUTBOX_STATES as readonly string[]).includes(options.status)) {
        throw new MailroomError('invalid_request', `--status must be one of ${OUTBOX_STATES.join(', ')}`);
      }
      const ctx = await io.context();
      const counts = await ctx.outbox.counts();
      const page = await ctx.outbox.page({ state: options.status, limit: positiveInteger(options.limit, '--limit'), search: options.search });
      const mails: ListedMail[] = page.mails;
      if (options.json) return io.out(JSON.stringify({ counts, mails, next: page.next }, null, 2));
      io.out(OUTBOX_STATES.map((s) => `${s} ${counts[s] ?? 0}`).join('  '));
      for (const m of mails) {
        const note = m.state === 'queued' && m.attempts > 0 ? ` next attempt ${new Date(m.nextAttemptAt).toISOString()}` : '';
        const why = m.state === 'failed' || (m.state === 'queued' && m.attempts > 0) ? ` — ${m.lastReply ?? m.lastError ?? ''}` : '';
        io.out(`#${m.id}  ${m.state.padEnd(9)} ${m.attempts}×  ${m.recipients.join(', ')}  ${m.subject}${note}${why}`);
      }
    });

  program
    .command('outbox:owed')
    .description('mails requests owe that no worker has rendered yet, and those that could not be rendered')
    .option('--retry', 'render the failed ones again (after fixing their template)')
    .option('--json', 'machine-readable output')
    .action(async (options: { retry?: boolean; json?: boolean }) => {
      const ctx = await io.context();
      if (options.retry) return io.out(`${await ctx.outbox.retryOwed()} owed mail(s) to be rendered again`);
      const owed = await ctx.outbox.owed();
      if (options.json) return io.out(JSON.stringify(owed, null, 2));
      io.out(`owed ${owed.owed}  failed ${owed.failed}`);
      for (const m of owed.failed_mails) io.out(`#${m.id}  ${m.kind}  ${m.code}  ${new Date(m.updatedAt).toISOString()} — ${m.message}`);
    });

  program
    .command('outbox:show')
    .description('one mail of the outbox with every attempt')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .option('--raw', 'print the message itself')
    .action(async (id: string, options: { json?: boolean; raw?: boolean }) => {
      const ctx = await io.context();
      const mailId = positiveInteger(id, 'ID');
      const shown = (await ctx.outbox.show(mailId)) as ListedMail & { raw: string; acceptedBy: string | null; history: Array<{ attempt: number; at: number; host: string | null; outcome: string; code: string | null; reply: string | null; message: string | null }> };
      const mail = { ...shown, bounces: await ctx.bounces.forMail(mailId) };
      if (options.raw) return io.out(mail.raw);
      if (options.json) return io.out(JSON.stringify(mail, null, 2));
      io.out(`#${mail.id} ${mail.state}, ${mail.attempts} attempt(s)`);
      io.out(`to: ${mail.recipients.join(', ')}`);
      io.out(`subject: ${mail.subject}`);
      if (mail.acceptedBy) io.out(`accepted by: ${mail.acceptedBy}`);
      if (mail.lastReply) io.out(`last reply: ${mail.lastReply}`);
      if (mail.lastError) io.out(`last error: ${mail.lastError}`);
      for (const h of mail.history) io.out(`  attempt ${h.attempt} at ${new Date(h.at).toISOString()} via ${h.host ?? '-'}: ${h.outcome} ${h.code ?? ''} ${h.reply ?? h.message ?? ''}`);
      for (const b of mail.bounces) io.out(`  bounced (${b.kind}) at ${new Date(b.receivedAt).toISOString()} for ${b.address}: ${b.status ?? '-'} from ${b.reportingMta ?? '-'}${b.diagnostic ? `: ${b.diagnostic}` : ''}`);
    });

  program
    .command('outbox:retry')
    .description('queue a failed mail (or every failed mail) again')
    .argument('[id]')
    .option('--all-failed', 'every failed mail')
    .action(async (id: string | undefined, options: { allFailed?: boolean }) => {
      const ctx = await io.context();
      if (options.allFailed) return io.out(`${await ctx.outbox.retryAllFailed()} mail(s) queued again`);
      if (!id) throw new MailroomError('invalid_request', 'outbox:retry needs an ID or --all-failed');
      await ctx.outbox.retry(positiveInteger(id, 'ID'));
      io.out(`#${id} queued again`);
    });

  program
    .command('outbox:send-now')
    .description('send a queued mail now instead of at its next attempt (a failed one: outbox:retry)')
    .argument('<id>')
    .action(async (id: string) => {
      const ctx = await io.context();
      await ctx.outbox.sendNow(positiveInteger(id, 'ID'));
      io.out(`#${id} due now`);
    });

  program
    .command('outbox:cancel')
    .description('stop queued or failed mails from being sent (outbox:retry sends them after all)')
    .argument('<id...>')
    .action(async (ids: string[]) => {
      const ctx = await io.context();
      const numbers = ids.map((value) => positiveInteger(value, 'ID'));
      if (numbers.length === 1) {
        await ctx.outbox.cancel(numbers[0] as number);
        return io.out(`#${numbers[0]} cancelled`);
      }
      // One that cannot be cancelled does not keep the others from being cancelled.
      const refusals: MailroomError[] = [];
      for (const id of numbers) {
        try {
          await ctx.outbox.cancel(id);
          io.out(`#${id} cancelled`);
        } catch (error) {
          if (!isMailroomError(error)) throw error;
          io.deps.stderr.write(`mailroom: ${error.message}\n`);
          refusals.push(error);
        }
      }
      const [first] = refusals;
      if (first) throw new MailroomError(first.code, `${refusals.length} of ${numbers.length} mails not cancelled`);
    });

  program
    .command('outbox:purge')
    .description('delete sent, failed and cancelled mails older than some days')
    .requiredOption('--older-than <days>', 'age in days')
    .action(async (options: { olderThan: string }) => {
      const removed = await (await io.context()).outbox.purge(positiveInteger(options.olderThan, '--older-than'));
      io.out(`${removed} mail(s) removed`);
    });

  program
    .command('worker')
    .description('deliver the outbox and send due digests (several workers may share a PostgreSQL database)')
    // Set by `serve` for the worker it starts: wake-ups and counters over the IPC channel.
    .addOption(new Option('--from-serve').hideHelp())
    .action(async (options: { fromServe?: boolean }) => {
      const ctx = await io.context({ defaultLogLevel: undefined });
      const parent = options.fromServe ? io.deps.parent : undefined;
      const worker = ctx.createWorker();
      const digests = ctx.createDigestScheduler();
      const bounceMailbox = ctx.createBounceMailboxPoller();
      // serve answers /metrics itself; its worker listens on no port.
      const metrics = parent ? undefined : await io.deps.startMetricsServer?.(ctx);
      if (metrics) ctx.log.info({ event: 'metrics_listening', url: `${metrics.url}/metrics` }, `metrics at ${metrics.url}/metrics`);
      parent?.onWake(() => worker.notify());
      const report = parent ? setInterval(() => parent.sendMetrics(ctx.workerLink.takeMetrics()), 1000) : undefined;
      worker.start();
      digests.start();
      bounceMailbox.start();
      await Promise.race([io.waitForStop(), ...(parent ? [parent.gone] : [])]);
      await metrics?.close();
      await Promise.all([digests.stop(), bounceMailbox.stop()]);
      await worker.stop();
      clearInterval(report);
      parent?.sendMetrics(ctx.workerLink.takeMetrics());
    });
}
