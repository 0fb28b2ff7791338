import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n.ts';
import { errorText, useFormat } from '../../format.tsx';
import type { CapturedMailView } from '../../../src/domain/api-types.ts';
import { MessageView } from './message-view.tsx';
import { DetailsHead } from './panel-parts.tsx';

/** One captured mail: who it was for, its download, and its headers and parts. */
export function CapturedDetails(props: { id: number; onClose(): void }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mail, setMail] = useState<CapturedMailView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<CapturedMailView>('GET', `/captured/${props.id}`)
      .then(setMail)
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  return (
    <section id="captured-details" class="details sub-panel" aria-labelledby="captured-details-title">
      <DetailsHead titleId="captured-details-title" level={3} title={t('captureDetails', { id: props.id })} error={error} loading={!mail} onClose={props.onClose} />
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
