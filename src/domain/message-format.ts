import { needsSpaceBetween } from './cjk-spacing.ts';
import { isLanguage, LANGUAGES } from './languages.ts';

/**
 * The part of ICU MessageFormat the catalogs use (src/templates/catalogs/*.json): simple
 * arguments `{name}`, `{count, plural, one {# file} other {# files}}` (CLDR categories through
 * Intl.PluralRules, `=0`-style exact matches, `#` for the number), `{kind, select, file {…}
 * other {…}}`, and `<strong>…</strong>` for emphasis in the HTML part. Quoting follows ICU:
 * `''` is an apostrophe, and an apostrophe before a brace quotes it.
 *
 * A message is parsed once (per language, when the catalogs load) and then either formatted
 * directly (texts Mailroom joins itself: digest lines, the From name) or turned into Liquid for
 * the shipped templates (message-templates.ts).
 */

export type MessageNode =
  | { kind: 'text'; value: string }
  | { kind: 'argument'; name: string }
  | { kind: 'number' }
  | { kind: 'plural'; name: string; options: ReadonlyArray<readonly [string, readonly MessageNode[]]> }
  | { kind: 'select'; name: string; options: ReadonlyArray<readonly [string, readonly MessageNode[]]> }
  | { kind: 'tag'; name: string; children: readonly MessageNode[] };

/**
 * The Liquid filter that gives a number's CLDR plural category in a language:
 * `{{ 5 | plural_form: "pl" }}` is "many". The shipped templates' plurals use it.
 */
export const PLURAL_FORM_FILTER = 'plural_form';

export function pluralForm(value: unknown, locale?: unknown): string {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return 'other';
  try {
    return pluralCategory(typeof locale === 'string' && locale !== '' ? locale : 'en', n);
  } catch {
    return pluralCategory('en', n);
  }
}

export const PLURAL_CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;
/** The tags a message may use: they become HTML in the HTML part and vanish from the others. */
export const MESSAGE_TAGS = ['strong'] as const;

export class MessageSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at character ${offset + 1})`);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The message's tree; throws MessageSyntaxError with the place of the first mistake. */
export function parseMessage(source: string): MessageNode[] {
  let at = 0;

  function nodes(inPlural: boolean, closing: '}' | `</${string}>` | null): MessageNode[] {
    const out: MessageNode[] = [];
    let text = '';
    const flush = () => {
      if (text !== '') out.push({ kind: 'text', value: text });
      text = '';
    };
    while (at < source.length) {
      const c = source[at] as string;
      if (c === "'") {
        const next = source[at + 1];
        if (next === "'") {
          text += "'";
          at += 2;
        } else if (next === '{' || next === '}' || next === '<' || (inPlural && next === '#')) {
          const end = source.indexOf("'", at + 1);
          if (end < 0) throw new MessageSyntaxError('a quote that is never closed', at);
          text += source.slice(at + 1, end);
          at = end + 1;
        } else {
          text += c;
          at += 1;
        }
      } else if (c === '{') {
        flush();
        out.push(argument(inPlural));
      } else if (c === '}') {
        if (closing === '}') {
          at += 1;
          return (flush(), out);
        }
        throw new MessageSyntaxError('a "}" without its "{"', at);
      } else if (c === '#' && inPlural) {
        flush();
        out.push({ kind: 'number' });
        at += 1;
      } else if (c === '<' && /^<\/?[a-z]+>/.test(source.slice(at))) {
        const tag = /^<(\/?)([a-z]+)>/.exec(source.slice(at)) as RegExpExecArray;
        if (tag[1] === '/') {
          if (closing === `</${tag[2]}>`) {
            at += tag[0].length;
            return (flush(), out);
          }
          throw new MessageSyntaxError(`a closing ${tag[0]} without its opening tag`, at);
        }
        const name = tag[2] as string;
        if (!(MESSAGE_TAGS as readonly string[]).includes(name)) throw new MessageSyntaxError(`<${name}> is not a tag messages may use (only ${MESSAGE_TAGS.map((t) => `<${t}>`).join(', ')})`, at);
        flush();
        at += tag[0].length;
        out.push({ kind: 'tag', name, children: nodes(inPlural, `</${name}>`) });
      } else {
        text += c;
        at += 1;
      }
    }
    if (closing !== null) throw new MessageSyntaxError(`the message ends before its ${closing === '}' ? '"}"' : closing}`, at);
    flush();
    return out;
  }

  function skipSpace(): void {
    while (at < source.length && /\s/.test(source[at] as string)) at += 1;
  }

  function word(): string {
    skipSpace();
    const start = at;
    while (at < source.length && /[^\s{},]/.test(source[at] as string)) at += 1;
    return source.slice(start, at);
  }

  function argument(inPlural: boolean): MessageNode {
    const start = at;
    at += 1;
    const name = word();
    if (!NAME.test(name)) throw new MessageSyntaxError(`"${name}" is not a placeholder name (letters, digits and _)`, start);
    skipSpace();
    if (source[at] === '}') {
      at += 1;
      return { kind: 'argument', name };
    }
    if (source[at] !== ',') throw new MessageSyntaxError(`a "," or "}" after {${name}`, at);
    at += 1;
    const type = word();
    skipSpace();
    if (type === 'number' && source[at] === '}') {
      at += 1;
      return { kind: 'argument', name };
    }
    if (type !== 'plural' && type !== 'select') throw new MessageSyntaxError(`{${name}, ${type}}: the types are plural and select`, start);
    if (source[at] !== ',') throw new MessageSyntaxError(`a "," after {${name}, ${type}`, at);
    at += 1;
    const options: Array<readonly [string, MessageNode[]]> = [];
    for (;;) {
      skipSpace();
      if (source[at] === '}') {
        at += 1;
        break;
      }
      const key = word();
      if (key === '') throw new MessageSyntaxError(`an option of {${name}, ${type}} without a name`, at);
      if (type === 'plural' && !(PLURAL_CATEGORIES as readonly string[]).includes(key) && !/^=\d+$/.test(key)) {
        throw new MessageSyntaxError(`"${key}" is not a plural category (${PLURAL_CATEGORIES.join(', ')}, or =N)`, at - key.length);
      }
      skipSpace();
      if (source[at] !== '{') throw new MessageSyntaxError(`a "{" after the option ${key}`, at);
      at += 1;
      options.push([key, nodes(type === 'plural' || inPlural, '}')]);
    }
    if (!options.some(([key]) => key === 'other')) throw new MessageSyntaxError(`{${name}, ${type}} needs an "other" option`, start);
    return { kind: type, name, options };
  }

  return nodes(false, null);
}

/** Every placeholder a message names (plural and select names too). */
export function placeholdersOf(nodes: readonly MessageNode[], into = new Set<string>()): Set<string> {
  for (const node of nodes) {
    if (node.kind === 'argument') into.add(node.name);
    else if (node.kind === 'plural' || node.kind === 'select') {
      into.add(node.name);
      for (const [, option] of node.options) placeholdersOf(option, into);
    } else if (node.kind === 'tag') placeholdersOf(node.children, into);
  }
  return into;
}

// One set of rules per language: making one costs more than a whole message's formatting.
const pluralRules = new Map<string, Intl.PluralRules>();
export function pluralCategory(locale: string, count: number): string {
  let rules = pluralRules.get(locale);
  if (rules === undefined) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules.select(count);
}

/** The option a plural picks: an exact match (=5) first, then the language's category, then other. */
export function pluralOption<T>(options: ReadonlyArray<readonly [string, T]>, locale: string, count: number): T {
  const exact = options.find(([key]) => key === `=${count}`);
  if (exact) return exact[1];
  const category = pluralCategory(locale, count);
  return (options.find(([key]) => key === category) ?? (options.find(([key]) => key === 'other') as readonly [string, T]))[1];
}

export type MessageArguments = Readonly<Record<string, string | number>>;

/**
 * The message as plain text with its arguments set in. A value joins the text around it by the
 * spacing rule of Chinese (domain/cjk-spacing.ts): "Bob Berg 修改了文件", "李华修改了文件"; the
 * rule adds nothing where the text has its spaces already, as Latin-script languages do.
 */
export function formatMessage(nodes: readonly MessageNode[], locale: string, args: MessageArguments): string {
  // Right to left: each value isolated (FSI…PDI), so a Latin name cannot reorder the sentence.
  const rtl = isLanguage(locale) && LANGUAGES[locale].direction === 'rtl';
  let out = '';
  let afterValue = false;
  const addText = (text: string) => {
    if (afterValue && text !== '' && needsSpaceBetween(lastOf(out), text[0])) out += ' ';
    out += text;
    if (text !== '') afterValue = false;
  };
  const addValue = (value: string) => {
    if (value !== '' && needsSpaceBetween(lastOf(out), value[0])) out += ' ';
    out += rtl && value !== '' ? `\u2068${value}\u2069` : value;
    if (value !== '') afterValue = true;
  };
  const walk = (list: readonly MessageNode[], count: number | undefined) => {
    for (const node of list) {
      switch (node.kind) {
        case 'text':
          addText(node.value);
          break;
        case 'argument':
          addValue(String(args[node.name] ?? ''));
          break;
        case 'number':
          addValue(count === undefined ? '#' : String(count));
          break;
        case 'tag':
          walk(node.children, count);
          break;
        case 'plural': {
          const n = Number(args[node.name] ?? 0);
          walk(pluralOption(node.options, locale, n), n);
          break;
        }
        case 'select': {
          const value = String(args[node.name] ?? '');
          walk((node.options.find(([key]) => key === value) ?? node.options.find(([key]) => key === 'other'))?.[1] ?? [], count);
          break;
        }
      }
    }
  };
  walk(nodes, undefined);
  return out;
}

function lastOf(text: string): string | undefined {
  return Array.from(text.slice(-2)).at(-1);
}
