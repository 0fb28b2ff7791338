import type { Command } from 'commander';
import { z } from 'zod';
import { MailroomError, isMailroomError } from '../errors.ts';
import type { TemplatePart, TemplateParts } from '../templates/template-catalog.ts';
import { versionJson, type TemplateVersionDetail } from '../templates/template-service.ts';
import { parseWith } from './parse-with.ts';
import { setExitCode, type CommandIo } from './command-io.ts';

const ACTOR = 'cli';
const PARTS: readonly TemplatePart[] = ['subject', 'html', 'text'];
const FORMATS = ['html', 'text'] as const;

const versionOption = z.object({
  version: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'must be a version id (a positive whole number; template:get NAME --json lists them)')
    .transform(Number),
});

const partsFile = z.object({ subject: z.string(), html: z.string(), text: z.string().optional() }).strict();

/** `{ "subject", "html", "text"? }` from a JSON file; a missing text is '' (derived from the HTML). */
function parsePartsFile(source: string, file: string): TemplateParts {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new MailroomError('invalid_request', `${file} is not JSON (${(error as Error).message.replace(/\s+/g, ' ')}); to set one part from a template file, add --part subject|html|text`);
  }
  const result = partsFile.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MailroomError('invalid_request', `${file}: ${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'invalid'} (expected { "subject", "html", "text"? })`);
  }
  return { subject: result.data.subject, html: result.data.html, text: result.data.text ?? '' };
}

function section(io: CommandIo, title: string, body: string): void {
  io.out(`--- ${title} ---`);
  io.out(body === '' ? '(empty)' : body);
}

/** What a version was, for its header line: "saved by cli", "restored from version 3 by admin". */
function describeVersion(v: TemplateVersionDetail): string {
  if (v.action === 'reset') return `reset to the default by ${v.createdBy} (no parts of its own)`;
  if (v.action === 'restore') return `${v.restoredFrom !== undefined ? `restored from version ${v.restoredFrom}` : 'restored'} by ${v.createdBy}`;
  return `saved by ${v.createdBy}`;
}

export function registerTemplateCommands(program: Command, io: CommandIo): void {
  program
    .command('template:list')
    .description('list the mail templates in every language and whether they were changed')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const list = await (await io.context()).templates.list();
      if (options.json) return io.out(JSON.stringify(list, null, 2));
      const width = Math.max(...list.map((t) => t.name.length));
      for (const t of list) {
        const state = t.customized ? `customized ${t.updatedAt ?? ''} by ${t.updatedBy ?? ''}` : t.updatedAt ? `default (reset ${t.updatedAt} by ${t.updatedBy ?? ''})` : 'default';
        io.out(`${t.name.padEnd(width)}  ${t.lang.padEnd(5)}  ${state}  — ${t.description}`);
      }
    });

  program
    .command('template:get')
    .description('print a template as it is in force (or one of its versions): subject, HTML and text')
    .argument('<name>')
    .option('--lang <lang>', 'language', 'en')
    .option('--version <id>', 'print this version instead (its id, as --json lists them)')
    .option('--json', 'machine-readable output, with the versions')
    .action(async (name: string, options: { lang: string; version?: string; json?: boolean }) => {
      if (options.version !== undefined) {
        const { version: id } = parseWith(versionOption, { version: options.version });
        const v = await (await io.context()).templates.version(name, options.lang, id);
        // The same JSON as GET /api/v1/templates/:name/:lang/versions/:id answers.
        if (options.json) return io.out(JSON.stringify({ version: versionJson(v) }, null, 2));
        io.out(`${v.name} (${v.lang}): version ${v.id}, ${describeVersion(v)} at ${v.createdAt}`);
        section(io, 'subject', v.parts.subject);
        section(io, 'html', v.parts.html);
        section(io, 'text', v.parts.text === '' && v.action !== 'reset' ? '(empty: derived from the HTML)' : v.parts.text);
        return;
      }
      const t = await (await io.context()).templates.get(name, options.lang);
      if (options.json) return io.out(JSON.stringify(t, null, 2));
      io.out(`${t.name} (${t.lang}): ${t.customized ? 'customized' : 'default'}, ${t.versions.length} version(s)`);
      section(io, 'subject', t.parts.subject);
      section(io, 'html', t.parts.html);
      section(io, 'text', t.parts.text === '' ? '(empty: derived from the HTML)' : t.parts.text);
    });

  program
    .command('template:set')
    .description('save a template from a JSON file { "subject", "html", "text"? } (- reads stdin), or one part from a template file with --part')
    .argument('<name>')
    .argument('<file>')
    .option('--lang <lang>', 'language', 'en')
    .option('--part <part>', 'FILE holds only this part (subject, html or text); the others stay')
    .action(async (name: string, file: string, options: { lang: string; part?: string }) => {
      if (options.part !== undefined && !(PARTS as readonly string[]).includes(options.part)) {
        throw new MailroomError('invalid_request', `--part must be one of ${PARTS.join(', ')}`);
      }
      const source = await io.readInput(file);
      const ctx = await io.context();
      let parts: TemplateParts;
      if (options.part !== undefined) {
        const current = (await ctx.templates.get(name, options.lang)).parts;
        // A subject file usually ends with a newline that is not part of the subject.
        parts = { ...current, [options.part]: options.part === 'subject' ? source.replace(/\r?\n$/, '') : source };
      } else {
        parts = parsePartsFile(source, file === '-' ? 'standard input' : file);
      }
      const saved = await ctx.templates.set(name, options.lang, parts, ACTOR);
      io.out(`${saved.name} (${saved.lang}) saved as version #${saved.versions[0]?.id ?? '?'}`);
    });

  program
    .command('template:reset')
    .description('put the shipped default of a template back in force (the versions stay listed)')
    .argument('<name>')
    .option('--lang <lang>', 'language', 'en')
    .action(async (name: string, options: { lang: string }) => {
      const t = await (await io.context()).templates.reset(name, options.lang, ACTOR);
      io.out(`${t.name} (${t.lang}) is the default again`);
    });

  program
    .command('template:restore')
    .description('save the parts of an older version again, as a new version (checked as template:set checks)')
    .argument('<name>')
    .requiredOption('--version <id>', 'the version to restore (its id, as template:get NAME --json lists them)')
    .option('--lang <lang>', 'language', 'en')
    .action(async (name: string, options: { lang: string; version: string }) => {
      const { version: id } = parseWith(versionOption, { version: options.version });
      const ctx = await io.context();
      const t = await ctx.templates.restore(name, options.lang, id, ACTOR).catch((error: unknown) => {
        // A part of the version no longer passes the checks: say so before the checker's words.
        if (!isMailroomError(error) || error.details?.['part'] === undefined) throw error;
        throw new MailroomError(error.code, `version ${id} cannot be restored: ${error.message}`, { cause: error, details: error.details });
      });
      io.out(`Template ${t.name} (${t.lang}): version ${id} restored as version ${t.versions[0]?.id ?? '?'}`);
    });

  program
    .command('template:preview')
    .description('render a template with sample data, without sending anything')
    .argument('<name>')
    .option('--lang <lang>', 'language', 'en')
    .option('--format <format>', 'html or text', 'html')
    .action(async (name: string, options: { lang: string; format: string }) => {
      const format = FORMATS.find((f) => f === options.format);
      if (!format) throw new MailroomError('invalid_request', `--format must be one of ${FORMATS.join(', ')}`);
      const preview = await (await io.context()).templates.preview(name, options.lang, { format });
      io.out(`Subject: ${preview.subject}`);
      io.out('');
      io.out((format === 'html' ? preview.html : preview.text) ?? '');
    });

  program
    .command('template:test')
    .description("send a template, with its sample data, to the admin's own address (or --to) at once")
    .argument('<name>')
    .option('--lang <lang>', "language (default: the admin's)")
    .option('--to <address>', 'where to send it')
    .action(async (name: string, options: { lang?: string; to?: string }, command: Command) => {
      const report = await (await io.context()).mailTest.sendTemplateTest(name, { to: options.to, language: options.lang });
      if (report.ok) return io.out(`${name} sent to ${report.to} (via ${report.via}): ${report.response}`);
      setExitCode(command, 1);
      io.deps.stderr.write(`mailroom: ${name} was not sent: ${report.error?.message} [${report.error?.code}]\n`);
    });
}
