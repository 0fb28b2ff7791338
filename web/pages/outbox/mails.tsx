import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { navigate } from '../../router.ts';
import { ConfirmBox, LoadedList, ListTable, Notice } from '../../components.tsx';
import { useI18n, type MessageKey } from '../../i18n.ts';
import { errorText, useFormat } from '../../format.tsx';
import { MailDetails } from './mail-details.tsx';
import type { OutboxMail } from './outbox-types.ts';
import { OwedMails } from './owed.tsx';
import { MorePages } from './panel-parts.tsx';
import { SelectionActions } from './selection-actions.tsx';
import { StateBadge, STATES, type OutboxState } from './states.tsx';
import { PAGE } from './use-paged-list.ts';

/** How often the page reads the outbox again while "Refresh automatically" is on. */
const LIVE_REFRESH_MS = 5000;

/** How long the search waits for the typing to stop before it asks the server. */
const SEARCH_DELAY_MS = 300;

/** The outbox itself: counts, owed mails, the list, and the open mail. */
export function OutboxMails(props: { openId: number | null }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const { openId } = props;
  const [filter, setFilter] = useState<OutboxState | ''>('');
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [counts, setCounts] = useState<Record<string, number> | null>(null);
  const [mails, setMails] = useState<OutboxMail[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  /** Counts refreshes (the button or the timer): the open mail is read again with the list. */
  const [refreshes, setRefreshes] = useState(0);
  const [live, setLive] = useState(true);
  const [retryAll, setRetryAll] = useState<{ kind: 'confirm' } | { kind: 'busy' } | { kind: 'done'; requeued: number } | { kind: 'error'; message: string } | null>(null);
  const doRetryAll = async () => {
    setRetryAll({ kind: 'busy' });
    try {
      const r = await api<{ requeued: number }>('POST', '/outbox/retry-failed');
      setRetryAll({ kind: 'done', requeued: r.requeued });
      await load();
      setRefreshes((n) => n + 1);
    } catch (e) {
      setRetryAll({ kind: 'error', message: errorText(e) });
    }
  };
  const failedCount = counts?.['failed'] ?? 0;

  const load = async (before?: number, quiet = false) => {
    if (!quiet) setBusy(true);
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (filter) query.set('status', filter);
      if (search) query.set('search', search);
      if (before !== undefined) query.set('before', String(before));
      const r = await api<{ counts: Record<string, number>; mails: OutboxMail[]; next: number | null }>('GET', `/outbox?${query}`);
      setCounts(r.counts);
      setMails((m) => (before !== undefined && m ? [...m, ...r.mails] : r.mails));
      setNext(r.next);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      if (!quiet) setBusy(false);
    }
  };
  useEffect(() => {
    const timer = setTimeout(() => setSearch(searchText.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [searchText]);
  useEffect(() => {
    setSelected(new Set());
    void load();
  }, [filter, search]);
  // Live: the first page and the counts follow the worker. Once the reader loaded more pages the
  // list stays as it is (it would jump), and a hidden tab asks nothing.
  const paged = (mails?.length ?? 0) > PAGE;
  useEffect(() => {
    if (!live || paged) return;
    const timer = setInterval(() => {
      if (document.hidden) return;
      void load(undefined, true);
      setRefreshes((n) => n + 1);
    }, LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, paged, filter, search]);

  const open = (id: number) => navigate(`/admin/outbox/${id}`);
  const close = () => {
    const id = openId;
    navigate('/admin/outbox');
    // Back to where the reader was: the button that opened the mail.
    queueMicrotask(() => document.querySelector<HTMLButtonElement>(`#outbox-list tr[data-id="${id}"] a.open`)?.focus());
  };
  const toggle = (id: number, on: boolean) =>
    setSelected((s) => {
      const copy = new Set(s);
      if (on) copy.add(id);
      else copy.delete(id);
      return copy;
    });
  const allShown = mails !== null && mails.length > 0 && mails.every((m) => selected.has(m.id));

  return (
    <>
      <section aria-labelledby="outbox-counts-title" class="outbox-counts">
        <h2 id="outbox-counts-title" class="visually-hidden">
          {t('outboxCounts')}
        </h2>
        <ul id="outbox-counts" class="counts">
          {STATES.map((s) => (
            <li key={s} data-state={s}>
              <button type="button" class="count-chip" aria-pressed={filter === s} onClick={() => setFilter(filter === s ? '' : s)}>
                <span class="count-label">{t(`state_${s}` as MessageKey)}</span> <strong class="count-value">{counts ? fmt.number(counts[s] ?? 0) : '…'}</strong>
              </button>
            </li>
          ))}
        </ul>
      </section>

      <OwedMails refreshes={refreshes} />

      <div class="field outbox-search">
        <label for="outbox-search">{t('outboxSearch')}</label>
        <input id="outbox-search" type="search" value={searchText} maxLength={200} aria-describedby="outbox-search-hint" onInput={(e) => setSearchText(e.currentTarget.value)} />
        <p class="hint" id="outbox-search-hint">
          {t('outboxSearchHint')}
        </p>
      </div>
      <div class="toolbar">
        <div class="field">
          <label for="outbox-filter">{t('outboxState')}</label>
          <select id="outbox-filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value as OutboxState | '')}>
            <option value="">{t('outboxAll')}</option>
            {STATES.map((s) => (
              <option value={s} key={s}>
                {t(`state_${s}` as MessageKey)}
                {counts ? ` (${fmt.number(counts[s] ?? 0)})` : ''}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          id="outbox-refresh"
          disabled={busy}
          onClick={() => {
            void load();
            setRefreshes((n) => n + 1);
          }}
        >
          {t('outboxRefresh')}
        </button>
        <div class="field check">
          <input id="outbox-live" type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
          <label for="outbox-live">{t('outboxLive')}</label>
        </div>
        {failedCount > 0 && retryAll?.kind !== 'confirm' && (
          <button type="button" id="outbox-retry-all" disabled={retryAll?.kind === 'busy'} onClick={() => setRetryAll({ kind: 'confirm' })}>
            {t('outboxRetryAll', { count: fmt.number(failedCount) })}
          </button>
        )}
      </div>
      {retryAll?.kind === 'confirm' && (
        <ConfirmBox id="outbox-retry-all-confirm" questionId="outbox-retry-all-question" question={t('outboxRetryAllQuestion', { count: fmt.number(failedCount) })} yes={{ class: 'primary', label: t('outboxRetryAllYes'), onClick: () => void doRetryAll() }} no={{ label: t('cancel'), onClick: () => setRetryAll(null) }} />
      )}
      <div aria-live="polite" id="outbox-retry-all-status">
        {retryAll?.kind === 'done' && <Notice kind="ok">{t('outboxRetryAllDone', { count: fmt.number(retryAll.requeued) })}</Notice>}
        {retryAll?.kind === 'error' && <Notice kind="error">{t('errorGeneric', { message: retryAll.message })}</Notice>}
      </div>

      <SelectionActions
        selected={selected}
        onDone={async () => {
          setSelected(new Set());
          await load();
          setRefreshes((n) => n + 1);
        }}
      />

      <LoadedList items={mails} error={error} empty={t('outboxEmpty')} statusId="outbox-status">
        {(list) => (
          <ListTable
            id="outbox-list"
            caption={t('outboxListCaption')}
            columns={[
              <input type="checkbox" id="outbox-select-all" aria-label={t('outboxSelectAll')} checked={allShown} onChange={(e) => setSelected(e.currentTarget.checked ? new Set(list.map((m) => m.id)) : new Set())} />,
              t('outboxNumber'),
              t('outboxState'),
              t('outboxTo'),
              t('outboxSubject'),
              t('outboxAttempts'),
              t('outboxUpdated'),
            ]}
          >
            {list.map((m) => (
              <tr key={m.id} data-id={m.id} data-state={m.state} aria-current={openId === m.id ? 'true' : undefined}>
                <td class="select">
                  <input type="checkbox" class="select" aria-label={t('outboxSelect', { id: m.id })} checked={selected.has(m.id)} onChange={(e) => toggle(m.id, e.currentTarget.checked)} />
                </td>
                <td data-label={t('outboxNumber')}>#{m.id}</td>
                <td data-label={t('outboxState')}>
                  <StateBadge state={m.state} />
                  {m.state === 'queued' && m.attempts > 0 && (
                    <span class="hint next-attempt">
                      {t('outboxNextAttempt')}: {fmt.time(m.nextAttemptAt)}
                    </span>
                  )}
                </td>
                <td data-label={t('outboxTo')} class="address">
                  {m.recipients.join(', ')}
                </td>
                <td data-label={t('outboxSubject')}>
                  <a
                    href={`/admin/outbox/${m.id}`}
                    class="open"
                    aria-label={`${t('outboxOpen', { id: m.id })}: ${m.subject}`}
                    aria-current={openId === m.id ? 'page' : undefined}
                    onClick={(e) => {
                      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                      e.preventDefault();
                      open(m.id);
                    }}
                  >
                    {m.subject || '—'}
                  </a>
                  {(m.state === 'queued' || m.state === 'failed') && m.lastError && <span class="hint row-error">{m.lastError}</span>}
                </td>
                <td data-label={t('outboxAttempts')}>{m.attempts}</td>
                <td data-label={t('outboxUpdated')}>{fmt.time(m.updatedAt)}</td>
              </tr>
            ))}
          </ListTable>
        )}
      </LoadedList>
      {mails && next !== null && (
        <MorePages id="outbox-more" busy={busy} onMore={() => void load(next)}>
          {t('outboxMore')}
        </MorePages>
      )}

      {openId !== null && <MailDetails key={openId} id={openId} refreshes={refreshes} onClose={close} onChanged={() => load()} />}
    </>
  );
}
