/**
 * Every interface language explains every error the server can send: each registered code has
 * a summary in the catalogs (error.CODE), shown before the server's exact (English) message.
 * That each language has each summary is npm run i18n:check's part (test/templates/i18n-catalogs.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCodes } from '../../src/errors.ts';
import en from '../../web/catalogs/en.json' with { type: 'json' };
import { localizedErrorMessage, setErrorLanguage } from '../../web/api.ts';
import { loadCatalog } from '../../web/i18n.ts';

/** Codes only the browser makes (no server answered). */
const BROWSER_ONLY = ['network_error'];
const summarized = Object.keys(en)
  .filter((key) => key.startsWith('error.'))
  .map((key) => key.slice('error.'.length));

describe('the summaries of error codes', () => {
  before(async () => {
    await loadCatalog('zh-CN');
    await loadCatalog('de');
  });
  after(() => setErrorLanguage('en'));

  it('has one for every code the server registers, and none for a code that does not exist', () => {
    assert.deepEqual(
      Object.keys(errorCodes).filter((code) => !summarized.includes(code)),
      [],
      'codes without a summary in web/catalogs/en.json',
    );
    assert.deepEqual(
      summarized.filter((code) => !Object.hasOwn(errorCodes, code) && !BROWSER_ONLY.includes(code)),
      [],
      'summaries of codes that do not exist',
    );
  });

  it('puts the summary before the exact message in another language, and leaves English and unknown codes as the server wrote them', () => {
    const exact = 'mail_smtpport must be between 1 and 65535; got 70000';
    setErrorLanguage('zh-CN');
    assert.equal(localizedErrorMessage('config_invalid_value', exact), `该设置不允许此值。（${exact}）`);
    assert.equal(localizedErrorMessage('no_such_code', exact), exact);
    setErrorLanguage('de');
    const german = localizedErrorMessage('config_invalid_value', exact);
    assert.ok(german.endsWith(`(${exact})`) && german.length > exact.length + 10, german);
    assert.notEqual(german, `${en['error.config_invalid_value']} (${exact})`, 'the German summary, not the English one');
    setErrorLanguage('en');
    assert.equal(localizedErrorMessage('config_invalid_value', exact), exact);
  });
});
