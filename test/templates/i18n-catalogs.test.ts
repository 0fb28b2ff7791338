/**
 * The catalogs' completeness check (npm run i18n:check), of the mails and of the web interface:
 * every shipped language complete and current, and a translation that breaks a placeholder or a
 * plural form is caught.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { LANGUAGE_CODES, type Language } from '../../src/domain/languages.ts';
import { checkCatalogs, mailCatalogSet } from '../../src/templates/catalog-check.ts';
import { CATALOG_SOURCES } from '../../src/templates/catalogs.ts';
import translatedFrom from '../../src/templates/catalogs/translated-from.json' with { type: 'json' };
import webTranslatedFrom from '../../web/catalogs/translated-from.json' with { type: 'json' };
import { webCatalogSet, webCatalogSources } from '../../scripts/web-catalogs.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The mail catalogs (or others) with one language's strings changed. */
function changed(language: Language, changes: Record<string, string | undefined>, from: Readonly<Record<Language, Readonly<Record<string, string>>>> = CATALOG_SOURCES): Record<Language, Record<string, string>> {
  const sources = Object.fromEntries(LANGUAGE_CODES.map((code) => [code, { ...from[code] }])) as Record<Language, Record<string, string>>;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete sources[language][key];
    else sources[language][key] = value;
  }
  return sources;
}

const withChanges = (language: Language, changes: Record<string, string | undefined>) => mailCatalogSet(changed(language, changes));

describe('the mail catalogs', () => {
  it('npm run i18n:check --strict: every language of the mails and of the web interface complete, current and without errors', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'i18n:check', '--', '--strict'], { cwd: root });
    const [mails, web] = stdout.split(/^web\/catalogs\/$/m);
    assert.match(mails ?? '', /^src\/templates\/catalogs\/$/m, stdout);
    for (const part of [mails ?? '', web ?? '']) {
      for (const language of LANGUAGE_CODES) assert.match(part, new RegExp(`^  ${language}: (\\d+)/\\1 translated, 0 missing, 0 stale, 0 unused, 0 errors$`, 'm'), stdout);
    }
  });

  it("checks the web interface's catalogs as the mails': a made-up placeholder, a missing plural form, a missing and a stale string", () => {
    const sources = changed('ru', { loginLocked: 'Слишком много попыток. Повторите через {seconds, plural, one {# секунду} other {# секунд}}.', saved: undefined, 'error.forbidden': 'У вас нет {rights}.' }, webCatalogSources());
    const reports = checkCatalogs({ ...webTranslatedFrom, ru: { ...webTranslatedFrom.ru, cancel: 'a hash of an older English text' } }, webCatalogSet(sources));
    const ru = reports.find((r) => r.language === 'ru');
    assert.deepEqual(ru?.missing, ['saved']);
    assert.deepEqual(ru?.stale, ['cancel']);
    assert.deepEqual(ru?.errors, ['ru.json "loginLocked": {seconds, plural} has no "few" form', 'ru.json "loginLocked": {seconds, plural} has no "many" form', 'ru.json "error.forbidden": {rights} is not a placeholder of this message (it has none)']);
  });

  it('fails a translation that leaves out a placeholder or makes one up, and one that does not parse', () => {
    const reports = checkCatalogs(translatedFrom, withChanges('de', { 'share.subject': '{sharer} hat etwas mit Ihnen geteilt', 'common.greeting': 'Hallo {nmae},', 'share.heading': 'Mit {Ihnen geteilt' }));
    const errors = reports.find((r) => r.language === 'de')?.errors ?? [];
    assert.ok(errors.includes('de.json "share.subject": {file_name} is missing'), errors.join('\n'));
    assert.ok(
      errors.some((e) => e.startsWith('de.json "common.greeting": {nmae} is not a placeholder of this message (it has {name})')),
      errors.join('\n'),
    );
    assert.ok(errors.includes('de.json "common.greeting": {name} is missing'));
    assert.ok(
      errors.some((e) => e.startsWith('de.json "share.heading": ')),
      errors.join('\n'),
    );
  });

  it('lets a translation leave out a placeholder its note marks optional', () => {
    const reports = checkCatalogs(translatedFrom, withChanges('de', { 'share.button': 'Öffnen' }));
    assert.deepEqual(reports.find((r) => r.language === 'de')?.errors, []);
  });

  it('fails a plural without a form the language needs: Polish few and many, Arabic all six', () => {
    const pl = checkCatalogs(translatedFrom, withChanges('pl', { 'activity.more': '{more, plural, one {# kolejna} other {# kolejnych}}' }));
    assert.deepEqual(pl.find((r) => r.language === 'pl')?.errors, ['pl.json "activity.more": {more, plural} has no "few" form', 'pl.json "activity.more": {more, plural} has no "many" form']);
    const ar = checkCatalogs(translatedFrom, withChanges('ar', { 'activity.more': '{more, plural, other {# نشاط}}' }));
    assert.equal(ar.find((r) => r.language === 'ar')?.errors.length, 5);
  });

  it('reports missing, unused and stale strings', () => {
    const reports = checkCatalogs({ ...translatedFrom, fr: { ...translatedFrom.fr, 'test.subject': 'a hash of an older English text' } }, withChanges('fr', { 'test.body': undefined, 'test.old_key': 'Ancien texte' }));
    const fr = reports.find((r) => r.language === 'fr');
    assert.deepEqual(fr?.missing, ['test.body']);
    assert.deepEqual(fr?.unused, ['test.old_key']);
    assert.deepEqual(fr?.stale, ['test.subject']);
    assert.deepEqual(fr?.errors, []);
  });
});
