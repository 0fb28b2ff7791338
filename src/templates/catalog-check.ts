import { createHash } from 'node:crypto';
import { LANGUAGE_CODES, type Language } from '../domain/languages.ts';
import { CATALOG_SOURCES, KEYS_USED_BY_CODE, noteOf } from './catalogs.ts';
import { structure } from './defaults/structure.ts';
import { MessageSyntaxError, parseMessage, placeholdersOf, type MessageNode } from '../domain/message-format.ts';
import { lookedUpKeys } from './message-templates.ts';

/**
 * The completeness report of the catalogs (`npm run i18n:check`), per language: strings missing
 * (shown in English until translated), unused (in a catalog, used by nothing), stale (translated
 * from an English text that has changed since), and errors: a message that does not parse, a
 * placeholder left out or made up, a plural without a form the language needs.
 */
export interface LanguageReport {
  language: Language;
  translated: number;
  missing: string[];
  unused: string[];
  stale: string[];
  errors: string[];
}

/** What each translation was made from: language → key → the hash of the English text then. */
export type TranslatedFrom = Readonly<Record<string, Readonly<Record<string, string>>>>;

export function sourceHash(english: string): string {
  return createHash('sha256').update(english).digest('hex').slice(0, 12);
}

/**
 * A set of catalogs checked together: the mails' (src/templates/catalogs/) or the web
 * interface's (web/catalogs/), each one file per language with en.json the source.
 */
export interface CatalogSet {
  /** Where the files are, for the report: "src/templates/catalogs". */
  readonly folder: string;
  readonly sources: Readonly<Record<Language, Readonly<Record<string, string>>>>;
  /** The keys something looks up; an English string no one uses is reported as unused. */
  readonly used: ReadonlySet<string>;
  /** The placeholders a translation may leave out, by key (notes.json's "optional"). */
  optionalOf(key: string): readonly string[];
}

/** Every key something uses: the structure's lookups and the code's. */
export function usedKeys(): Set<string> {
  const keys = new Set<string>(KEYS_USED_BY_CODE);
  for (const parts of Object.values(structure)) for (const source of Object.values(parts)) for (const key of lookedUpKeys(source)) keys.add(key);
  return keys;
}

/** The mails' catalogs (by default as shipped). */
export function mailCatalogSet(sources: CatalogSet['sources'] = CATALOG_SOURCES): CatalogSet {
  return { folder: 'src/templates/catalogs', sources, used: usedKeys(), optionalOf: (key) => noteOf(key).optional ?? [] };
}

function parsed(source: string, where: string, errors: string[]): MessageNode[] | undefined {
  try {
    return parseMessage(source);
  } catch (error) {
    errors.push(`${where}: ${error instanceof MessageSyntaxError ? error.message : String(error)}`);
    return undefined;
  }
}

/** The plural categories a message's plurals lack for the language (e.g. "few" in Polish). */
function missingPluralForms(nodes: readonly MessageNode[], language: Language): string[] {
  const needed = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
  const out: string[] = [];
  const walk = (list: readonly MessageNode[]) => {
    for (const node of list) {
      if (node.kind === 'plural') {
        const has = new Set(node.options.map(([key]) => key));
        for (const category of needed) if (!has.has(category)) out.push(`{${node.name}, plural} has no "${category}" form`);
        for (const [, body] of node.options) walk(body);
      } else if (node.kind === 'select') for (const [, body] of node.options) walk(body);
      else if (node.kind === 'tag') walk(node.children);
    }
  };
  walk(nodes);
  return out;
}

export function checkCatalogs(translatedFrom: TranslatedFrom, set: CatalogSet = mailCatalogSet()): LanguageReport[] {
  const { sources, used } = set;
  const english = sources.en;
  const reports: LanguageReport[] = [];
  for (const language of LANGUAGE_CODES) {
    const catalog = sources[language];
    const report: LanguageReport = { language, translated: 0, missing: [], unused: [], stale: [], errors: [] };
    for (const [key, source] of Object.entries(catalog)) {
      const where = `${language}.json "${key}"`;
      if (english[key] === undefined || !used.has(key)) {
        report.unused.push(key);
        continue;
      }
      report.translated += 1;
      const nodes = parsed(source, where, report.errors);
      const englishNodes = language === 'en' ? nodes : parsed(english[key] as string, `en.json "${key}"`, []);
      if (nodes === undefined || englishNodes === undefined) continue;
      const mine = placeholdersOf(nodes);
      const theirs = placeholdersOf(englishNodes);
      const optional = new Set(set.optionalOf(key));
      for (const name of mine) if (!theirs.has(name)) report.errors.push(`${where}: {${name}} is not a placeholder of this message (it has ${[...theirs].map((n) => `{${n}}`).join(', ') || 'none'})`);
      for (const name of theirs) if (!mine.has(name) && !optional.has(name)) report.errors.push(`${where}: {${name}} is missing`);
      for (const problem of missingPluralForms(nodes, language)) report.errors.push(`${where}: ${problem}`);
      if (language !== 'en') {
        const was = translatedFrom[language]?.[key];
        if (was !== undefined && was !== sourceHash(english[key] as string)) report.stale.push(key);
      }
    }
    for (const key of used) if (english[key] !== undefined && catalog[key] === undefined) report.missing.push(key);
    for (const key of used) if (english[key] === undefined && language === 'en') report.errors.push(`en.json has no "${key}", which the templates or the code look up`);
    reports.push(report);
  }
  return reports;
}

/** The report as lines for a terminal. */
export function formatReport(reports: readonly LanguageReport[], set: CatalogSet = mailCatalogSet()): string {
  const lines: string[] = [`${set.folder}/`];
  const total = [...set.used].filter((key) => set.sources.en[key] !== undefined).length;
  for (const r of reports) {
    lines.push(`  ${r.language}: ${r.translated - r.stale.length}/${total} translated, ${r.missing.length} missing, ${r.stale.length} stale, ${r.unused.length} unused, ${r.errors.length} errors`);
    for (const key of r.missing) lines.push(`    missing: ${key}`);
    for (const key of r.stale) lines.push(`    stale (the English changed since): ${key}`);
    for (const key of r.unused) lines.push(`    unused: ${key}`);
    for (const error of r.errors) lines.push(`    error: ${error}`);
  }
  return lines.join('\n');
}
