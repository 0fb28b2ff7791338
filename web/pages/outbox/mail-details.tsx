import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { ConfirmBox, Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { errorText, useFormat } from '../../format.tsx';
import { MailBounces } from '../../bounces.tsx';
import { MessageView } from './message-view.tsx';
import { DetailsHead } from './panel-parts.tsx';
import type { OutboxDetail } from './outbox-types.ts';
import { StateBadge } from './states.tsx';

/** One mail of the outbox: what it is, every attempt with the server's reply verbatim, its headers and parts. */
export function MailDetails(props: { id: number; refreshes: number; onClose(): void; onChanged(): Promise<void> }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mail, setMail] = useState<OutboxDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [retry, setRetry] = useState<{ kind: 'busy' } | { kind: 'ok' } | { kind: 'sent-now' } | { kind: 'error'; message: string } | null>(null);
  const [cancel, setCancel] = useState<{ kind: 'confirm' } | { kind: 'busy' } | { kind: 'ok' } | { kind: 'error'; message: string } | null>(null);

  const load = async () => {
    try {
      setMail(await api<OutboxDetail>('GET', `/outbox/${props.id}`));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => void load(), []);
  // Refresh reads the open mail again too: after a retry, the list and the mail agree on its state.
  const shownRefreshes = useRef(props.refreshes);
  useEffect(() => {
    if (props.refreshes === shownRefreshes.current) return;
    shownRefreshes.current = props.refreshes;
    void load();
  }, [props.refreshes]);

  const doCancel = async () => {
    setCancel({ kind: 'busy' });
    setRetry(null);
    try {
      await api('POST', `/outbox/${props.id}/cancel`);
      setCancel({ kind: 'ok' });
    } catch (e) {
      setCancel({ kind: 'error', message: errorText(e) });
    }
    // Also after a refusal: the mail may have been sent meanwhile, and the page shows that.
    await Promise.all([load(), props.onChanged()]);
  };

  const doRetry = async () => {
    setCancel(null);
    setRetry({ kind: 'busy' });
    try {
      await api('POST', `/outbox/${props.id}/retry`);
      setRetry({ kind: 'ok' });
      await Promise.all([load(), props.onChanged()]);
    } catch (e) {
      setRetry({ kind: 'error', message: errorText(e) });
    }
  };

  const doSendNow = async () => {
    setCancel(null);
    setRetry({ kind: 'busy' });
    try {
      await api('POST', `/outbox/${props.id}/send-now`);
      setRetry({ kind: 'sent-now' });
    } catch (e) {
      setRetry({ kind: 'error', message: errorText(e) });
    }
    await Promise.all([load(), props.onChanged()]);
  };

  const retryable = mail?.state === 'failed' || mail?.state === 'cancelled';
  const cancellable = mail?.state === 'queued' || mail?.state === 'failed';
  // Only a queued mail: a failed or cancelled one is queued again by Retry, which makes it due at once.
  const sendable = mail?.state === 'queued';
  return (
    <section id="mail-details" class="panel details" aria-labelledby="mail-details-title">
      <DetailsHead titleId="mail-details-title" level={2} title={t('outboxDetails', { id: props.id })} error={error} loading={!mail} onClose={props.onClose} />
      {mail && (
        <>
          <dl class="facts">
            <dt>{t('outboxState')}</dt>
            <dd>
              <StateBadge state={mail.state} />
            </dd>
            <dt>{t('outboxSubject')}</dt>
            <dd>{mail.subject}</dd>
            <dt>{t('outboxTo')}</dt>
            <dd class="address">{mail.recipients.join(', ')}</dd>
            <dt>{t('outboxFrom')}</dt>
            <dd class="address">{mail.envelopeFrom}</dd>
            <dt>{t('outboxKind')}</dt>
            <dd>
              <code>{mail.kind}</code>
            </dd>
            <dt>{t('outboxMessageId')}</dt>
            <dd>
              <code class="wrap">{mail.messageId}</code>
            </dd>
            <dt>{t('outboxCreated')}</dt>
            <dd>{fmt.time(mail.createdAt)}</dd>
            <dt>{t('outboxUpdated')}</dt>
            <dd>{fmt.time(mail.updatedAt)}</dd>
            {mail.sentAt !== null && (
              <>
                <dt>{t('outboxSentAt')}</dt>
                <dd>{fmt.time(mail.sentAt)}</dd>
              </>
            )}
            {mail.acceptedBy && (
              <>
                <dt>{t('outboxAcceptedBy')}</dt>
                <dd>
                  <code>{mail.acceptedBy}</code>
                </dd>
              </>
            )}
            {mail.state === 'queued' && mail.attempts > 0 && (
              <>
                <dt>{t('outboxNextAttempt')}</dt>
                <dd>{fmt.time(mail.nextAttemptAt)}</dd>
              </>
            )}
          </dl>

          {mail.lastError && (
            <div class="last-error" id="mail-last-error">
              <h3>{t('outboxLastError')}</h3>
              <pre class="reply">{mail.lastError}</pre>
            </div>
          )}

          {cancel?.kind !== 'confirm' && (
            <div class="actions">
              {sendable && (
                <button type="button" class="primary" id="mail-send-now" disabled={retry?.kind === 'busy'} onClick={() => void doSendNow()}>
                  {t('outboxSendNow')}
                </button>
              )}
              {retryable && (
                <button type="button" class="primary" id="mail-retry" disabled={retry?.kind === 'busy'} onClick={() => void doRetry()}>
                  {retry?.kind === 'busy' ? t('outboxRetrying') : t('outboxRetry')}
                </button>
              )}
              {cancellable && (
                <button type="button" id="mail-cancel" disabled={cancel?.kind === 'busy'} onClick={() => setCancel({ kind: 'confirm' })}>
                  {t('outboxCancel')}
                </button>
              )}
              <a class="button" id="mail-download" href={`/api/v1/outbox/${props.id}/eml`} download={`mail-${props.id}.eml`}>
                {t('outboxDownload')}
              </a>
            </div>
          )}
          {mail.masked && <p class="hint">{t('outboxDownloadMasked')}</p>}
          {cancel?.kind === 'confirm' && (
            <ConfirmBox id="mail-cancel-confirm" questionId="mail-cancel-question" question={t('outboxCancelQuestion', { id: props.id })} yes={{ id: 'mail-cancel-yes', class: 'primary', label: t('outboxCancelYes'), onClick: () => void doCancel() }} no={{ label: t('outboxCancelNo'), onClick: () => setCancel(null) }} />
          )}
          <div aria-live="polite" id="mail-details-status">
            {retry?.kind === 'ok' && <Notice kind="ok">{t('outboxRetried')}</Notice>}
            {retry?.kind === 'sent-now' && <Notice kind="ok">{t('outboxSentNow')}</Notice>}
            {retry?.kind === 'error' && <Notice kind="error">{t('errorGeneric', { message: retry.message })}</Notice>}
            {cancel?.kind === 'ok' && <Notice kind="ok">{t('outboxCancelled')}</Notice>}
            {cancel?.kind === 'error' && <Notice kind="error">{t('errorGeneric', { message: cancel.message })}</Notice>}
          </div>

          <h3>{t('outboxReplies')}</h3>
          <Attempts mail={mail} />
          <MailBounces bounces={mail.bounces ?? []} />

          <MessageView headers={mail.headers} parts={mail.parts} idPrefix="mail" level={3} />
        </>
      )}
    </section>
  );
}

/** Every failed attempt, then the acceptance of a sent mail, each with the server's reply as it came. */
function Attempts(props: { mail: OutboxDetail }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const { mail } = props;
  const accepted = mail.state === 'sent';
  if (mail.history.length === 0 && !accepted) return <p id="mail-attempts">{t('outboxNoAttempts')}</p>;
  return (
    <>
      <ol class="attempts" id="mail-attempts">
        {mail.history.map((h) => (
          <li key={`${h.attempt}-${h.at}`} data-outcome={h.outcome}>
            <p class="attempt-head">
              <strong>{t('outboxAttemptN', { n: h.attempt })}</strong> · {fmt.time(h.at)}
              {h.host && <> · {t('outboxVia', { host: h.host })}</>} · <span class={`badge ${h.outcome}`}>{h.outcome === 'deferred' || h.outcome === 'failed' ? t(`outcome_${h.outcome}`) : h.outcome}</span>
              {h.code && (
                <>
                  {' '}
                  <code>{h.code}</code>
                </>
              )}
            </p>
            {h.reply && <pre class="reply">{h.reply}</pre>}
            {h.message && h.message !== h.reply && <p class="hint attempt-message">{h.message}</p>}
          </li>
        ))}
        {accepted && (
          <li data-outcome="accepted">
            <p class="attempt-head">
              <strong>{t('outboxAttemptN', { n: Math.max(mail.attempts, mail.history.length + 1) })}</strong>
              {mail.sentAt !== null && <> · {fmt.time(mail.sentAt)}</>}
              {mail.acceptedBy && <> · {t('outboxVia', { host: mail.acceptedBy })}</>} · <span class="badge sent">{t('outcome_accepted')}</span>
            </p>
            {mail.lastReply && <pre class="reply">{mail.lastReply}</pre>}
          </li>
        )}
      </ol>
      {!accepted && mail.lastReply && !mail.history.some((h) => h.reply === mail.lastReply) && (
        <>
          <h4>{t('outboxLastReply')}</h4>
          <pre class="reply">{mail.lastReply}</pre>
        </>
      )}
      {mail.recipientResults && mail.recipientResults.length > 0 && (
        <>
          <h4>{t('outboxPerRecipient')}</h4>
          <ul class="recipient-results">
            {mail.recipientResults.map((r) => (
              <li key={r.address}>
                <span class="address">{r.address}</span> · <span class={`badge ${r.status === 'accepted' ? 'sent' : 'failed'}`}>{t(`recipient_${r.status}`)}</span>
                {r.reply && <pre class="reply">{r.reply}</pre>}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
