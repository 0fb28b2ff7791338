/**
 * npm run i18n:check — the completeness report of the catalogs: the mails'
 * (src/templates/catalogs/) and the web interface's (web/catalogs/). Exit 1 when a message is
 * broken (syntax, placeholders, plural forms); with --strict also when a shipped language misses
 * or has stale strings. `--accept <language>` records that the language's translations are
 * current with today's English texts (after reviewing them), in each set's translated-from.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isLanguage } from '../src/domain/languages.ts';
import { checkCatalogs, formatReport, mailCatalogSet, sourceHash, type CatalogSet } from '../src/templates/catalog-check.ts';
import { webCatalogSet, WEB_CATALOG_DIR } from './web-catalogs.ts';

const sets: ReadonlyArray<{ set: CatalogSet; recordPath: string }> = [
  { set: mailCatalogSet(), recordPath: fileURLToPath(new URL('../src/templates/catalogs/translated-from.json', import.meta.url)) },
  { set: webCatalogSet(), recordPath: `${WEB_CATALOG_DIR}translated-from.json` },
];
const args = process.argv.slice(2);

const accept = args.indexOf('--accept');
const language = accept >= 0 ? (args[accept + 1] ?? '') : undefined;
if (language !== undefined && (!isLanguage(language) || language === 'en')) {
  console.error(`i18n:check: --accept needs a language other than en, e.g. --accept de (got "${language}")`);
  process.exit(2);
}

let broken = false;
let incomplete = false;
for (const { set, recordPath } of sets) {
  const record = JSON.parse(readFileSync(recordPath, 'utf8')) as Record<string, Record<string, string>>;
  if (language !== undefined && isLanguage(language)) {
    const english = set.sources.en;
    record[language] = Object.fromEntries(
      Object.keys(set.sources[language])
        .filter((key) => english[key] !== undefined)
        .sort()
        .map((key) => [key, sourceHash(english[key] as string)]),
    );
    writeFileSync(recordPath, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`recorded ${Object.keys(record[language] ?? {}).length} strings of ${set.folder}/${language}.json as translated from today's English`);
  }
  const reports = checkCatalogs(record, set);
  console.log(formatReport(reports, set));
  broken ||= reports.some((r) => r.errors.length > 0);
  incomplete ||= reports.some((r) => r.missing.length > 0 || r.stale.length > 0 || r.unused.length > 0);
}
process.exit(broken || (args.includes('--strict') && incomplete) ? 1 : 0);
