import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { localizedErrorMessage, type DiagnosisFix, type TestMailReport } from './api.ts';
import { useI18n, type MessageKey, type Translate } from './i18n.ts';
import { onLinkClick } from './router.ts';

export function Link(props: { href: string; children: ComponentChildren; current?: boolean; class?: string }) {
  return (
    <a href={props.href} onClick={onLinkClick} class={props.class} aria-current={props.current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}

/** A page's heading; it takes the focus when the page opens, so screen readers announce it. */
export function PageTitle(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
    document.title = `${ref.current?.textContent ?? ''} · Mailroom`;
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {props.children}
    </h1>
  );
}

/** `unsaved`: a choice browsed with the keyboard, saved only on Enter or when the field is left. */
export type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'unsaved' } | { kind: 'error'; message: string };

/** "Saving…", "Saved" or the error, next to a field; read out by screen readers as it changes. */
export function SaveStatus(props: { id: string; state: SaveState | undefined }) {
  const { t } = useI18n();
  const s = props.state ?? { kind: 'idle' };
  return (
    <span id={props.id} class={`save-status ${s.kind}`} role={s.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
      {s.kind === 'saving' ? t('saving') : s.kind === 'saved' ? `✓ ${t('saved')}` : s.kind === 'unsaved' ? t('saveOnEnter') : s.kind === 'error' ? s.message : ''}
    </span>
  );
}

export function Notice(props: { kind: 'ok' | 'error' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/**
 * The state of a "send a test mail" form (the settings page's and the templates page's): the
 * address typed, whether a send is under way, and its report or the error of the request.
 */
export function useTestSend(request: (to: string | undefined) => Promise<TestMailReport>) {
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<TestMailReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const clear = () => {
    setReport(null);
    setError(null);
  };
  const send = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    clear();
    try {
      setReport(await request(to.trim() === '' ? undefined : to.trim()));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { to, setTo, busy, report, error, send, clear };
}

/** How the Email server page labels each setting a diagnosis may name. */
const SETTING_LABELS: Readonly<Record<string, MessageKey>> = {
  mail_smtphost: 'fieldServer',
  mail_smtpport: 'fieldPort',
  mail_smtpsecure: 'fieldEncryption',
  mail_smtptls_ca: 'fieldTlsCa',
  mail_smtpauth: 'fieldAuthRequired',
  mail_smtpauthtype: 'fieldAuthMethod',
  mail_smtpname: 'fieldUser',
  mail_smtppassword: 'fieldPassword',
  mail_smtptimeout: 'fieldTimeout',
  mail_from_address: 'fieldFromLocal',
  mail_domain: 'fieldFromDomain',
};

/**
 * A sentence from the server (a finding of Detect settings) in the page's words: a setting's key
 * becomes the field's label with the key after it, and the CLI's "run mail:detect again" the
 * page's button. Keys are stable names, so this replaces exactly what the server meant.
 */
export function inPageWords(text: string, t: Translate): string {
  return text.replace(/run mail:detect again/g, t('detectAgain')).replace(/\bmail_[a-z0-9_]+\b/g, (key) => {
    const label = SETTING_LABELS[key];
    return label ? `“${t(label)}” (${key})` : key;
  });
}

/** A value as the page's own choice names it (Encryption's options), else as it is. */
const VALUE_LABELS: Readonly<Record<string, Readonly<Record<string, MessageKey>>>> = {
  mail_smtpsecure: { '': 'encryption_none', ssl: 'encryption_ssl', tls: 'encryption_tls' },
};

/**
 * What to change, in the page's words: the fields by their labels (the setting's key after it,
 * in brackets), each a button to the field when `goTo` is given (on the Email server page).
 */
function DiagnosisFixLine(props: { fix: DiagnosisFix; goTo?: ((key: string) => void) | undefined }) {
  const { t } = useI18n();
  const field = (key: string) => {
    const label = SETTING_LABELS[key] ? t(SETTING_LABELS[key]) : key;
    return (
      <Fragment key={key}>
        {props.goTo ? (
          <button type="button" class="text-link" onClick={() => props.goTo?.(key)}>
            {label}
          </button>
        ) : (
          <strong>{label}</strong>
        )}{' '}
        <span class="setting-key">({key})</span>
      </Fragment>
    );
  };
  const fields = (keys: readonly string[]) => keys.map((key, i) => [i > 0 ? t('listSeparator') : '', field(key)]);
  const [first, ...rest] = props.fix.settings;
  const to = props.fix.to;
  const valueLabel = to === undefined || first === undefined ? undefined : VALUE_LABELS[first]?.[to];
  const [setBefore, setAfter] = t('fixSet', { value: valueLabel ? t(valueLabel) : (to ?? '') }).split('{field}');
  const [checkBefore, checkAfter] = t('fixCheck').split('{fields}');
  const checked = to !== undefined ? rest : props.fix.settings;
  return (
    <p class="diagnosis-fix">
      {to !== undefined && first !== undefined && (
        <>
          {setBefore}
          {field(first)}
          {setAfter}{' '}
        </>
      )}
      {checked.length > 0 && (
        <>
          {to !== undefined ? t('fixOrCheck').split('{fields}')[0] : checkBefore}
          {fields(checked)}
          {to !== undefined ? t('fixOrCheck').split('{fields}')[1] : checkAfter}{' '}
        </>
      )}
      {props.fix.detect && t('fixDetect')}
    </p>
  );
}

/**
 * A test mail that was not sent: the diagnosis, its code and the server's reply. A diagnosis that
 * names settings is shown as its problem and the fields to change, in the page's words; the
 * setting keys of the CLI's message are for the CLI.
 */
export function TestFailure(props: { report: TestMailReport; goTo?: (key: string) => void }) {
  const { t } = useI18n();
  const error = props.report.error;
  return (
    <Notice kind="error">
      <strong>{t('testFailed')}</strong> <span class="diagnosis">{error && localizedErrorMessage(error.code, error.problem ?? error.message)}</span> <code>{error?.code}</code>
      {error?.fix && <DiagnosisFixLine fix={error.fix} goTo={props.goTo} />}
      {error?.reply && <pre class="reply">{error.reply}</pre>}
    </Notice>
  );
}

/**
 * An email address that wraps, when it must, after its `@` and before its dots (mei.lin@ /
 * example.com), never in the middle of a word nor at a hyphen: each part stays whole
 * (styles.css: `.addr`), with a break opportunity between them.
 */
export function Address(props: { email: string }) {
  const parts = props.email.split(/(?<=@)|(?=\.)/);
  return (
    <span class="addr">
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          <span>{part}</span>
        </Fragment>
      ))}
    </span>
  );
}

/** Keys that move a closed select to another option without opening it. */
const BROWSE_KEYS: ReadonlySet<string> = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown']);

/**
 * A select whose choice is saved as a person means it: at once when picked with the mouse (or
 * from the opened list), but only on Enter or when the field is left when the arrow keys (or
 * typing a letter) moved it, since a closed select changes with every key and passing the send
 * modes on the way to one must not switch the live mode to each (nor passing English on the way
 * to another language switch the page). Escape goes back to the saved one.
 */
export function CommitSelect(props: { field: Record<string, unknown> & { id: string }; saved: string; onCommit: (value: string) => void; onBrowse: (pending: boolean) => void; children: ComponentChildren }) {
  const [browsed, setBrowsed] = useState<string | null>(null);
  // Set while a key is down: the change it causes is a step of browsing, not a choice.
  const keyDown = useRef(false);
  const commit = (v: string) => {
    setBrowsed(null);
    if (v !== props.saved) props.onCommit(v);
    else props.onBrowse(false);
  };
  return (
    <select
      {...props.field}
      value={browsed ?? props.saved}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          if (browsed !== null) {
            e.preventDefault();
            commit(browsed);
          }
        } else if (e.key === 'Escape') {
          if (browsed !== null) {
            e.preventDefault();
            setBrowsed(null);
            props.onBrowse(false);
          }
        } else if ((BROWSE_KEYS.has(e.key) && !e.altKey) || (e.key.length === 1 && e.key !== ' ')) {
          // Alt+↓ and Space open the list instead; a choice made there is a choice.
          keyDown.current = true;
        }
      }}
      onKeyUp={() => {
        keyDown.current = false;
      }}
      onChange={(e) => {
        const v = e.currentTarget.value;
        if (keyDown.current) {
          keyDown.current = false;
          setBrowsed(v === props.saved ? null : v);
          props.onBrowse(v !== props.saved);
        } else {
          commit(v);
        }
      }}
      onMouseDown={() => {
        keyDown.current = false;
      }}
      onBlur={() => {
        keyDown.current = false;
        if (browsed !== null) commit(browsed);
      }}
    >
      {props.children}
    </select>
  );
}

/**
 * A list read from the server, in each of its states: the request's error (in a live region, so
 * it is read out; `statusId` names it for the page's tests), "Loading…" until the first answer,
 * the `empty` text when there is nothing, and else the list itself (`children`, given the items).
 */
export function LoadedList<T>(props: { items: readonly T[] | null; error: string | null; empty: string; statusId?: string; children(items: readonly T[]): ComponentChildren }) {
  const { t } = useI18n();
  const { items, error } = props;
  return (
    <>
      <div aria-live="polite" id={props.statusId}>
        {error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}
      </div>
      {items === null && !error && <p>{t('loading')}</p>}
      {items && items.length === 0 && <p class="empty">{props.empty}</p>}
      {items && items.length > 0 && props.children(items)}
    </>
  );
}

/**
 * A table of records: on a narrow screen each row becomes a card (styles.css: `table.labelled`,
 * each cell labelled by its `data-label`), the caption for screen readers only.
 */
export function ListTable(props: { id: string; caption: string; columns: readonly ComponentChildren[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="list labelled" id={props.id}>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column, i) => (
              <th scope="col" key={i}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** One answer of a ConfirmBox: its words, and what it does. */
export type ConfirmAnswer = { label: string; onClick(): void; id?: string; class?: string; disabled?: boolean };

/**
 * A question asked in place before an action that cannot be taken back (retry or cancel mails,
 * reset or restore a template), with Yes and No. Yes takes the focus when the question appears,
 * so the keyboard answers at once and a screen reader reads the group's question.
 */
export function ConfirmBox(props: { id: string; questionId: string; question: ComponentChildren; yes: ConfirmAnswer; no: ConfirmAnswer }) {
  const yesButton = useRef<HTMLButtonElement>(null);
  useEffect(() => yesButton.current?.focus(), []);
  const { yes, no } = props;
  return (
    <div id={props.id} class="notice info tpl-confirm" role="group" aria-labelledby={props.questionId}>
      <p id={props.questionId}>{props.question}</p>
      <div class="actions">
        <button type="button" id={yes.id} class={yes.class} ref={yesButton} disabled={yes.disabled} onClick={yes.onClick}>
          {yes.label}
        </button>
        <button type="button" id={no.id} class={no.class} disabled={no.disabled} onClick={no.onClick}>
          {no.label}
        </button>
      </div>
    </div>
  );
}
