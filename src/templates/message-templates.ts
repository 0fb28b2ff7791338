import { LANGUAGE_CODES, LANGUAGES, type Language } from '../domain/languages.ts';
import { lookupMessage } from './catalogs.ts';
import { PLURAL_FORM_FILTER, type MessageNode } from '../domain/message-format.ts';
import type { TemplateName, TemplatePart, TemplateParts } from './template-catalog.ts';

// `{{ 'share.intro' | t }}` or `{{ 'common.greeting' | t: name: user.display_name, uid: user.uid }}`.
const LOOKUP = /\{\{\s*'([A-Za-z0-9_.]+)'\s*\|\s*t(?:\s*:\s*([^}]*?))?\s*\}\}/g;
const EXPRESSION = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export class MessageTemplateError extends Error {}

function lookupArguments(written: string | undefined, key: string): Record<string, string> {
  const args: Record<string, string> = {};
  if (written === undefined) return args;
  for (const pair of written.split(',')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(\S+)\s*$/.exec(pair);
    if (!match || !EXPRESSION.test(match[2] as string)) throw new MessageTemplateError(`the lookup of "${key}" names its placeholders as name: variable, not "${pair.trim()}"`);
    args[match[1] as string] = match[2] as string;
  }
  return args;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A message as Liquid: text as it is (escaped in HTML), a placeholder as the output of its
 * variable, a plural as an if-chain on the number's CLDR category (the `plural_form` filter), a
 * select as an if-chain on the value, `<strong>` as itself in HTML and as its text elsewhere.
 */
export function messageToLiquid(nodes: readonly MessageNode[], options: { language: Language; part: TemplatePart; args: Record<string, string>; key: string }, number?: string): string {
  const expression = (name: string) => options.args[name] ?? name;
  // In a right-to-left language a value (a Latin file name, an address, a number) keeps its own
  // direction and cannot reorder the sentence around it: <bdi> in HTML, FSI…PDI elsewhere.
  const rtl = LANGUAGES[options.language].direction === 'rtl';
  const output = (liquid: string) => (!rtl ? `{{ ${liquid} }}` : options.part === 'html' ? `<bdi>{{ ${liquid} }}</bdi>` : `\u2068{{ ${liquid} }}\u2069`);
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        if (/[{}]/.test(node.value)) throw new MessageTemplateError(`the message "${options.key}" has a quoted brace, which a template cannot carry`);
        out += options.part === 'html' ? escapeHtml(node.value) : node.value;
        break;
      case 'argument':
        out += output(expression(node.name));
        break;
      case 'number':
        out += number === undefined ? '#' : output(number);
        break;
      case 'tag': {
        const inner = messageToLiquid(node.children, options, number);
        out += options.part === 'html' ? `<${node.name}>${inner}</${node.name}>` : inner;
        break;
      }
      case 'plural': {
        // Exact matches (=0) first, then a case on the number's category in the language.
        const value = expression(node.name);
        const exact = node.options.filter(([key]) => key.startsWith('='));
        const categories = node.options.filter(([key]) => !key.startsWith('=') && key !== 'other');
        const other = messageToLiquid(node.options.find(([key]) => key === 'other')?.[1] ?? [], options, value);
        let byCategory = other;
        if (categories.length > 0) {
          byCategory = `{% case ${value} | ${PLURAL_FORM_FILTER}: "${options.language}" %}`;
          for (const [key, body] of categories) byCategory += `{% when "${key}" %}${messageToLiquid(body, options, value)}`;
          byCategory += `{% else %}${other}{% endcase %}`;
        }
        if (exact.length === 0) {
          out += byCategory;
          break;
        }
        exact.forEach(([key, body], i) => {
          out += `{% ${i === 0 ? 'if' : 'elsif'} ${value} == ${key.slice(1)} %}${messageToLiquid(body, options, value)}`;
        });
        out += `{% else %}${byCategory}{% endif %}`;
        break;
      }
      case 'select': {
        const value = expression(node.name);
        const cases = node.options.filter(([key]) => key !== 'other');
        const other = node.options.find(([key]) => key === 'other')?.[1] ?? [];
        cases.forEach(([key, body], i) => {
          out += `{% ${i === 0 ? 'if' : 'elsif'} ${value} == "${key}" %}${messageToLiquid(body, options, number)}`;
        });
        out += cases.length === 0 ? messageToLiquid(other, options, number) : `{% else %}${messageToLiquid(other, options, number)}{% endif %}`;
        break;
      }
    }
  }
  return out;
}

/** A structure template's part with every lookup replaced by the language's message, as Liquid. */
export function expandLookups(source: string, language: Language, part: TemplatePart): string {
  return source.replace(LOOKUP, (_whole: string, key: string, written: string | undefined) => {
    const message = lookupMessage(language, key);
    if (message === undefined) throw new MessageTemplateError(`no message "${key}" in the catalogs`);
    return messageToLiquid(message.nodes, { language: message.language, part, args: lookupArguments(written, key), key });
  });
}

/** The keys a structure looks up, for the completeness check (unused strings). */
export function lookedUpKeys(source: string): string[] {
  return Array.from(source.matchAll(LOOKUP), (m) => m[1] as string);
}

/** The shipped templates of one language: the one structure with that language's words. */
export function templatesFor(structure: Readonly<Record<TemplateName, TemplateParts>>, language: Language): Record<TemplateName, TemplateParts> {
  const out = {} as Record<TemplateName, TemplateParts>;
  for (const [name, parts] of Object.entries(structure) as Array<[TemplateName, TemplateParts]>) {
    out[name] = { subject: expandLookups(parts.subject, language, 'subject'), html: expandLookups(parts.html, language, 'html'), text: expandLookups(parts.text, language, 'text') };
  }
  return out;
}

export function allTemplates(structure: Readonly<Record<TemplateName, TemplateParts>>): Record<Language, Record<TemplateName, TemplateParts>> {
  return Object.fromEntries(LANGUAGE_CODES.map((language) => [language, templatesFor(structure, language)])) as Record<Language, Record<TemplateName, TemplateParts>>;
}
