import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, localizedErrorMessage, type SettingView } from '../api.ts';
import { navigate, onLinkClick, usePath } from '../router.ts';
import { Notice, PageTitle } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { errorText, useFormat } from '../format.tsx';
import { MailBounces, type MailBounce } from '../bounces.tsx';

/** The answers of /api/v1/outbox and /api/v1/captured (src/db/outbox-repo.ts, src/domain/mime-message.ts). */
const STATES = ['queued', 'sending', 'sent', 'failed', 'cancelled'] as const;
type OutboxState = (typeof STATES)[number];

interface OutboxMail {
  id: number;
  messageId: string;
  kind: string;
  envelopeFrom: string;
  recipients: string[];
  subject: string;
  state: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastReply: string | null;
  acceptedBy: string | null;
  recipientResults: Array<{ address: string; status: 'accepted' | 'rejected'; reply?: string }> | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
}

interface Attempt {
  attempt: number;
  at: number;
  host: string | null;
  outcome: string;
  code: string | null;
  message: string | null;
  reply: string | null;
}

interface MessageHeader {
  name: string;
  value: string;
  decoded?: string;
}

interface MessagePart {
  contentType: string;
  charset: string | null;
  transferEncoding: string;
  size: number;
  text?: string;
  html?: string;
}

type OutboxDetail = OutboxMail & { history: Attempt[]; headers: MessageHeader[]; parts: MessagePart[]; masked: boolean; bounces?: MailBounce[] };

interface CapturedSummary {
  id: number;
  messageId: string;
  envelopeFrom: string;
  envelopeTo: string[];
  subject: string;
  createdAt: string;
}

type CapturedDetail = CapturedSummary & { headers: MessageHeader[]; parts: MessagePart[]; masked: boolean };

/** GET /api/v1/test-mails (src/db/test-mail-repo.ts). */
interface TestMail {
  id: number;
  template: string;
  recipient: string;
  subject: string;
  mode: string;
  ok: boolean;
  via: string | null;
  response: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: number;
}

/** GET /api/v1/outbox/owed: mails requests owe that no worker has rendered yet, and those that failed to render. */
interface OwedView {
  owed: number;
  failed: number;
  failed_mails: Array<{ id: number; kind: string; code: string; message: string; attempts: number; createdAt: number; updatedAt: number }>;
}

const PAGE = 50;
/** How often the page reads the outbox again while "Refresh automatically" is on. */
const LIVE_REFRESH_MS = 5000;

function StateBadge(props: { state: string }) {
  const { t } = useI18n();
  const known = (STATES as readonly string[]).includes(props.state);
  return <span class={`badge ${props.state}`}>{known ? t(`state_${props.state}` as MessageKey) : props.state}</span>;
}

/** The views of the page, each with a path of its own: /admin/outbox, /admin/outbox/captured, /admin/outbox/tests. */
const TABS = [
  { id: 'mails', path: '/admin/outbox', label: 'outboxTabMails' },
  { id: 'captured', path: '/admin/outbox/captured', label: 'outboxTabCaptured' },
  { id: 'tests', path: '/admin/outbox/tests', label: 'outboxTabTests' },
] as const;
type Tab = (typeof TABS)[number]['id'];

/** The address of the mail a request owed under `key`: it opens that mail once a worker has rendered it. */
export const owedMailPath = (key: string) => `/admin/outbox/owed/${encodeURIComponent(key)}`;

/**
 * Which view a path shows, and which mail is open: /admin/outbox/5 opens mail 5,
 * /admin/outbox/owed/KEY the mail owed under KEY (an invitation's), once it is rendered.
 */
function viewOf(path: string): { tab: Tab; openId: number | null; owedKey: string | null } {
  const tab = TABS.find((t) => t.id !== 'mails' && path === t.path);
  if (tab) return { tab: tab.id, openId: null, owedKey: null };
  const owed = /^\/admin\/outbox\/owed\/(.+)$/.exec(path);
  if (owed) {
    try {
      return { tab: 'mails', openId: null, owedKey: decodeURIComponent(owed[1] as string) };
    } catch {
      return { tab: 'mails', openId: null, owedKey: owed[1] as string };
    }
  }
  const match = /^\/admin\/outbox\/(\d+)$/.exec(path);
  return { tab: 'mails', openId: match ? Number(match[1]) : null, owedKey: null };
}

/** How long the search waits for the typing to stop before it asks the server. */
const SEARCH_DELAY_MS = 300;

type BatchResult = { id: number; ok: true; state: string } | { id: number; ok: false; error: { code: string; message: string } };

/**
 * Admin → Outbox: how many mails are in each state (each count filters the list), the mails
 * (searched by recipient or subject, newest first, several selected to retry or cancel), one
 * mail at a URL of its own with every attempt and server reply, and beside it the captured
 * mails and the test mails.
 */
export function OutboxPage() {
  const { t } = useI18n();
  const { tab, openId, owedKey } = viewOf(usePath());
  const [capture, setCapture] = useState(false);
  useEffect(() => {
    api<{ settings: SettingView[] }>('GET', '/settings/mail')
      .then((r) => setCapture(r.settings.find((s) => s.key === 'mail_smtpmode')?.value === 'capture'))
      .catch(() => undefined);
  }, []);
  const onTabKey = (event: KeyboardEvent) => {
    const index = TABS.findIndex((x) => x.id === tab);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length] as (typeof TABS)[number];
    navigate(next.path);
    queueMicrotask(() => document.getElementById(`outbox-tab-${next.id}`)?.focus());
  };

  return (
    <>
      <PageTitle>{t('outboxTitle')}</PageTitle>
      {capture && <p class="intro">{t('captureIntro')}</p>}
      <div role="tablist" aria-label={t('outboxViews')} class="tabs" id="outbox-tabs" onKeyDown={onTabKey}>
        {TABS.map((x) => (
          <a
            key={x.id}
            href={x.path}
            role="tab"
            id={`outbox-tab-${x.id}`}
            aria-selected={tab === x.id}
            aria-controls={`outbox-panel-${x.id}`}
            tabIndex={tab === x.id ? 0 : -1}
            onClick={onLinkClick}
          >
            {t(x.label)}
          </a>
        ))}
      </div>
      <div role="tabpanel" id={`outbox-panel-${tab}`} aria-labelledby={`outbox-tab-${tab}`}>
        {tab === 'mails' && owedKey !== null && <OwedMail key={owedKey} mailKey={owedKey} />}
        {tab === 'mails' && <OutboxMails openId={openId} />}
        {tab === 'captured' && <CapturedInbox />}
        {tab === 'tests' && <TestMails />}
      </div>
    </>
  );
}

/** The outbox itself: counts, owed mails, the list, and the open mail. */
function OutboxMails(props: { openId: number | null }) {
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
  const confirmRetryAll = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (retryAll?.kind === 'confirm') confirmRetryAll.current?.focus();
  }, [retryAll?.kind]);
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
        <div id="outbox-retry-all-confirm" class="notice info tpl-confirm" role="group" aria-labelledby="outbox-retry-all-question">
          <p id="outbox-retry-all-question">{t('outboxRetryAllQuestion', { count: fmt.number(failedCount) })}</p>
          <div class="actions">
            <button type="button" class="primary" ref={confirmRetryAll} onClick={() => void doRetryAll()}>
              {t('outboxRetryAllYes')}
            </button>
            <button type="button" onClick={() => setRetryAll(null)}>
              {t('cancel')}
            </button>
          </div>
        </div>
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

      <div aria-live="polite" id="outbox-status">
        {error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}
      </div>
      {mails === null && !error && <p>{t('loading')}</p>}
      {mails && mails.length === 0 && <p class="empty">{t('outboxEmpty')}</p>}
      {mails && mails.length > 0 && (
        <div class="table-wrap">
          <table class="list labelled" id="outbox-list">
            <caption class="visually-hidden">{t('outboxListCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">
                  <input type="checkbox" id="outbox-select-all" aria-label={t('outboxSelectAll')} checked={allShown} onChange={(e) => setSelected(e.currentTarget.checked ? new Set(mails.map((m) => m.id)) : new Set())} />
                </th>
                <th scope="col">{t('outboxNumber')}</th>
                <th scope="col">{t('outboxState')}</th>
                <th scope="col">{t('outboxTo')}</th>
                <th scope="col">{t('outboxSubject')}</th>
                <th scope="col">{t('outboxAttempts')}</th>
                <th scope="col">{t('outboxUpdated')}</th>
              </tr>
            </thead>
            <tbody>
              {mails.map((m) => (
                <tr key={m.id} data-id={m.id} data-state={m.state} aria-current={openId === m.id ? 'true' : undefined}>
                  <td class="select">
                    <input type="checkbox" class="select" aria-label={t('outboxSelect', { id: m.id })} checked={selected.has(m.id)} onChange={(e) => toggle(m.id, e.currentTarget.checked)} />
                  </td>
                  <td data-label={t('outboxNumber')}>#{m.id}</td>
                  <td data-label={t('outboxState')}>
                    <StateBadge state={m.state} />
                    {m.state === 'queued' && m.attempts > 0 && <span class="hint next-attempt">
                        {t('outboxNextAttempt')}: {fmt.time(m.nextAttemptAt)}
                      </span>}
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
            </tbody>
          </table>
        </div>
      )}
      {mails && next !== null && (
        <p>
          <button type="button" id="outbox-more" disabled={busy} onClick={() => void load(next)}>
            {t('outboxMore')}
          </button>
        </p>
      )}

      {openId !== null && <MailDetails key={openId} id={openId} refreshes={refreshes} onClose={close} onChanged={() => load()} />}
    </>
  );
}

/** "Retry selected" and "Cancel selected", each after a confirmation, answered per mail. */
function SelectionActions(props: { selected: ReadonlySet<number>; onDone(): Promise<void> }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [step, setStep] = useState<{ kind: 'confirm'; action: 'retry' | 'cancel' } | { kind: 'busy' } | { kind: 'done'; results: BatchResult[] } | { kind: 'error'; message: string } | null>(null);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (step?.kind === 'confirm') yes.current?.focus();
  }, [step?.kind]);
  const count = props.selected.size;
  const run = async (action: 'retry' | 'cancel') => {
    setStep({ kind: 'busy' });
    try {
      const r = await api<{ results: BatchResult[] }>('POST', `/outbox/${action}`, { ids: [...props.selected] });
      setStep({ kind: 'done', results: r.results });
      await props.onDone();
    } catch (e) {
      setStep({ kind: 'error', message: errorText(e) });
    }
  };
  return (
    <>
      {count > 0 && step?.kind !== 'confirm' && (
        <div class="toolbar selection" id="outbox-selection">
          <p class="selected-count">{t('outboxSelected', { count: fmt.number(count) })}</p>
          <button type="button" id="outbox-retry-selected" disabled={step?.kind === 'busy'} onClick={() => setStep({ kind: 'confirm', action: 'retry' })}>
            {t('outboxRetrySelected')}
          </button>
          <button type="button" id="outbox-cancel-selected" disabled={step?.kind === 'busy'} onClick={() => setStep({ kind: 'confirm', action: 'cancel' })}>
            {t('outboxCancelSelected')}
          </button>
        </div>
      )}
      {step?.kind === 'confirm' && (
        <div id="outbox-selected-confirm" class="notice info tpl-confirm" role="group" aria-labelledby="outbox-selected-question">
          <p id="outbox-selected-question">{t(step.action === 'retry' ? 'outboxRetrySelectedQuestion' : 'outboxCancelSelectedQuestion', { count: fmt.number(count) })}</p>
          <div class="actions">
            <button type="button" class="primary" id="outbox-selected-yes" ref={yes} onClick={() => void run(step.action)}>
              {t('outboxSelectedYes')}
            </button>
            <button type="button" onClick={() => setStep(null)}>
              {t('cancel')}
            </button>
          </div>
        </div>
      )}
      <div aria-live="polite" id="outbox-selected-status">
        {step?.kind === 'done' && (
          <Notice kind={step.results.every((r) => r.ok) ? 'ok' : 'error'}>
            {t('outboxBatchDone', { ok: fmt.number(step.results.filter((r) => r.ok).length), count: fmt.number(step.results.length) })}
            {step.results.some((r) => !r.ok) && (
              <ul class="batch-refusals">
                {step.results.map((r) => (r.ok ? null : <li key={r.id}>{localizedErrorMessage(r.error.code, r.error.message)}</li>))}
              </ul>
            )}
          </Notice>
        )}
        {step?.kind === 'error' && <Notice kind="error">{t('errorGeneric', { message: step.message })}</Notice>}
      </div>
    </>
  );
}

/**
 * The mails requests owe before they reach the outbox (rendered by a worker), shown only while
 * there are some: how many wait, and each one a template could not render, with its code and a
 * way to render them again once the template is fixed. Without this a mail that never rendered
 * would be on no list of this page.
 */
function OwedMails(props: { refreshes: number }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [view, setView] = useState<OwedView | null>(null);
  const [retry, setRetry] = useState<{ kind: 'busy' } | { kind: 'done'; requeued: number } | { kind: 'error'; message: string } | null>(null);
  const load = async () => {
    try {
      setView(await api<OwedView>('GET', '/outbox/owed'));
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
          <div class="table-wrap">
            <table class="list labelled" id="owed-failed-list">
              <caption class="visually-hidden">{t('owedFailedCaption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('outboxNumber')}</th>
                  <th scope="col">{t('owedKind')}</th>
                  <th scope="col">{t('owedError')}</th>
                  <th scope="col">{t('outboxUpdated')}</th>
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
          </div>
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

/** One mail of the outbox: what it is, every attempt with the server's reply verbatim, its headers and parts. */
/** GET /api/v1/outbox/owed/:key (src/outbox/outbox-service.ts owedByKey). */
type OwedWhereabouts = { key: string; state: 'owed' } | { key: string; state: 'failed'; error: { code: string; message: string } } | { key: string; state: 'queued'; id: number };

/** How often a page waiting for an owed mail asks whether it is rendered. */
const OWED_POLL_MS = 2000;

/**
 * The mail a request owed under a key (the link of "Invitation queued"): requests never wait for
 * rendering, so the mail may not exist yet. Until it does, this says so and asks again; then the
 * address becomes the mail's own (/admin/outbox/ID) and the mail opens.
 */
function OwedMail(props: { mailKey: string }) {
  const { t } = useI18n();
  const [found, setFound] = useState<OwedWhereabouts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [unknown, setUnknown] = useState(false);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const r = await api<OwedWhereabouts>('GET', `/outbox/owed/${encodeURIComponent(props.mailKey)}`);
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

function MailDetails(props: { id: number; refreshes: number; onClose(): void; onChanged(): Promise<void> }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mail, setMail] = useState<OutboxDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [retry, setRetry] = useState<{ kind: 'busy' } | { kind: 'ok' } | { kind: 'sent-now' } | { kind: 'error'; message: string } | null>(null);
  const [cancel, setCancel] = useState<{ kind: 'confirm' } | { kind: 'busy' } | { kind: 'ok' } | { kind: 'error'; message: string } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const confirmCancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (cancel?.kind === 'confirm') confirmCancel.current?.focus();
  }, [cancel?.kind]);

  const load = async () => {
    try {
      setMail(await api<OutboxDetail>('GET', `/outbox/${props.id}`));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    void load();
    heading.current?.focus();
  }, []);
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
      <div class="details-head">
        <h2 id="mail-details-title" tabIndex={-1} ref={heading}>
          {t('outboxDetails', { id: props.id })}
        </h2>
        <button type="button" class="close" onClick={props.onClose}>
          {t('close')}
        </button>
      </div>
      {error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}
      {!mail && !error && <p>{t('loading')}</p>}
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
            <div id="mail-cancel-confirm" class="notice info tpl-confirm" role="group" aria-labelledby="mail-cancel-question">
              <p id="mail-cancel-question">{t('outboxCancelQuestion', { id: props.id })}</p>
              <div class="actions">
                <button type="button" class="primary" id="mail-cancel-yes" ref={confirmCancel} onClick={() => void doCancel()}>
                  {t('outboxCancelYes')}
                </button>
                <button type="button" onClick={() => setCancel(null)}>
                  {t('outboxCancelNo')}
                </button>
              </div>
            </div>
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

/** The headers (unfolded, encoded words decoded) and the parts of a message; HTML in a sandboxed frame. */
function MessageView(props: { headers: MessageHeader[]; parts: MessagePart[]; idPrefix: string; level: 3 | 4 }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const Heading = props.level === 3 ? 'h3' : 'h4';
  const PartHeading = props.level === 3 ? 'h4' : 'h5';
  return (
    <>
      <Heading id={`${props.idPrefix}-headers-title`}>{t('outboxHeaders')}</Heading>
      <div class="table-wrap">
        <table class="headers" id={`${props.idPrefix}-headers`} aria-labelledby={`${props.idPrefix}-headers-title`}>
          <tbody>
            {props.headers.map((h, i) => (
              <tr key={`${h.name}-${i}`}>
                <th scope="row">{h.name}</th>
                <td>
                  {h.decoded ?? h.value}
                  {h.decoded !== undefined && (
                    <span class="hint raw-header">
                      {t('mailHeaderRaw')}: <code>{h.value}</code>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <Heading>{t('outboxParts')}</Heading>
      {props.parts.length === 0 && <p>{t('mailNoParts')}</p>}
      <div id={`${props.idPrefix}-parts`}>
        {props.parts.map((p, i) => (
          <section class="mail-part" key={i} data-type={p.contentType} aria-labelledby={`${props.idPrefix}-part-${i}`}>
            <PartHeading id={`${props.idPrefix}-part-${i}`}>{t('mailPart', { n: i + 1, type: p.contentType })}</PartHeading>
            <p class="hint part-meta">
              {[p.charset, p.transferEncoding, t('mailBytes', { n: fmt.number(p.size) })].filter(Boolean).join(' · ')}
            </p>
            {p.text !== undefined && <pre class="mail-text">{p.text}</pre>}
            {p.html !== undefined && (
              <>
                <iframe class="mail-html" sandbox="" srcdoc={p.html} title={t('mailHtmlFrame')} referrerpolicy="no-referrer" />
                <details class="html-source">
                  <summary>{t('mailHtmlSource')}</summary>
                  <pre>{p.html}</pre>
                </details>
              </>
            )}
          </section>
        ))}
      </div>
    </>
  );
}

/** Mode `capture`: the mails Mailroom kept instead of sending them. */
function CapturedInbox() {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mails, setMails] = useState<CapturedSummary[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (before?: number) => {
    setBusy(true);
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (before !== undefined) query.set('before', String(before));
      const r = await api<{ mails: CapturedSummary[] }>('GET', `/captured?${query}`);
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
  const [mail, setMail] = useState<CapturedDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    api<CapturedDetail>('GET', `/captured/${props.id}`)
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

/** The test mails: sent to the server at once, not through the outbox; each with the answer it got. */
function TestMails() {
  const { t } = useI18n();
  const fmt = useFormat();
  const [mails, setMails] = useState<TestMail[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = async (before?: number) => {
    setBusy(true);
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (before !== undefined) query.set('before', String(before));
      const r = await api<{ mails: TestMail[] }>('GET', `/test-mails?${query}`);
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
