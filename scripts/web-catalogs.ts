/**
 * The web interface's catalogs (web/catalogs/) as a set for the completeness check: every key of
 * en.json counts as used (the pages look words up by key, some by a computed one), and a
 * translation may leave out the placeholders notes.json marks optional.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LANGUAGE_CODES, type Language } from '../src/domain/languages.ts';
import type { CatalogSet } from '../src/templates/catalog-check.ts';

export const WEB_CATALOG_DIR = fileURLToPath(new URL('../web/catalogs/', import.meta.url));

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(`${WEB_CATALOG_DIR}${name}`, 'utf8')) as T;
}

export function webCatalogSources(): Record<Language, Record<string, string>> {
  return Object.fromEntries(LANGUAGE_CODES.map((code) => [code, readJson<Record<string, string>>(`${code}.json`)])) as Record<Language, Record<string, string>>;
}

export function webCatalogSet(sources: CatalogSet['sources'] = webCatalogSources()): CatalogSet {
  const notes = readJson<Record<string, { optional?: string[] } | string>>('notes.json');
  return {
    folder: 'web/catalogs',
    sources,
    used: new Set(Object.keys(sources.en)),
    optionalOf: (key) => {
      const note = notes[key];
      return typeof note === 'object' ? (note.optional ?? []) : [];
    },
  };
}
