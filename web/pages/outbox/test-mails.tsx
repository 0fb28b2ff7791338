import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { errorText, useFormat } from '../../format.tsx';
import type { TestMailRecord } from '../../../src/domain/api-types.ts';
import { PAGE } from './use-paged-list.ts';

/** The test mails: sent to the server at once, not through the outbox; each with the answer it got. */
export function TestMails() {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mails, setMails] = useState<TestMailRecord[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = async (before?: number) => {
    setBusy(true);
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (before !== undefined) query.set('before', String(before));
      const r = await api<{ mails: TestMailRecord[] }>('GET', `/test-mails?${query}`);
      setMails((m) => (before !== undefined && m ? [...m, ...r.mails] : r.mails));
      setMore(r.mails.length === PAGE);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(), []);
  return (
    <section id="test-mails" class="panel" aria-labelledby="test-mails-title">
      <div class="details-head">
        <h2 id="test-mails-title">{t('outboxTabTests')}</h2>
        <button type="button" id="test-mails-refresh" disabled={busy} onClick={() => void load()}>
          {t('outboxRefresh')}
        </button>
      </div>
      <p class="intro">{t('testMailsIntro')}</p>
      <div aria-live="polite">{error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}</div>
      {mails === null && !error && <p>{t('loading')}</p>}
      {mails && mails.length === 0 && <p class="empty">{t('testMailsEmpty')}</p>}
      {mails && mails.length > 0 && (
        <div class="table-wrap">
          <table class="list labelled" id="test-mails-list">
            <caption class="visually-hidden">{t('testMailsCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('testMailsSentAt')}</th>
                <th scope="col">{t('testMailsTemplate')}</th>
                <th scope="col">{t('outboxTo')}</th>
                <th scope="col">{t('outboxSubject')}</th>
                <th scope="col">{t('testMailsMode')}</th>
                <th scope="col">{t('testMailsResult')}</th>
              </tr>
            </thead>
            <tbody>
              {mails.map((m) => (
                <tr key={m.id} data-id={m.id} data-ok={String(m.ok)}>
                  <td data-label={t('testMailsSentAt')}>{fmt.time(m.createdAt)}</td>
                  <td data-label={t('testMailsTemplate')}>
                    <code>{m.template}</code>
                  </td>
                  <td data-label={t('outboxTo')} class="address">
                    {m.recipient}
                  </td>
                  <td data-label={t('outboxSubject')}>{m.subject}</td>
                  <td data-label={t('testMailsMode')}>
                    <code>{m.mode}</code>
                  </td>
                  <td data-label={t('testMailsResult')} class="test-result">
                    <span class={`badge ${m.ok ? 'sent' : 'failed'}`}>{t(m.ok ? 'testMailsOk' : 'testMailsFailed')}</span>
                    {m.via && <> · {t('outboxVia', { host: m.via })}</>}
                    {m.errorCode && (
                      <>
                        {' '}
                        <code>{m.errorCode}</code>
                      </>
                    )}
                    {(m.response ?? m.errorMessage) && <pre class="reply">{m.response ?? m.errorMessage}</pre>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {mails && more && (
        <p>
          <button type="button" id="test-mails-more" disabled={busy} onClick={() => void load(mails[mails.length - 1]?.id)}>
            {t('testMailsMore')}
          </button>
        </p>
      )}
    </section>
  );
}
