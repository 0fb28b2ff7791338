import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
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

export type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; message: string };

/** "Saving…", "Saved" or the error, next to a field; read out by screen readers as it changes. */
export function SaveStatus(props: { id: string; state: SaveState | undefined }) {
  const { t } = useI18n();
  const s = props.state ?? { kind: 'idle' };
  return (
    <span id={props.id} class={`save-status ${s.kind}`} role={s.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
      {s.kind === 'saving' ? t('saving') : s.kind === 'saved' ? `✓ ${t('saved')}` : s.kind === 'error' ? s.message : ''}
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
