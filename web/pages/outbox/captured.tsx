import { useState } from 'preact/hooks';
import { LoadedList, ListTable } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { useFormat } from '../../format.tsx';
import type { CapturedMailSummary } from '../../../src/domain/api-types.ts';
import { CapturedDetails } from './captured-details.tsx';
import { ListHead, MorePages } from './panel-parts.tsx';
import { usePagedList } from './use-paged-list.ts';

/** Mode `capture`: the mails Mailroom kept instead of sending them. */
export function CapturedInbox() {
  const { t } = useI18n();
  const fmt = useFormat();
  const { items: mails, more, error, busy, reload, loadMore } = usePagedList<CapturedMailSummary>('/captured');
  const [openId, setOpenId] = useState<number | null>(null);

  const close = () => {
    const id = openId;
    setOpenId(null);
    queueMicrotask(() => document.querySelector<HTMLButtonElement>(`#captured-list tr[data-id="${id}"] button`)?.focus());
  };

  return (
    <section id="captured-inbox" class="panel" aria-labelledby="captured-title">
      <ListHead titleId="captured-title" refreshId="captured-refresh" busy={busy} onRefresh={reload}>
        {t('captureInbox')}
      </ListHead>
      <LoadedList items={mails} error={error} empty={t('captureEmpty')}>
        {(list) => (
          <ListTable id="captured-list" caption={t('captureListCaption')} columns={[t('captureDate'), t('outboxTo'), t('outboxSubject')]}>
            {list.map((m) => (
              <tr key={m.id} data-id={m.id} aria-current={openId === m.id ? 'true' : undefined}>
                <td data-label={t('captureDate')}>{fmt.time(m.createdAt)}</td>
                <td data-label={t('outboxTo')} class="address">
                  {m.envelopeTo.join(', ')}
                </td>
                <td data-label={t('outboxSubject')}>
                  <button type="button" class="link open" aria-label={`${t('captureOpen', { id: m.id })}: ${m.subject}`} aria-controls="captured-details" aria-expanded={openId === m.id} onClick={() => setOpenId(m.id)}>
                    {m.subject || '—'}
                  </button>
                </td>
              </tr>
            ))}
          </ListTable>
        )}
      </LoadedList>
      {mails && more && (
        <MorePages id="captured-more" busy={busy} onMore={loadMore}>
          {t('captureMore')}
        </MorePages>
      )}
      {openId !== null && <CapturedDetails key={openId} id={openId} onClose={close} />}
    </section>
  );
}
