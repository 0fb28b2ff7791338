/**
 * The Chinese interface explains every error the server can send: each registered code has a
 * Chinese summary, shown before the server's exact (English) message.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { errorCodes } from '../../src/errors.ts';
import { errorSummariesZhCN } from '../../web/messages/errors.zh-CN.ts';
import { localizedErrorMessage, setErrorLanguage } from '../../web/api.ts';

/** Codes only the browser makes (no server answered). */
const BROWSER_ONLY = ['network_error'];

describe('the Chinese summaries of error codes', () => {
  after(() => setErrorLanguage('en'));

  it('has one for every code the server registers, and none for a code that does not exist', () => {
    const missing = Object.keys(errorCodes).filter((code) => !Object.hasOwn(errorSummariesZhCN, code));
    assert.deepEqual(missing, [], 'codes without a Chinese summary');
    const unknown = Object.keys(errorSummariesZhCN).filter((code) => !Object.hasOwn(errorCodes, code) && !BROWSER_ONLY.includes(code));
    assert.deepEqual(unknown, [], 'summaries of codes that do not exist');
  });

  it('writes each as a Chinese sentence', () => {
    for (const [code, summary] of Object.entries(errorSummariesZhCN)) {
      assert.match(summary, /[\u4e00-\u9fff]/, `${code} is in Chinese`);
      assert.match(summary, /。$/, `${code} ends as a sentence`);
    }
  });

  it('puts the summary before the exact message in Chinese, and leaves English and unknown codes as the server wrote them', () => {
    const exact = 'mail_smtpport must be between 1 and 65535; got 70000';
    setErrorLanguage('zh-CN');
    assert.equal(localizedErrorMessage('config_invalid_value', exact), `该设置不允许此值。（${exact}）`);
    assert.equal(localizedErrorMessage('no_such_code', exact), exact);
    setErrorLanguage('en');
    assert.equal(localizedErrorMessage('config_invalid_value', exact), exact);
  });
});
