import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type User } from '../api.ts';
import { CommitSelect, Notice, PageTitle, SaveStatus, type SaveState } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { useSession } from '../session.ts';
import { useTimeZones } from '../time-zones.ts';
import { useMailLanguages } from '../mail-languages.ts';
import { BounceBanner } from '../bounces.tsx';

const TYPES = ['share.created', 'share.received', 'file.created', 'file.changed', 'file.deleted', 'file.restored', 'comment.created', 'tag.assigned'] as const;
const FREQUENCIES = ['asap', 'hourly', 'daily', 'weekly'] as const;

interface Preferences {
  frequency: (typeof FREQUENCIES)[number];
  own_actions: boolean;
  types: Record<string, { email: boolean; stream: boolean }>;
  timezone: string;
  language: string;
}

/** The preferences with a change applied as the server will apply it (types merge per channel). */
function withChanges(p: Preferences, changes: Record<string, unknown>): Preferences {
  const types = { ...p.types };
  for (const [type, channels] of Object.entries((changes['types'] ?? {}) as Record<string, Partial<Preferences['types'][string]>>)) {
    types[type] = { ...(types[type] ?? { email: true, stream: true }), ...channels };
  }
  return { ...p, ...changes, types } as Preferences;
}

/** `GET|PATCH /me`: the account, and a new address waiting for the link mailed to it. */
interface Me {
  user: User;
  pending_email: string | null;
}

/** The personal page: account, notification choices, and the password. Every change is saved at once. */
export function PersonalPage() {
  const { t } = useI18n();
  const session = useSession();
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [status, setStatus] = useState<Record<string, SaveState>>({});
  const [error, setError] = useState<string | null>(null);
  /** A new address waiting for the link mailed to it. */
  const [pendingEmail, setPendingEmail] = useState<string | null>(null);
  /**
   * What the name field shows instead of the saved name: a name typed and not saved yet, or
   * refused, which stays in its field with the reason until corrected.
   */
  const [typedName, setTypedName] = useState<string | null>(null);

  useEffect(() => {
    api<{ preferences: Preferences }>('GET', '/me/preferences')
      .then((r) => setPrefs(r.preferences))
      .catch((e: Error) => setError(e.message));
    // The address may have changed since sign-in (a link confirmed in another tab). Only then is
    // the account replaced: a choice made meanwhile (the language) must not jump back.
    api<Me>('GET', '/me')
      .then((r) => {
        if (r.user.email !== session.user.email) session.setUser(r.user);
        setPendingEmail(r.pending_email);
      })
      .catch(() => undefined);
  }, []);

  const mark = (key: string, state: SaveState) => setStatus((s) => ({ ...s, [key]: state }));
  /** A list browsed with the keyboard: shown as not saved until Enter or leaving it (CommitSelect). */
  const browsing = (key: string, pending: boolean) => mark(key, pending ? { kind: 'unsaved' } : { kind: 'idle' });

  // Every choice shows at once. Re-rendered with the old value while the server answers, a
  // checkbox or a list would jump back (a slow answer would look like a lost click); when the
  // server refuses, the page shows again what is saved.
  const showSaved = async () => {
    const [me, p] = await Promise.all([api<Me>('GET', '/me'), api<{ preferences: Preferences }>('GET', '/me/preferences')]).catch(() => [undefined, undefined]);
    if (me) {
      session.setUser(me.user);
      setPendingEmail(me.pending_email);
    }
    if (p) setPrefs(p.preferences);
  };
  /** True when saved; when refused, the reason is shown at the field and the account is read again. */
  const saveAccount = async (key: string, changes: Record<string, string | null>): Promise<boolean> => {
    mark(key, { kind: 'saving' });
    session.setUser({ ...session.user, ...changes } as User);
    try {
      const r = await api<Me>('PATCH', '/me', changes);
      session.setUser(r.user);
      setPendingEmail(r.pending_email);
      mark(key, { kind: 'saved' });
      return true;
    } catch (e) {
      mark(key, { kind: 'error', message: (e as ApiError).message });
      await showSaved();
      return false;
    }
  };
  const savePrefs = async (key: string, changes: Record<string, unknown>) => {
    mark(key, { kind: 'saving' });
    setPrefs((p) => p && withChanges(p, changes));
    if ('language' in changes || 'timezone' in changes) session.setUser({ ...session.user, ...(changes as Partial<Pick<User, 'language' | 'timezone'>>) });
    try {
      const r = await api<{ preferences: Preferences }>('PATCH', '/me/preferences', changes);
      setPrefs(r.preferences);
      if ('language' in changes || 'timezone' in changes) session.setUser((await api<{ user: User }>('GET', '/me')).user);
      mark(key, { kind: 'saved' });
    } catch (e) {
      mark(key, { kind: 'error', message: (e as ApiError).message });
      await showSaved();
    }
  };

  const zones = useTimeZones(session.user.timezone);
  const languages = useMailLanguages(session.user.language);
  if (error) return <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>;
  const user = session.user;
  return (
    <>
      <PageTitle>{t('personalTitle')}</PageTitle>
      <BounceBanner email={user.email} />
      <section class="panel" aria-labelledby="account-title">
        <h2 id="account-title">{t('personalAccount')}</h2>
        <div class="field">
          <label for="me-display-name">{t('userDisplayName')}</label>
          <input
            id="me-display-name"
            autocomplete="name"
            value={typedName ?? user.display_name}
            aria-describedby="st-display_name"
            aria-invalid={status.display_name?.kind === 'error' ? true : undefined}
            onInput={(e) => setTypedName(e.currentTarget.value)}
            onBlur={(e) => {
              // Left unchanged: nothing to keep (a change saves first, and a saved one clears it).
              if (e.currentTarget.value === user.display_name && status.display_name?.kind !== 'saving') setTypedName(null);
            }}
            onChange={(e) => {
              const name = e.currentTarget.value;
              setTypedName(name);
              void saveAccount('display_name', { display_name: name }).then((saved) => {
                if (saved) setTypedName(null);
              });
            }}
          />
          <SaveStatus id="st-display_name" state={status.display_name} />
        </div>
        <EmailField
          user={user}
          pendingEmail={pendingEmail}
          onSaved={(r) => {
            session.setUser(r.user);
            setPendingEmail(r.pending_email);
          }}
        />
        <div class="two">
          <div class="field">
            <label for="me-language">{t('userLanguage')}</label>
            <CommitSelect field={{ id: 'me-language', 'aria-describedby': 'st-language' }} saved={user.language} onCommit={(v) => void savePrefs('language', { language: v })} onBrowse={(p) => browsing('language', p)}>
              {languages.map((l) => (
                <option value={l.code} key={l.code} lang={l.code} dir={l.direction}>
                  {l.name}
                </option>
              ))}
            </CommitSelect>
            <SaveStatus id="st-language" state={status.language} />
          </div>
          <div class="field">
            <label for="me-timezone">{t('userTimezone')}</label>
            <CommitSelect field={{ id: 'me-timezone', 'aria-describedby': 'st-timezone' }} saved={user.timezone} onCommit={(v) => void savePrefs('timezone', { timezone: v })} onBrowse={(p) => browsing('timezone', p)}>
              {zones.map((z) => (
                <option value={z} key={z}>
                  {z}
                </option>
              ))}
            </CommitSelect>
            <SaveStatus id="st-timezone" state={status.timezone} />
          </div>
        </div>
      </section>

      {prefs && (
        <section class="panel" aria-labelledby="notifications-title" id="notifications">
          <h2 id="notifications-title">{t('personalNotifications')}</h2>
          <div class="field">
            <label for="me-frequency">{t('personalFrequency')}</label>
            <CommitSelect field={{ id: 'me-frequency', 'aria-describedby': 'st-frequency' }} saved={prefs.frequency} onCommit={(v) => void savePrefs('frequency', { frequency: v })} onBrowse={(p) => browsing('frequency', p)}>
              {FREQUENCIES.map((f) => (
                <option value={f} key={f}>
                  {t(`frequency_${f}` as MessageKey)}
                </option>
              ))}
            </CommitSelect>
            <SaveStatus id="st-frequency" state={status.frequency} />
          </div>
          <div class="field check">
            <input id="me-own-actions" type="checkbox" checked={prefs.own_actions} aria-describedby="st-own_actions" onChange={(e) => void savePrefs('own_actions', { own_actions: e.currentTarget.checked })} />
            <label for="me-own-actions">{t('personalOwnActions')}</label>
            <SaveStatus id="st-own_actions" state={status.own_actions} />
          </div>
          <table class="list prefs labelled">
            <caption class="visually-hidden">{t('personalNotifications')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('personalType')}</th>
                <th scope="col">{t('personalEmail')}</th>
                <th scope="col">{t('personalStream')}</th>
              </tr>
            </thead>
            <tbody>
              {TYPES.map((type) => {
                const label = t(`type_${type.replace('.', '_')}` as MessageKey);
                const p = prefs.types[type] ?? { email: true, stream: true };
                return (
                  <tr key={type} data-type={type}>
                    <th scope="row" id={`type-${type}`}>
                      {label}
                    </th>
                    {(['email', 'stream'] as const).map((channel) => (
                      <td key={channel} data-label={t(channel === 'email' ? 'personalEmail' : 'personalStream')}>
                        <input
                          type="checkbox"
                          id={`pref-${type}-${channel}`}
                          aria-label={`${label}: ${t(channel === 'email' ? 'personalEmail' : 'personalStream')}`}
                          aria-describedby={`st-${type}-${channel}`}
                          checked={p[channel]}
                          onChange={(e) => void savePrefs(`${type}-${channel}`, { types: { [type]: { [channel]: e.currentTarget.checked } } })}
                        />
                        <SaveStatus id={`st-${type}-${channel}`} state={status[`${type}-${channel}`]} />
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}

      <PasswordChange />
    </>
  );
}

/**
 * A new address needs the current password (it would receive password resets), and takes effect
 * only when the link mailed to it is opened: until then the page shows it as waiting. Removing
 * the address is saved at once.
 */
function EmailField(props: { user: User; pendingEmail: string | null; onSaved(me: Me): void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState(props.user.email ?? '');
  const [password, setPassword] = useState('');
  const [state, setState] = useState<SaveState>({ kind: 'idle' });
  // The saved address changed under the field (loaded again, confirmed elsewhere): show it.
  useEffect(() => setEmail(props.user.email ?? ''), [props.user.email]);
  const changed = email.trim() !== (props.user.email ?? '');
  const save = async (event: Event) => {
    event.preventDefault();
    setState({ kind: 'saving' });
    try {
      const r = await api<Me>('PATCH', '/me', { email: email.trim() === '' ? null : email.trim(), current_password: password });
      props.onSaved(r);
      setPassword('');
      // A new address is not saved yet: the line below says where the link went.
      setEmail(r.user.email ?? '');
      setState(r.user.email === (email.trim() === '' ? null : email.trim()) ? { kind: 'saved' } : { kind: 'idle' });
    } catch (e) {
      setState({ kind: 'error', message: (e as ApiError).message });
    }
  };
  return (
    <form onSubmit={save}>
      <div class="field">
        <label for="me-email">{t('userEmail')}</label>
        <input id="me-email" type="email" autocomplete="email" value={email} aria-describedby="me-email-pending st-email" onInput={(e) => setEmail(e.currentTarget.value)} />
        <p class="pending-email" id="me-email-pending" role="status">
          {props.pendingEmail && t('personalEmailPending', { email: props.pendingEmail })}
        </p>
      </div>
      {changed && (
        <div class="field">
          <label for="me-email-password">{t('personalCurrentPassword')}</label>
          <input id="me-email-password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          <button type="submit" class="primary">
            {t('save')}
          </button>
        </div>
      )}
      <SaveStatus id="st-email" state={state} />
    </form>
  );
}

function PasswordChange() {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  // The line about the last try is over once the fields are typed again.
  const typed = (set: (value: string) => void, value: string) => {
    set(value);
    setResult(null);
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setResult(null);
    try {
      await api('PATCH', '/me', { password: next, current_password: current });
      setCurrent('');
      setNext('');
      setResult({ kind: 'ok', text: t('personalPasswordChanged') });
    } catch (e) {
      setResult({ kind: 'error', text: (e as ApiError).message });
    }
  };
  return (
    <section class="panel" aria-labelledby="password-title">
      <h2 id="password-title">{t('personalPassword')}</h2>
      <form onSubmit={submit}>
        <div class="two">
          <div class="field">
            <label for="me-current-password">{t('personalCurrentPassword')}</label>
            <input id="me-current-password" type="password" autocomplete="current-password" required value={current} onInput={(e) => typed(setCurrent, e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="me-new-password">{t('personalNewPassword')}</label>
            <input id="me-new-password" type="password" autocomplete="new-password" required minLength={10} aria-describedby="me-password-hint" value={next} onInput={(e) => typed(setNext, e.currentTarget.value)} />
            <p class="hint" id="me-password-hint">
              {t('passwordHint')}
            </p>
          </div>
        </div>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
        <button type="submit" class="primary">
          {t('personalPassword')}
        </button>
      </form>
    </section>
  );
}
