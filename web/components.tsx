import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { localizedErrorMessage, type TestMailReport } from './api.ts';
import { useI18n } from './i18n.ts';
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

/** A test mail that was not sent: the diagnosis, its code and the server's reply. */
export function TestFailure(props: { report: TestMailReport }) {
  const { t } = useI18n();
  return (
    <Notice kind="error">
      <strong>{t('testFailed')}</strong> <span class="diagnosis">{props.report.error && localizedErrorMessage(props.report.error.code, props.report.error.message)}</span> <code>{props.report.error?.code}</code>
      {props.report.error?.reply && <pre class="reply">{props.report.error.reply}</pre>}
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
