/**
 * Every shipped mail in every language, rendered in process as it is sent (the layout, the CSS
 * inlined, the MIME message): the subject and body in the language with its placeholders filled,
 * no English sentence left, the recipient's date format, the language's quotation marks, right to
 * left for Arabic, and the plural forms of Polish, Russian and Arabic for 1, 2, 5 and 21.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { defaultSettings } from '../../src/config/settings-schema.ts';
import { LANGUAGE_CODES, type Language } from '../../src/domain/languages.ts';
import { activitySummary } from '../../src/notifications/activity-text.ts';
import { CATALOG_SOURCES, translate } from '../../src/templates/catalogs.ts';
import { layoutHtml } from '../../src/templates/defaults/layout.ts';
import { createLiquidEngine } from '../../src/templates/liquid-engine.ts';
import { createMailRenderer } from '../../src/templates/render-mail.ts';
import { sampleData } from '../../src/templates/sample-data.ts';
import { shippedParts } from '../../src/templates/shipped-templates.ts';
import { TEMPLATE_NAMES, type TemplateName } from '../../src/templates/template-catalog.ts';

const NOW = new Date('2026-11-26T10:00:00Z');
const renderer = createMailRenderer({ engine: createLiquidEngine({ layout: layoutHtml }), partsOf: async (name, lang) => shippedParts(name, lang), clock: { now: () => NOW } });
const settings = { ...defaultSettings(), mail_domain: 'cloud.example.com', instance_name: 'Example Cloud' };

/** A template's own data in a language: the sample, with the digest's lines written in it and real dates. */
function dataFor(name: TemplateName, language: Language, more = 2): Record<string, unknown> {
  const { user: _user, instance_name: _instance, base_url: _base, ...own } = sampleData(name, language);
  if (name === 'activity') {
    const summary = activitySummary({ type: 'file.changed', own: false, actorName: 'Bob Berg', objectType: 'file', objectName: 'Budget 2026.xlsx' }, language);
    return { ...own, more, activities: [{ summary, subject: '', file_name: 'Budget 2026.xlsx', link: 'https://cloud.example.com/f/1', time: new Date('2026-11-26T09:30:00Z') }] };
  }
  if (name === 'password_changed' || name === 'email_change_notice') return { ...own, changed_at: new Date('2026-11-26T09:30:00Z') };
  return own;
}

async function render(name: TemplateName, language: Language, data = dataFor(name, language)) {
  const message = await renderer.render({ template: name, to: { address: 'reader@example.com', displayName: 'Alice Andersen', uid: 'alice', language, timeZone: 'Europe/Berlin' }, data, unsubscribeUrl: 'https://cloud.example.com/u/x' }, settings);
  const mail = await simpleParser(message.raw);
  return { language: message.language, subject: mail.subject ?? '', text: mail.text ?? '', html: typeof mail.html === 'string' ? mail.html : '' };
}

// The English sentences that would betray an untranslated text: those of en.json with more than
// two words and no placeholder, and the fixed start of every other one.
const ENGLISH_SENTENCES = Object.values(CATALOG_SOURCES.en)
  .map(
    (source) =>
      source
        .replace(/<\/?strong>/g, '')
        .split('{')[0]
        ?.trim() ?? '',
  )
  .filter((words) => words.split(' ').length > 2);

describe('the shipped mails in every language', () => {
  for (const language of LANGUAGE_CODES) {
    it(`${language}: every mail in the language, placeholders filled`, async () => {
      for (const name of TEMPLATE_NAMES) {
        const mail = await render(name, language);
        const where = `${language}/${name}`;
        assert.equal(mail.language, language);
        assert.ok(mail.subject.trim() !== '', `${where} has a subject`);
        for (const part of [mail.subject, mail.text, mail.html]) assert.doesNotMatch(part, /\{\{|\}\}|\{%|\{[a-z_]+\}/, `${where}: a placeholder left unfilled`);
        assert.match(mail.html, new RegExp(`<html lang="${language}" dir="${language === 'ar' ? 'rtl' : 'ltr'}"`), `${where}: lang and dir`);
        if (language !== 'en') {
          for (const sentence of ENGLISH_SENTENCES) {
            assert.ok(!mail.text.includes(sentence) && !mail.html.includes(sentence), `${where} still says "${sentence}"`);
          }
        }
        if (name !== 'test') assert.ok(mail.text.includes('Example Cloud') || mail.text.includes('https://cloud.example.com'), `${where} names the instance or its links`);
      }
    });
  }

  it('writes the greeting, the quotation marks and the dates of each language', async () => {
    const share = async (language: Language) => render('share', language);
    assert.match((await share('de')).subject, /^Bob Berg hat „Budget 2026\.xlsx“ mit Ihnen geteilt$/);
    assert.match((await share('de')).text, /^Hallo Alice Andersen,/);
    assert.match((await share('fr')).subject, /«\u202fBudget 2026\.xlsx\u202f»/);
    assert.match((await share('ja')).subject, /「Budget 2026\.xlsx」/);
    assert.match((await share('zh-TW')).subject, /「Budget 2026\.xlsx」/);
    assert.match((await share('ru')).subject, /«Budget 2026\.xlsx»/);
    assert.match((await share('pl')).subject, /„Budget 2026\.xlsx”/);
    // Dates in the reader's language and zone (Europe/Berlin): 26.11.2026, 10:30 in German.
    const changed = await render('password_changed', 'de');
    assert.match(changed.text, /von 203\.0\.113\.7 aus vorgenommen \(Firefox unter Windows\)/);
    assert.match(changed.text, /am 26\.11\.2026, 10:30 GMT\+1 geändert/);
    assert.match((await render('password_changed', 'ja')).text, /2026\/11\/26 10:30（GMT\+1）/);
    const digest = await render('activity', 'de');
    assert.match(digest.text, /^\* Bob Berg hat die Datei „Budget 2026\.xlsx“ geändert$/m);
  });

  it('lays Arabic out right to left, each name and number isolated in its own direction', async () => {
    const mail = await render('share', 'ar');
    assert.match(mail.html, /<div class="wrapper" lang="ar" dir="rtl"/);
    assert.match(mail.html, /<bdi>Budget 2026\.xlsx<\/bdi>/);
    assert.match(mail.html, /text-align: ?right/);
    assert.ok(mail.subject.includes('\u2068Budget 2026.xlsx\u2069'), mail.subject);
    assert.ok(mail.text.includes('\u2068Budget 2026.xlsx\u2069'));
    const english = await render('share', 'en');
    assert.doesNotMatch(english.html, /<bdi>|\u2068/);
    assert.match(english.html, /text-align: ?left/);
    const digest = await render('activity', 'ar');
    assert.ok(digest.text.includes('عدّل \u2068Bob Berg\u2069 \u2068الملف «\u2068Budget 2026.xlsx\u2069»\u2069'), digest.text);
  });

  it('says "… and N more" with the plural form of 1, 2, 5 and 21 in Polish, Russian and Arabic', async () => {
    const expected: Record<'pl' | 'ru' | 'ar', Record<1 | 2 | 5 | 21, string>> = {
      pl: { 1: '1 kolejna aktywność nie jest tu wymieniona', 2: '2 kolejne aktywności nie są tu wymienione', 5: '5 kolejnych aktywności nie jest tu wymienionych', 21: '21 kolejnych aktywności nie jest tu wymienionych' },
      ru: { 1: 'Ещё 1 событие здесь не показано', 2: 'Ещё 2 события здесь не показаны', 5: 'Ещё 5 событий здесь не показано', 21: 'Ещё 21 событие здесь не показано' },
      ar: { 1: 'هناك نشاط واحد آخر غير مدرج هنا', 2: 'هناك نشاطان آخران غير مدرجين هنا', 5: 'هناك \u20685\u2069 نشاطات أخرى غير مدرجة هنا', 21: 'هناك \u206821\u2069 نشاطًا آخر غير مدرج هنا' },
    };
    for (const [language, forms] of Object.entries(expected) as Array<['pl' | 'ru' | 'ar', Record<number, string>]>) {
      for (const [count, words] of Object.entries(forms)) {
        const mail = await render('activity', language, dataFor('activity', language, Number(count)));
        assert.ok(mail.text.includes(words), `${language}, ${count}: ${mail.text}`);
        assert.ok(mail.html.includes(words.replace(/\u2068(\d+)\u2069/, '<bdi>$1</bdi>')), `${language}, ${count} in the HTML`);
      }
    }
    // The same messages formatted directly, as the code's own texts are.
    assert.equal(translate('pl', 'activity.more', { more: 22 }), '22 kolejne aktywności nie są tu wymienione.');
    assert.equal(translate('ru', 'activity.more', { more: 11 }), 'Ещё 11 событий здесь не показано.');
    assert.equal(translate('ar', 'activity.more', { more: 100 }), 'هناك \u2068100\u2069 نشاط آخر غير مدرج هنا.');
    assert.equal(translate('en', 'activity.more', { more: 1 }), '1 more is not listed here.');
  });
});
