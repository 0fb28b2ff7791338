import { render, type VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, MAIL_SETTINGS_EVENT, setCsrfToken, setErrorLanguage, whenSignedOut, type SettingView, type User } from './api.ts';
import { Link } from './components.tsx';
import { browserLanguage, chosenLanguage, I18n, isLanguage, loadCatalog, loadingWords, useLanguage, type UiLanguage } from './i18n.ts';
import { mayLeave, navigate, tokenOf, usePath } from './router.ts';
import { Session } from './session.ts';
import { EmailServerPage } from './pages/email-server.tsx';
import { GeneralPage } from './pages/general.tsx';
import { unchosenLinkAddress } from './base-url.ts';
import { ForgotPage, LoginPage, ResetPage } from './pages/sign-in.tsx';
import { ConfirmEmailPage, SetPasswordPage, UndoEmailPage } from './pages/account-links.tsx';
import { TemplatesPage } from './pages/templates/index.tsx';
import { OutboxPage } from './pages/outbox/index.tsx';
import { UsersPage } from './pages/users.tsx';
import { PersonalPage } from './pages/personal.tsx';
import { ActivityPage } from './pages/activity.tsx';
import { NotFoundPage } from './pages/not-found.tsx';

type State = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; user: User };

const adminPages = [
  { path: '/admin/email', key: 'navEmailServer', Page: EmailServerPage },
  { path: '/admin/general', key: 'navGeneral', Page: GeneralPage },
  { path: '/admin/templates', key: 'navTemplates', Page: TemplatesPage },
  { path: '/admin/outbox', key: 'navOutbox', Page: OutboxPage },
  { path: '/admin/users', key: 'navUsers', Page: UsersPage },
] as const;

/** Paths that only lead to another page. */
const REDIRECTS = new Set(['/', '/admin']);

/** Whether a signed-in user has a page at this path (an admin page is one, even for whom it is not open). */
function isAppPage(path: string): boolean {
  return REDIRECTS.has(path) || path === '/personal' || path === '/activity' || adminPages.some((p) => p.path === path);
}

/** The pages open to anyone: sign-in, and those the links in mails lead to. Null for the others. */
function publicPageOf(path: string, signedIn: boolean, onSignedIn: (user: User) => Promise<void>) {
  if (path === '/login') return <LoginPage onSignedIn={onSignedIn} />;
  if (path === '/forgot') return <ForgotPage />;
  const mailLinks: Record<string, (token: string) => VNode> = {
    '/reset/': (token) => <ResetPage token={token} />,
    '/set-password/': (token) => <SetPasswordPage token={token} />,
    '/confirm-email/': (token) => <ConfirmEmailPage token={token} signedIn={signedIn} />,
    '/undo-email/': (token) => <UndoEmailPage token={token} />,
  };
  for (const [prefix, page] of Object.entries(mailLinks)) {
    const token = tokenOf(path, prefix);
    if (token !== null) return page(token);
  }
  return null;
}

/** The language the pages speak to a user: `?hl=` of this tab, else the account's, else the browser's. */
function languageFor(user: User | null): UiLanguage {
  return chosenLanguage() ?? (user !== null && isLanguage(user.language) ? user.language : browserLanguage());
}

function App() {
  const path = usePath();
  const [state, setState] = useState<State>({ kind: 'loading' });
  // The settings the banners are about (capture mode, where links in mails lead), as last loaded or saved.
  const [bannerSettings, setBannerSettings] = useState<SettingView[]>([]);
  const language = languageFor(state.kind === 'signed-in' ? state.user : null);
  // Signing in shows the first page in the account's language at once: its words are fetched
  // before the state changes (a later change of language keeps the page until they are in).
  const signedIn = async (user: User) => {
    await loadCatalog(languageFor(user));
    setState({ kind: 'signed-in', user });
  };
  const i18n = useLanguage(language);
  // Set while rendering, before any page below makes a request.
  if (i18n) setErrorLanguage(i18n.language);

  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
    });
    api<{ user: User; csrf_token: string | null }>('GET', '/session')
      .then((s) => {
        setCsrfToken(s.csrf_token);
        return signedIn(s.user);
      })
      .catch(async () => {
        await loadCatalog(languageFor(null));
        setState({ kind: 'signed-out' });
      });
  }, []);

  const admin = state.kind === 'signed-in' && state.user.admin;
  useEffect(() => {
    // Once per page shown: not for a path that only redirects; a page that reads the settings
    // too (Email server, General, Outbox) asks at the same moment and shares this request (api.ts).
    if (!admin || REDIRECTS.has(path)) return;
    api<{ settings: SettingView[] }>('GET', '/settings/mail')
      .then((r) => setBannerSettings(r.settings))
      .catch(() => undefined);
  }, [admin, path]);
  useEffect(() => {
    // The Email server and General pages say when a setting changed, so the banners do not wait for the next page.
    const update = (event: Event) => setBannerSettings((event as CustomEvent<SettingView[]>).detail);
    window.addEventListener(MAIL_SETTINGS_EVENT, update);
    return () => window.removeEventListener(MAIL_SETTINGS_EVENT, update);
  }, []);

  // Until the session and the language's words are in: "Loading…" in the browser's language if
  // those words are in already, else in English.
  if (state.kind === 'loading' || i18n === null) return <p class="loading">{loadingWords()}</p>;
  const { t } = i18n;

  const publicPage = publicPageOf(path, state.kind === 'signed-in', signedIn);
  if (publicPage) {
    return (
      <I18n.Provider value={i18n}>
        <main id="content" class="narrow" key={path}>
          {publicPage}
        </main>
      </I18n.Provider>
    );
  }
  if (state.kind === 'signed-out') {
    if (!isAppPage(path)) {
      return (
        <I18n.Provider value={i18n}>
          <main id="content" class="narrow" key={path}>
            <NotFoundPage path={path} signedIn={false} />
          </main>
        </I18n.Provider>
      );
    }
    queueMicrotask(() => navigate(`/login?next=${encodeURIComponent(location.pathname)}`));
    return null;
  }

  const user = state.user;
  const captureMode = bannerSettings.find((s) => s.key === 'mail_smtpmode')?.value === 'capture';
  const linkAddress = unchosenLinkAddress(bannerSettings, location.origin);
  if (path === '/' || path === '/admin') {
    queueMicrotask(() => navigate(user.admin ? '/admin/email' : '/personal'));
    return null;
  }
  // A page's own paths below it, too: /admin/outbox/5 is the Outbox page with mail 5 open.
  const adminPage = adminPages.find((p) => p.path === path || path.startsWith(`${p.path}/`));
  const session = {
    user,
    setUser: (u: User) => setState({ kind: 'signed-in', user: u }),
    signOut: async () => {
      // Asked before signing out: a "no" must keep the session as well as the unsaved changes.
      if (!mayLeave()) return;
      await api('POST', '/logout').catch(() => undefined);
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
      navigate('/login', { asked: true });
    },
  };
  let page;
  if (adminPage) page = user.admin ? <adminPage.Page /> : <p role="alert">{t('notAllowed')}</p>;
  else if (path === '/personal') page = <PersonalPage />;
  else if (path === '/activity') page = <ActivityPage />;
  else page = <NotFoundPage path={path} signedIn />;

  return (
    <I18n.Provider value={i18n}>
      <Session.Provider value={session}>
        <a class="skip" href="#content">
          {t('skipToContent')}
        </a>
        <header class="top">
          <span class="brand">{t('appName')}</span>
          <nav aria-label={t('navMain')}>
            <ul>
              {user.admin &&
                adminPages.map((p) => (
                  <li key={p.path}>
                    <Link href={p.path} current={p === adminPage}>
                      {t(p.key)}
                    </Link>
                  </li>
                ))}
              <li>
                <Link href="/activity" current={path === '/activity'}>
                  {t('navActivity')}
                </Link>
              </li>
              <li>
                <Link href="/personal" current={path === '/personal'}>
                  {t('navPersonal')}
                </Link>
              </li>
              <li>
                <button type="button" class="link" onClick={() => void session.signOut()}>
                  {t('navSignOut')}
                </button>
              </li>
            </ul>
          </nav>
          <span class="who">{t('signedInAs', { name: user.display_name })}</span>
        </header>
        {admin && captureMode && (
          <div class="banner" role="status">
            {t('captureBanner')}
          </div>
        )}
        {admin && linkAddress !== null && (
          <div class="banner" role="status" id="base-url-banner">
            {t('baseUrlBanner', { derived: linkAddress, here: location.origin })} <Link href="/admin/general">{t('baseUrlBannerLink')}</Link>
          </div>
        )}
        {/* A new page starts afresh; a page's own paths (a mail of the outbox) keep what it holds. */}
        <main id="content" key={adminPage?.path ?? path}>
          {page}
        </main>
      </Session.Provider>
    </I18n.Provider>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
