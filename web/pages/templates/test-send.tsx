import { useEffect } from 'preact/hooks';
import { api, type TestMailReport } from '../../api.ts';
import { Notice, TestFailure, useTestSend } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';

/** Sends the saved template (not the draft) with its sample data to an address, or to the admin. */
export function TestSend(props: { path: string; dirty: boolean }) {
  const { t } = useI18n();
  const { to, setTo, busy, report, error, send, clear } = useTestSend((address) => api<TestMailReport>('POST', `${props.path}/test`, address ? { to: address } : {}));
  useEffect(clear, [props.path]);
  return (
    <section class="panel tpl-test" aria-labelledby="template-test-title">
      <h2 id="template-test-title">{t('templateTest')}</h2>
      <form onSubmit={send} class="inline-form">
        <div class="field">
          <label for="template-test-to">{t('testTo')}</label>
          <input id="template-test-to" type="email" autocomplete="email" value={to} aria-describedby="template-test-hint" onInput={(e) => setTo(e.currentTarget.value)} />
          <p class="hint" id="template-test-hint">
            {t('testToHint')} {t('templateTestHint')}
          </p>
        </div>
        <button type="submit" id="template-test-send" disabled={busy}>
          {busy ? t('testSending') : t('templateTest')}
        </button>
      </form>
      {props.dirty && <p class="hint tpl-test-unsaved">{t('templateTestUnsaved')}</p>}
      <div id="template-test-result" aria-live="polite">
        {error && <Notice kind="error">{error}</Notice>}
        {report?.ok && <Notice kind="ok">{t('templateTestSent', { to: report.to })}</Notice>}
        {report && !report.ok && <TestFailure report={report} />}
      </div>
    </section>
  );
}
