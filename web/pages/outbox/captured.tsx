import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { errorText, useFormat } from '../../format.tsx';
import type { CapturedMailSummary, CapturedMailView } from '../../../src/domain/api-types.ts';
import { MessageView } from './message-view.tsx';
import { PAGE } from './use-paged-list.ts';

/** Mode `capture`: the mails Mailroom kept instead of sending them. */
export function CapturedInbox() {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mails, setMails] = useState<CapturedMailSummary[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (before?: number) => {
    setBusy(true);
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (before !== undefined) query.set('before', String(before));
      const r = await api<{ mails: CapturedMailSummary[] }>('GET', `/captured?${query}`);
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

  const close = () => {
    const id = openId;
    setOpenId(null);
    queueMicrotask(() => document.querySelector<HTMLButtonElement>(`#captured-list tr[data-id="${id}"] button`)?.focus());
  };

  return (
    <section id="captured-inbox" class="panel" aria-labelledby="captured-title">
      <div class="details-head">
        <h2 id="captured-title">{t('captureInbox')}</h2>
        <button type="button" id="captured-refresh" disabled={busy} onClick={() => void load()}>
          {t('outboxRefresh')}
        </button>
      </div>
      <div aria-live="polite">{error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}</div>
      {mails === null && !error && <p>{t('loading')}</p>}
      {mails && mails.length === 0 && <p class="empty">{t('captureEmpty')}</p>}
      {mails && mails.length > 0 && (
        <div class="table-wrap">
          <table class="list labelled" id="captured-list">
            <caption class="visually-hidden">{t('captureListCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('captureDate')}</th>
                <th scope="col">{t('outboxTo')}</th>
                <th scope="col">{t('outboxSubject')}</th>
              </tr>
            </thead>
            <tbody>
              {mails.map((m) => (
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
            </tbody>
          </table>
        </div>
      )}
      {mails && more && (
        <p>
          <button type="button" id="captured-more" disabled={busy} onClick={() => void load(mails[mails.length - 1]?.id)}>
            {t('captureMore')}
          </button>
        </p>
      )}
      {openId !== null && <CapturedDetails key={openId} id={openId} onClose={close} />}
    </section>
  );
}

function CapturedDetails(props: { id: number; onClose(): void }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mail, setMail] = useState<CapturedMailView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    api<CapturedMailView>('GET', `/captured/${props.id}`)
      .then(setMail)
      .catch((e: unknown) => setError(errorText(e)));
    heading.current?.focus();
  }, []);
  return (
    <section id="captured-details" class="details sub-panel" aria-labelledby="captured-details-title">
      <div class="details-head">
        <h3 id="captured-details-title" tabIndex={-1} ref={heading}>
          {t('captureDetails', { id: props.id })}
        </h3>
        <button type="button" class="close" onClick={props.onClose}>
          {t('close')}
        </button>
      </div>
      {error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}
      {!mail && !error && <p>{t('loading')}</p>}
      {mail && (
        <>
          <dl class="facts">
            <dt>{t('outboxSubject')}</dt>
            <dd class="captured-subject">{mail.subject}</dd>
            <dt>{t('outboxTo')}</dt>
            <dd class="address captured-to">{mail.envelopeTo.join(', ')}</dd>
            <dt>{t('outboxFrom')}</dt>
            <dd class="address">{mail.envelopeFrom}</dd>
            <dt>{t('captureDate')}</dt>
            <dd>{fmt.time(mail.createdAt)}</dd>
          </dl>
          <p class="actions">
            <a class="button" id="captured-download" href={`/api/v1/captured/${props.id}/eml`} download={`captured-${props.id}.eml`}>
              {t('outboxDownload')}
            </a>
          </p>
          {mail.masked && <p class="hint">{t('outboxDownloadMasked')}</p>}
          <MessageView headers={mail.headers} parts={mail.parts} idPrefix="captured" level={4} />
        </>
      )}
    </section>
  );
}
