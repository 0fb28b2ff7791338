import { useState } from 'preact/hooks';
import { api, type ApiError, setCsrfToken, type LinkHolder, type User } from '../api.ts';
import { Link, Notice, PageTitle } from '../components.tsx';
import { useI18n } from '../i18n.ts';
import { navigate } from '../router.ts';
import { InLanguage, LinkAccount, LinkLoading, LinkRefused, RESET_OR_SIGN_IN, useLinkCheck } from './link-check.tsx';

const retryAfter = (error: ApiError) => Number(error.details?.retry_after ?? 60);

export function LoginPage(props: { onSignedIn(user: User): Promise<void> }) {
  const { t } = useI18n();
  // `/login?user=mei`: the page that set the password sends its user here with the name filled in.
  const [login, setLogin] = useState(() => new URLSearchParams(location.search).get('user') ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ user: User; csrf_token: string }>('POST', '/login', { user: login, password });
      setCsrfToken(r.csrf_token);
      // Waits for the words of the account's language, so that the next page comes in it.
      await props.onSignedIn(r.user);
      const next = new URLSearchParams(location.search).get('next');
      navigate(next?.startsWith('/') && !next.startsWith('//') && next !== '/login' ? next : '/');
    } catch (e) {
      const err = e as ApiError;
      setError(err.code === 'rate_limited' ? t('loginLocked', { seconds: retryAfter(err) }) : err.code === 'login_failed' ? t('loginFailed') : t('errorGeneric', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card">
      <PageTitle>{t('loginTitle')}</PageTitle>
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="login-user">{t('loginUser')}</label>
          <input id="login-user" name="username" autocomplete="username" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="login-password">{t('loginPassword')}</label>
          <input id="login-password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </div>
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" class="primary" disabled={busy}>
          {t('loginSubmit')}
        </button>
      </form>
      <p>
        <Link href="/forgot">{t('loginForgot')}</Link>
      </p>
    </section>
  );
}

export function ForgotPage() {
  const { t } = useI18n();
  const [login, setLogin] = useState('');
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api('POST', '/password-reset', { user: login });
      setResult({ kind: 'ok', text: t('forgotSent') });
    } catch (e) {
      const err = e as ApiError;
      setResult({ kind: 'error', text: err.code === 'rate_limited' ? t('forgotTooMany', { seconds: retryAfter(err) }) : t('errorGeneric', { message: err.message }) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card">
      <PageTitle>{t('forgotTitle')}</PageTitle>
      <p>{t('forgotIntro')}</p>
      <form onSubmit={submit}>
        <div class="field">
          <label for="forgot-user">{t('loginUser')}</label>
          <input
            id="forgot-user"
            autocomplete="username"
            required
            value={login}
            onInput={(e) => {
              setLogin(e.currentTarget.value);
              setResult(null);
            }}
          />
        </div>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
        <button type="submit" class="primary" disabled={busy || login.trim() === ''}>
          {t('forgotSubmit')}
        </button>
      </form>
      <p>
        <Link href="/login">{t('backToLogin')}</Link>
      </p>
    </section>
  );
}

/** `/reset/{token}`: checks the link first, names its account, and speaks the account's language. */
export function ResetPage(props: { token: string }) {
  const check = useLinkCheck('/password-reset/', props.token, ['reset_token_invalid']);
  if (check.kind === 'checking') return <LinkLoading />;
  if (check.kind !== 'valid') {
    return <LinkRefused check={check} title="resetTitle" invalid="resetLinkInvalid" hint="resetLinkAgain" next={RESET_OR_SIGN_IN} />;
  }
  return (
    <InLanguage language={check.holder.language}>
      <ResetForm token={props.token} holder={check.holder} />
    </InLanguage>
  );
}

function ResetForm(props: { token: string; holder: LinkHolder }) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (password !== repeat) return setResult({ kind: 'error', text: t('resetMismatch') });
    setBusy(true);
    setResult(null);
    try {
      await api('POST', '/password-reset/confirm', { token: props.token, password });
      setResult({ kind: 'ok', text: t('resetDone') });
    } catch (e) {
      const err = e as ApiError;
      const known = { reset_token_invalid: t('resetInvalid'), reset_token_expired: t('resetExpired'), reset_token_used: t('resetUsed') } as Record<string, string>;
      setResult({ kind: 'error', text: known[err.code] ?? err.message });
    } finally {
      setBusy(false);
    }
  };
  // A message about the last try is over once the passwords are typed again.
  const typed = (set: (v: string) => void) => (e: Event) => {
    set((e.currentTarget as HTMLInputElement).value);
    if (result?.kind === 'error') setResult(null);
  };

  return (
    <section class="card">
      <PageTitle>{t('resetTitle')}</PageTitle>
      <LinkAccount holder={props.holder} />
      {result?.kind === 'ok' ? (
        <>
          <Notice kind="ok">{result.text}</Notice>
          <p>
            <Link href={`/login?user=${encodeURIComponent(props.holder.uid)}`}>{t('backToLogin')}</Link>
          </p>
        </>
      ) : (
        <form onSubmit={submit}>
          {/* For password managers: the account the new password belongs to. */}
          <input type="text" name="username" autocomplete="username" value={props.holder.uid} readOnly hidden />
          <div class="field">
            <label for="reset-password">{t('resetNewPassword')}</label>
            <input id="reset-password" type="password" autocomplete="new-password" required minLength={10} aria-describedby="reset-hint" value={password} onInput={typed(setPassword)} />
            <p class="hint" id="reset-hint">
              {t('passwordHint')}
            </p>
          </div>
          <div class="field">
            <label for="reset-repeat">{t('resetRepeat')}</label>
            <input id="reset-repeat" type="password" autocomplete="new-password" required value={repeat} onInput={typed(setRepeat)} />
          </div>
          {result && <Notice kind="error">{result.text}</Notice>}
          <button type="submit" class="primary" disabled={busy}>
            {t('resetSubmit')}
          </button>
          <p>
            <Link href="/forgot">{t('forgotTitle')}</Link>
          </p>
        </form>
      )}
    </section>
  );
}
