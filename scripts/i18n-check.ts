/**
 * npm run i18n:check — the completeness report of the mail catalogs (src/templates/catalogs/).
 * Exit 1 when a message is broken (syntax, placeholders, plural forms); with --strict also when a
 * shipped language misses or has stale strings. `--accept <language>` records that the
 * language's translations are current with today's English texts (after reviewing them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isLanguage } from '../src/domain/languages.ts';
import { CATALOG_SOURCES } from '../src/templates/catalogs.ts';
import { checkCatalogs, formatReport, sourceHash, type TranslatedFrom } from '../src/templates/catalog-check.ts';

const recordPath = fileURLToPath(new URL('../src/templates/catalogs/translated-from.json', import.meta.url));
const record = JSON.parse(readFileSync(recordPath, 'utf8')) as Record<string, Record<string, string>>;
const args = process.argv.slice(2);

const accept = args.indexOf('--accept');
if (accept >= 0) {
  const language = args[accept + 1] ?? '';
  if (!isLanguage(language) || language === 'en') {
    console.error(`i18n:check: --accept needs a language other than en, e.g. --accept de (got "${language}")`);
    process.exit(2);
  }
  const english = CATALOG_SOURCES.en;
  record[language] = Object.fromEntries(Object.keys(CATALOG_SOURCES[language]).filter((key) => english[key] !== undefined).sort().map((key) => [key, sourceHash(english[key] as string)]));
  writeFileSync(recordPath, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`recorded ${Object.keys(record[language] ?? {}).length} strings of ${language} as translated from today's English`);
}

const reports = checkCatalogs(record as TranslatedFrom);
console.log(formatReport(reports));
const broken = reports.some((r) => r.errors.length > 0);
const incomplete = reports.some((r) => r.missing.length > 0 || r.stale.length > 0 || r.unused.length > 0);
process.exit(broken || (args.includes('--strict') && incomplete) ? 1 : 0);
