import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.ts';
import { navigate } from '../../router.ts';
import { ListTable, Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { errorText, useFormat } from '../../format.tsx';
import type { OwedMailsView, OwedMailWhereabouts } from '../../../src/domain/api-types.ts';

/**
 * The mails requests owe before they reach the outbox (rendered by a worker), shown only while
 * there are some: how many wait, and each one a template could not render, with its code and a
 * way to render them again once the template is fixed. Without this a mail that never rendered
 * would be on no list of this page.
 */
export function OwedMails(props: { refreshes: number }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [view, setView] = useState<OwedMailsView | null>(null);
  const [retry, setRetry] = useState<{ kind: 'busy' } | { kind: 'done'; requeued: number } | { kind: 'error'; message: string } | null>(null);
  const load = async () => {
    try {
      setView(await api<OwedMailsView>('GET', '/outbox/owed'));
    } catch {
      // The outbox list above reports a server that does not answer; this part stays as it was.
    }
  };
  useEffect(() => void load(), [props.refreshes]);
  const doRetry = async () => {
    setRetry({ kind: 'busy' });
    try {
      const r = await api<{ requeued: number }>('POST', '/outbox/owed/retry');
      setRetry({ kind: 'done', requeued: r.requeued });
      await load();
    } catch (e) {
      setRetry({ kind: 'error', message: errorText(e) });
    }
  };
  if (view === null || (view.owed === 0 && view.failed === 0 && retry === null)) return null;
  return (
    <section id="owed-mails" aria-labelledby="owed-mails-title" class="owed-mails">
      <h2 id="owed-mails-title">{t('owedTitle')}</h2>
      {view.owed > 0 && <p id="owed-waiting">{t('owedWaiting', { count: fmt.number(view.owed) })}</p>}
      {view.failed > 0 && (
        <>
          <Notice kind="error">{t('owedFailed', { count: fmt.number(view.failed) })}</Notice>
          <ListTable id="owed-failed-list" caption={t('owedFailedCaption')} columns={[t('outboxNumber'), t('owedKind'), t('owedError'), t('outboxUpdated')]}>
            {view.failed_mails.map((m) => (
              <tr key={m.id} data-id={m.id}>
                <td data-label={t('outboxNumber')}>#{m.id}</td>
                <td data-label={t('owedKind')}>{m.kind}</td>
                <td data-label={t('owedError')}>
                  <code>{m.code}</code> {m.message}
                </td>
                <td data-label={t('outboxUpdated')}>{fmt.time(m.updatedAt)}</td>
              </tr>
            ))}
          </ListTable>
          <p>
            <button type="button" id="owed-retry" disabled={retry?.kind === 'busy'} onClick={() => void doRetry()}>
              {t('owedRetry', { count: fmt.number(view.failed) })}
            </button>
          </p>
        </>
      )}
      <div aria-live="polite" id="owed-retry-status">
        {retry?.kind === 'done' && <Notice kind="ok">{t('owedRetryDone', { count: fmt.number(retry.requeued) })}</Notice>}
        {retry?.kind === 'error' && <Notice kind="error">{t('errorGeneric', { message: retry.message })}</Notice>}
      </div>
    </section>
  );
}

/** How often a page waiting for an owed mail asks whether it is rendered. */
const OWED_POLL_MS = 2000;

/**
 * The mail a request owed under a key (the link of "Invitation queued"): requests never wait for
 * rendering, so the mail may not exist yet. Until it does, this says so and asks again; then the
 * address becomes the mail's own (/admin/outbox/ID) and the mail opens.
 */
export function OwedMail(props: { mailKey: string }) {
  const { t } = useI18n();
  const [found, setFound] = useState<OwedMailWhereabouts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [unknown, setUnknown] = useState(false);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const r = await api<OwedMailWhereabouts>('GET', `/outbox/owed/${encodeURIComponent(props.mailKey)}`);
        if (stopped) return;
        if (r.state === 'queued') {
          navigate(`/admin/outbox/${r.id}`, { replace: true });
          return;
        }
        setFound(r);
        setError(null);
        // A failed one is asked after too: "Render again" may owe it once more.
        timer = setTimeout(() => void ask(), OWED_POLL_MS);
      } catch (e) {
        if (stopped) return;
        // A key never owed (a link cut short), or a mail purged from the outbox long since.
        if (e instanceof ApiError && e.code === 'not_found') setUnknown(true);
        else setError(errorText(e));
      }
    };
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [props.mailKey]);
  return (
    <section id="owed-mail" class="panel" aria-labelledby="owed-mail-title" aria-live="polite">
      <h2 id="owed-mail-title">{t(unknown ? 'owedMailUnknownTitle' : 'owedMailTitle')}</h2>
      {unknown && <Notice kind="error">{t('owedMailUnknown')}</Notice>}
      {error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}
      {!found && !error && !unknown && <p>{t('loading')}</p>}
      {found?.state === 'owed' && <p id="owed-mail-waiting">{t('owedMailWaiting', { seconds: OWED_POLL_MS / 1000 })}</p>}
      {found?.state === 'failed' && <Notice kind="error">{t('owedMailFailed', { code: found.error.code, message: found.error.message })}</Notice>}
    </section>
  );
}
