import { z } from 'zod';
import { envSchema } from './runtime-options.ts';
import { settingDefinitions, type SettingDefinition } from './settings-schema.ts';

/**
 * Renders docs/admin/config.md, the configuration reference, from the settings table and the
 * runtime environment schema: `npm run docs` (scripts/config-docs.ts) writes it, and
 * test/docs/config-reference.test.ts fails when the committed file differs from what this
 * returns. Everything shown is read from the schemas themselves (zod 4's `def`, `options`,
 * `minValue`, …); a refinement that carries no fixed message (a `superRefine`) is left out
 * rather than guessed. The output holds no date, so it only changes when a schema does.
 */

/** The path of the reference inside the repository. */
export const configReferencePath = 'docs/admin/config.md';

export interface ConfigReferenceSources {
  /** The settings (default: settingDefinitions of settings-schema.ts). */
  readonly settings?: Readonly<Record<string, SettingDefinition>>;
  /** The runtime variables (default: envSchema of runtime-options.ts). */
  readonly env?: z.ZodObject;
}

/** What the reference says about one schema. */
interface SchemaFacts {
  type: string;
  /** Constraints in words: ranges, lengths, enum options, fixed refinement messages. */
  allowed: string[];
  hasDefault: boolean;
  default: unknown;
}

/** A value as the reader would type it: bare text in a code span, `""` for the empty string. */
function code(value: unknown): string {
  if (value === '') return '`""` (empty)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // A code span holding a backtick needs a longer fence; none of ours do, but stay correct.
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text}${fence}`;
}

/** Text for a table cell: a `|` would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The fixed message of a check (`refine(fn, 'message')`), if it has one. */
function checkMessage(check: z.core.$ZodCheck): string | undefined {
  const error = check._zod.def.error;
  if (typeof error !== 'function') return undefined;
  try {
    // A message given as a string is stored as a function that ignores its argument.
    const result: unknown = error(undefined as never);
    if (typeof result === 'string') return result;
    if (typeof result === 'object' && result !== null && typeof (result as { message?: unknown }).message === 'string') {
      return (result as { message: string }).message;
    }
  } catch {
    // an error map that needs the issue: nothing fixed to show
  }
  return undefined;
}

/** The messages of the refinements and patterns on a schema, in order, without repeats. */
function refinementMessages(schema: z.ZodType): string[] {
  const out: string[] = [];
  for (const check of schema.def.checks ?? []) {
    const kind = check._zod.def.check;
    if (kind !== 'custom' && kind !== 'string_format') continue;
    const message = checkMessage(check);
    // `<` would start HTML in Markdown.
    if (message !== undefined && !out.includes(message)) out.push(message.replace(/</g, '&lt;'));
    else if (message === undefined && kind === 'string_format') {
      const pattern = (check._zod.def as { pattern?: unknown }).pattern;
      if (pattern instanceof RegExp) out.push(`must match \`${pattern.source}\``);
    }
  }
  return out;
}

function describeSchema(input: z.ZodType): SchemaFacts {
  let schema: z.ZodType = input;
  let hasDefault = false;
  let defaultValue: unknown;
  const allowed: string[] = [];
  // Peel the wrappers: default, optional, and a transform's input side.
  for (;;) {
    if (schema instanceof z.ZodDefault) {
      hasDefault = true;
      defaultValue = schema.def.defaultValue;
      schema = schema.unwrap() as z.ZodType;
    } else if (schema instanceof z.ZodOptional) {
      schema = schema.unwrap() as z.ZodType;
    } else if (schema instanceof z.ZodPipe) {
      allowed.push(...refinementMessages(schema));
      schema = schema.in as z.ZodType;
    } else break;
  }
  let type: string;
  if (schema instanceof z.ZodEnum) {
    type = 'enum';
    allowed.unshift(`one of ${schema.options.map((o) => code(o)).join(', ')}`);
  } else if (schema instanceof z.ZodNumber) {
    type = schema.isInt ? 'integer' : 'number';
    const min = schema.minValue;
    const max = schema.maxValue;
    const finite = (n: number | null): n is number => n !== null && Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER;
    if (finite(min) && finite(max)) allowed.unshift(`${min} to ${max}`);
    else if (finite(min)) allowed.unshift(`at least ${min}`);
    else if (finite(max)) allowed.unshift(`at most ${max}`);
  } else if (schema instanceof z.ZodBoolean) {
    type = 'boolean';
    allowed.unshift('`true` or `false`');
  } else if (schema instanceof z.ZodString) {
    type = 'string';
    const min = schema.minLength;
    const max = schema.maxLength;
    if (min !== null && min > 0 && max !== null) allowed.unshift(`${min} to ${max} characters`);
    else if (min !== null && min > 0) allowed.unshift(`at least ${min} characters`);
    else if (max !== null) allowed.unshift(`at most ${max} characters`);
  } else {
    type = schema.def.type;
  }
  allowed.push(...refinementMessages(schema).filter((m) => !allowed.includes(m)));
  return { type, allowed, hasDefault, default: defaultValue };
}

function modesText(modes: readonly string[]): string {
  return modes.length === 0 ? 'all' : modes.map((m) => `\`${m}\``).join(', ');
}

const intro = `<!-- Generated by \`npm run docs\` from src/config/settings-schema.ts and src/config/runtime-options.ts. Do not edit: change the schema, then run \`npm run docs\`. -->

# Configuration reference

Every setting Mailroom has, and the environment variables that say how the process runs. The
settings keep ownCloud's key names, so a \`config.php\` can be brought over with
\`mailroom config:import\`.

## Where settings come from

A setting can be given in four places; a later one wins over an earlier one:

1. **The built-in default**, listed with each key below.
2. **The database**: what the "Email server" page of the web interface, the API
   (\`PATCH /api/v1/settings/mail\`) and \`mailroom config:set KEY VALUE\` save.
   \`mailroom config:unset KEY\` removes a saved value, so the default applies again.
3. **The config file**: \`./config/config.json\`, or the file \`MAILROOM_CONFIG\` names, holding one
   JSON object of keys and values, such as \`{"mail_smtpmode": "smtp", "mail_smtpport": 587}\`.
   A missing file is no error; an unknown key or a bad value in it stops the server and every
   command (\`config_file_invalid\`).
4. **The environment**: \`MAILROOM_\` and the key in capitals, such as \`MAILROOM_MAIL_SMTPHOST\`.
   Any other \`MAILROOM_\` variable that is neither a setting nor one of the
   [runtime variables](#runtime-environment-variables) is refused (\`config_env_invalid\`), with
   the nearest setting suggested when one is close.

A key set in the config file or the environment is **locked**: the web interface shows it
read-only, and \`config:set\` and the API refuse to change it (\`setting_locked\`).
\`mailroom config:list\` shows every key with its value, where it comes from, and whether it
is locked. On the command line and in the environment a value is text: booleans are written
\`true\` or \`false\` (\`1\`, \`yes\`, \`on\`, \`0\`, \`no\`, \`off\` work too) and numbers as whole numbers.
A value that is not allowed is refused with the key, what was given and what is allowed, and
nothing is saved.

**Secret** settings are write-only: they are stored encrypted (with \`MAILROOM_SECRET_KEY\`, or
\`secret.key\` in the data folder) and never shown, logged or returned by the API, which only says
whether they are set. Give them on standard input so they stay out of your shell history:
\`echo 'the password' | mailroom config:set mail_smtppassword -\`.

**Send modes**: a key that names modes only matters when \`mail_smtpmode\` is one of them; the
others apply to every mode.
`;

/** The reference as Markdown, deterministic for a given schema. */
export function renderConfigReference(sources: ConfigReferenceSources = {}): string {
  const settings: Readonly<Record<string, SettingDefinition>> = sources.settings ?? settingDefinitions;
  const env = sources.env ?? envSchema;
  const keys = Object.keys(settings);
  const lines: string[] = [intro];

  lines.push('## Summary', '');
  lines.push('| key | type | default | send modes | secret |', '| --- | --- | --- | --- | --- |');
  for (const key of keys) {
    const def = settings[key] as SettingDefinition;
    const facts = describeSchema(def.schema);
    const shownDefault = def.secret ? '(none shown)' : code(def.default);
    lines.push(`| [\`${key}\`](#${key}) | ${facts.type} | ${cell(shownDefault)} | ${modesText(def.modes)} | ${def.secret ? 'yes' : ''} |`);
  }
  lines.push(
    '',
    `Runtime environment variables: ${Object.keys(env.shape)
      .map((name) => `[\`${name}\`](#${name.toLowerCase()})`)
      .join(', ')}.`,
    '',
  );

  lines.push('## Settings', '');
  for (const key of keys) {
    const def = settings[key] as SettingDefinition;
    const facts = describeSchema(def.schema);
    lines.push(`### ${key}`, '', def.description, '');
    lines.push(`- Type: ${facts.type}`);
    if (facts.allowed.length > 0) lines.push(`- Allowed: ${facts.allowed.join('; ')}`);
    if (def.secret) lines.push('- Default: none shown', '- Secret: yes; write-only, stored encrypted, never shown');
    else lines.push(`- Default: ${code(def.default)}`);
    lines.push(`- Send modes: ${modesText(def.modes)}`);
    if (def.header) lines.push('- Goes into mail headers: a line break or another control character is refused (`header_injection`).');
    lines.push(`- Environment variable: \`MAILROOM_${key.toUpperCase()}\``);
    lines.push('');
  }

  lines.push('## Runtime environment variables', '');
  lines.push('How the Mailroom process runs: where it listens, keeps its data and logs, and how its worker', 'works. These are read from the environment only (not from the config file or the database),', 'when the process starts.', '');
  for (const [name, schema] of Object.entries(env.shape)) {
    const facts = describeSchema(schema as z.ZodType);
    lines.push(`### ${name}`, '');
    const description = (schema as z.ZodType).description;
    if (description !== undefined) lines.push(description, '');
    lines.push(`- Type: ${facts.type}`);
    if (facts.allowed.length > 0) lines.push(`- Allowed: ${facts.allowed.join('; ')}`);
    lines.push(`- Default: ${facts.hasDefault ? code(facts.default) : 'not set'}`);
    lines.push('');
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
