import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setErrorLanguage, type LinkHolder } from '../api.ts';
import { Link, Notice, PageTitle } from '../components.tsx';
import { I18n, isLanguage, useI18n, useLanguage, type MessageKey } from '../i18n.ts';

/**
 * What the pages of mailed links (reset, set password, confirm or undo an address) do first: ask
 * the server whom the token is for. A link that does not work is said so before any form is
 * shown; a valid one names its account and the page speaks the account's language.
 */
export type LinkCheck = { kind: 'checking' } | { kind: 'valid'; holder: LinkHolder } | { kind: 'invalid' } | { kind: 'failed'; message: string };

/** `path`: the check's route without the token (`/password-reset/`); `invalidCodes`: the codes that mean "this link does not work". */
export function useLinkCheck(path: string, token: string, invalidCodes: readonly string[]): LinkCheck {
  const [state, setState] = useState<LinkCheck>(token === '' ? { kind: 'invalid' } : { kind: 'checking' });
  useEffect(() => {
    if (token === '') return undefined;
    let current = true;
    api<Record<string, LinkHolder>>('GET', `${path}${encodeURIComponent(token)}`)
      .then((r) => {
        const holder = Object.values(r)[0];
        if (current) setState(holder ? { kind: 'valid', holder } : { kind: 'invalid' });
      })
      .catch((e: unknown) => {
        if (!current) return;
        // A token longer than the server takes is refused as a bad request: to the reader, a bad link.
        if (e instanceof ApiError && (invalidCodes.includes(e.code) || e.code === 'invalid_request' || e.code === 'not_found')) setState({ kind: 'invalid' });
        else setState({ kind: 'failed', message: (e as Error).message });
      });
    return () => {
      current = false;
    };
  }, [path, token]);
  return state;
}

/** What a mailed link's page shows while its token is checked or the account's language loads. */
export function LinkLoading() {
  const { t } = useI18n();
  return <p class="loading">{t('loading')}</p>;
}

/** The page below in the account's language (the link's holder), whatever the browser prefers. */
export function InLanguage(props: { language: string; children: ComponentChildren }) {
  const outer = useI18n();
  const value = useLanguage(isLanguage(props.language) ? props.language : outer.language);
  if (value === null) return <LinkLoading />;
  setErrorLanguage(value.language);
  return <I18n.Provider value={value}>{props.children}</I18n.Provider>;
}

/** "For the account Mei Lin (m•••@example.com)." */
export function LinkAccount(props: { holder: LinkHolder }) {
  const { t } = useI18n();
  return (
    <p class="link-account" id="link-account">
      {t('linkForAccount', { name: props.holder.display_name, email: props.holder.email })}
    </p>
  );
}

/** A link that does not work, or a check that failed: what to do next. */
export function LinkRefused(props: { check: Extract<LinkCheck, { kind: 'invalid' | 'failed' }>; title: MessageKey; invalid: MessageKey; hint: MessageKey; next: readonly NextLink[] }) {
  const { t } = useI18n();
  return (
    <section class="card">
      <PageTitle>{t(props.check.kind === 'invalid' ? 'linkInvalidTitle' : props.title)}</PageTitle>
      {props.check.kind === 'failed' ? (
        <Notice kind="error">{t('errorGeneric', { message: props.check.message })}</Notice>
      ) : (
        <>
          <Notice kind="error">{t(props.invalid)}</Notice>
          <p>{t(props.hint)}</p>
        </>
      )}
      <NextLinks next={props.next} />
    </section>
  );
}

/** A page the reader of a mailed link may go to next, and the words of its link. */
export type NextLink = { href: string; label: MessageKey };

/** After a refused reset link or address-undo link: ask for a new reset link, or sign in. */
export const RESET_OR_SIGN_IN: readonly NextLink[] = [
  { href: '/forgot', label: 'forgotTitle' },
  { href: '/login', label: 'goToSignIn' },
];

/** Where the reader of a mailed link may go next (sign in, the start page). */
export function NextLinks(props: { next: readonly NextLink[] }) {
  const { t } = useI18n();
  return (
    <ul class="link-next">
      {props.next.map((n) => (
        <li key={n.href}>
          <Link href={n.href}>{t(n.label)}</Link>
        </li>
      ))}
    </ul>
  );
}
