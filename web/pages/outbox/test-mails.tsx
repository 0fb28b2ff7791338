import { LoadedList, ListTable } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { useFormat } from '../../format.tsx';
import type { TestMailRecord } from '../../../src/domain/api-types.ts';
import { ListHead, MorePages } from './panel-parts.tsx';
import { usePagedList } from './use-paged-list.ts';

/** The test mails: sent to the server at once, not through the outbox; each with the answer it got. */
export function TestMails() {
  const { t } = useI18n();
  const fmt = useFormat();
  const { items: mails, more, error, busy, reload, loadMore } = usePagedList<TestMailRecord>('/test-mails');
  return (
    <section id="test-mails" class="panel" aria-labelledby="test-mails-title">
      <ListHead titleId="test-mails-title" refreshId="test-mails-refresh" busy={busy} onRefresh={reload}>
        {t('outboxTabTests')}
      </ListHead>
      <p class="intro">{t('testMailsIntro')}</p>
      <LoadedList items={mails} error={error} empty={t('testMailsEmpty')}>
        {(list) => (
          <ListTable id="test-mails-list" caption={t('testMailsCaption')} columns={[t('testMailsSentAt'), t('testMailsTemplate'), t('outboxTo'), t('outboxSubject'), t('testMailsMode'), t('testMailsResult')]}>
            {list.map((m) => (
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
          </ListTable>
        )}
      </LoadedList>
      {mails && more && (
        <MorePages id="test-mails-more" busy={busy} onMore={loadMore}>
          {t('testMailsMore')}
        </MorePages>
      )}
    </section>
  );
}
