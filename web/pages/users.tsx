import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type InvitationSent, type User } from '../api.ts';
import { BounceFlag, useBounceScores } from '../bounces.tsx';
import { Address, Link, ListTable, Notice, PageTitle } from '../components.tsx';
import { useI18n, type MessageKey, type Translate } from '../i18n.ts';
import { useSession } from '../session.ts';
import { useTimeZones } from '../time-zones.ts';
import { languageName, useMailLanguages } from '../mail-languages.ts';
import { owedMailPath } from './outbox/index.tsx';

type Field = 'uid' | 'display_name' | 'email' | 'language' | 'timezone' | 'admin' | 'password';
type Errors = Partial<Record<Field, string>>;

interface Values {
  uid: string;
  display_name: string;
  email: string;
  language: string;
  timezone: string;
  admin: boolean;
  password: string;
}

/** Invited and not yet in: an address, no password chosen, not disabled (the server refuses to invite a disabled user). */
/** What `POST /users` answers: the user, and the invitation mailed or why it could not be. */
type AddedUser = User & { invitation?: InvitationSent; invitation_error?: { code: string; message: string } };

const invitationPending = (u: User) => u.email !== null && !u.password_set && !u.disabled;

/** A result line, written in the language in force when it is shown (one's own language may just have changed). */
type Result = { kind: 'ok' | 'error'; text: (t: Translate) => string /** An invitation was owed: its key, for the link that opens its mail in the Outbox. */; mailKey?: string } | null;

/** An error of the API as a message next to the field it is about, or for the whole form. */
function explain(e: unknown, t: Translate, language: string): { field?: Field; message: string } {
  if (!(e instanceof ApiError)) return { message: t('errorGeneric', { message: String(e) }) };
  // The server's English reasons are specific ("it has more than one @"); other languages get ours.
  const specific = language === 'en';
  switch (e.code) {
    case 'user_exists':
      return { field: 'uid', message: t('userExists') };
    case 'invalid_address':
      return { field: 'email', message: specific ? e.message : t('userInvalidEmail') };
    case 'invalid_timezone':
      return { field: 'timezone', message: t('userInvalidTimezone') };
    case 'password_too_weak':
      return { field: 'password', message: specific ? e.message : t('userWeakPassword') };
    case 'invalid_request': {
      const field = /^(\w+):/.exec(e.message)?.[1];
      if (field === 'uid') return { field, message: t('userInvalidUid') };
      if (field === 'display_name') return { field, message: t('userInvalidDisplayName') };
      if (field === 'email') return { field, message: t('userInvalidEmail') };
      if (field === 'timezone') return { field, message: t('userInvalidTimezone') };
      if (field === 'password') return { field, message: t('userWeakPassword') };
      return { message: t('errorGeneric', { message: e.message }) };
    }
    default:
      return { message: t('errorGeneric', { message: e.message }) };
  }
}

/** The same rule as the API's `?search=`: every word in the uid, the name or the address, in any case. */
function matches(u: User, search: string): boolean {
  const words = search.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const haystack = `${u.uid}\n${u.display_name}\n${u.email ?? ''}`.toLocaleLowerCase();
  return words.every((w) => haystack.includes(w));
}

/**
 * Admin → Users: everyone with their language, time zone and role; add one, change one, disable
 * or enable one. The API's refusals land next to the field they are about.
 */
export function UsersPage() {
  const { t } = useI18n();
  const { user: me, setUser } = useSession();
  const languages = useMailLanguages();
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [result, setResult] = useState<Result>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [busyUid, setBusyUid] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const bounces = useBounceScores();

  const load = async () => {
    try {
      setUsers((await api<{ users: User[] }>('GET', '/users')).users);
      setLoadError(null);
    } catch (e) {
      setLoadError((e as Error).message);
    }
  };
  useEffect(() => void load(), []);

  const focusRowButton = (uid: string, which: 'edit' | 'toggle' | 'invite' | 'reset') => queueMicrotask(() => document.querySelector<HTMLButtonElement>(`#users-list tr[data-uid="${CSS.escape(uid)}"] button.${which}`)?.focus());

  const toggle = async (u: User) => {
    const disable = !u.disabled;
    if (disable) {
      const otherAdmins = (users ?? []).filter((x) => x.admin && !x.disabled && x.uid !== me.uid).length;
      // The last admin is refused by the server (shown below) without asking; disabling signs the user out everywhere.
      const lastAdmin = u.uid === me.uid && otherAdmins === 0;
      if (!lastAdmin && !window.confirm(t(u.uid === me.uid ? 'userDisableSelfConfirm' : 'userDisableConfirm', { uid: u.uid }))) return;
    }
    setBusyUid(u.uid);
    setResult(null);
    try {
      const r = await api<{ user: User }>('PATCH', `/users/${encodeURIComponent(u.uid)}`, { disabled: disable });
      setUsers((list) => list?.map((x) => (x.uid === u.uid ? r.user : x)) ?? null);
      setResult({ kind: 'ok', text: (tr) => tr(disable ? 'userDisabledDone' : 'userEnabledDone', { uid: u.uid }) });
    } catch (e) {
      const err = e as ApiError;
      setResult({ kind: 'error', text: (tr) => (err.code === 'last_admin' ? tr('userLastAdmin', { uid: u.uid }) : tr('errorGeneric', { message: err.message })) });
    } finally {
      setBusyUid(null);
      focusRowButton(u.uid, 'toggle');
    }
  };

  /** "Resend invitation": a new welcome mail; the link of the one before stops working. */
  const resend = async (u: User) => {
    setBusyUid(u.uid);
    setResult(null);
    try {
      const r = await api<{ invitation: InvitationSent }>('POST', `/users/${encodeURIComponent(u.uid)}/invitation`);
      setResult({ kind: 'ok', text: (tr) => tr('userInvitationQueued', { email: r.invitation.email }), mailKey: r.invitation.mail_key });
    } catch (e) {
      const err = e as ApiError;
      const known: Record<string, MessageKey> = { invitation_not_pending: 'userInvitationNotPending', no_recipient: 'userInvitationNoRecipient' };
      const key = known[err.code];
      setResult({ kind: 'error', text: (tr) => (key ? tr(key, { uid: u.uid }) : tr('errorGeneric', { message: err.message })) });
      // Someone else may have changed the user (a password set, an address removed): show what is saved.
      if (key) void load();
    } finally {
      setBusyUid(null);
      focusRowButton(u.uid, 'invite');
    }
  };

  /** "Delete", after a confirmation that says what goes with the account. */
  const remove = async (u: User) => {
    if (!window.confirm(t(u.uid === me.uid ? 'userDeleteSelfConfirm' : 'userDeleteConfirm', { uid: u.uid }))) return;
    setBusyUid(u.uid);
    setResult(null);
    try {
      await api('DELETE', `/users/${encodeURIComponent(u.uid)}`);
      setUsers((list) => list?.filter((x) => x.uid !== u.uid) ?? null);
      if (editing === u.uid) setEditing(null);
      setResult({ kind: 'ok', text: (tr) => tr('userDeleted', { uid: u.uid }) });
      // The row and its button are gone: the search field (or the heading) keeps the focus in the page.
      queueMicrotask(() => document.getElementById('users-search')?.focus());
    } catch (e) {
      const err = e as ApiError;
      setResult({ kind: 'error', text: (tr) => (err.code === 'last_admin' ? tr('userLastAdmin', { uid: u.uid }) : tr('errorGeneric', { message: err.message })) });
      focusRowButton(u.uid, 'edit');
    } finally {
      setBusyUid(null);
    }
  };

  /** "Send password reset": the mail of "Forgot password?", sent by an admin. */
  const sendReset = async (u: User) => {
    setBusyUid(u.uid);
    setResult(null);
    try {
      const r = await api<{ password_reset: { email: string } }>('POST', `/users/${encodeURIComponent(u.uid)}/password-reset`);
      setResult({ kind: 'ok', text: (tr) => tr('userResetSent', { email: r.password_reset.email }) });
    } catch (e) {
      const err = e as ApiError;
      const seconds = Number(err.details?.['retry_after'] ?? 60);
      const known: Record<string, MessageKey> = { user_disabled: 'userResetDisabled', no_recipient: 'userResetNoRecipient', rate_limited: 'userResetTooOften' };
      const key = known[err.code];
      setResult({ kind: 'error', text: (tr) => (key ? tr(key, { uid: u.uid, seconds }) : tr('errorGeneric', { message: err.message })) });
    } finally {
      setBusyUid(null);
      focusRowButton(u.uid, 'reset');
    }
  };

  const editedUser = users?.find((u) => u.uid === editing);
  const shown = users?.filter((u) => matches(u, search)) ?? null;

  return (
    <>
      <PageTitle>{t('usersTitle')}</PageTitle>
      <div aria-live="polite" id="users-status">
        {result && (
          <Notice kind={result.kind}>
            {result.text(t)}
            {result.mailKey !== undefined && (
              <>
                {' '}
                <Link href={owedMailPath(result.mailKey)}>{t('userInvitationInOutbox')}</Link>
              </>
            )}
          </Notice>
        )}
      </div>
      {loadError && <Notice kind="error">{t('errorGeneric', { message: loadError })}</Notice>}
      {!users && !loadError && <p>{t('loading')}</p>}
      {users && (
        <div class="field users-search" role="search">
          <label for="users-search">{t('userSearch')}</label>
          <input id="users-search" type="search" value={search} autocomplete="off" spellcheck={false} aria-describedby="users-search-hint users-search-count" onInput={(e) => setSearch(e.currentTarget.value)} />
          <p class="hint" id="users-search-hint">
            {t('userSearchHint')}
          </p>
          <p class="hint" id="users-search-count" role="status">
            {search.trim() === '' || !shown ? '' : shown.length === 0 ? t('userSearchNone', { search: search.trim() }) : t('userSearchCount', { count: shown.length, total: users.length })}
          </p>
        </div>
      )}
      {users && shown && shown.length > 0 && (
        <ListTable id="users-list" caption={t('usersListCaption')} columns={[t('userUid'), t('userDisplayName'), t('userEmail'), t('userLanguage'), t('userTimezone'), t('userAdmin'), t('userStatus'), t('userActions')]}>
          {shown.map((u) => (
            <tr key={u.uid} data-uid={u.uid} data-disabled={u.disabled ? 'true' : 'false'} class={u.disabled ? 'is-disabled' : undefined}>
              <th scope="row" data-label={t('userUid')}>
                {u.uid} {u.uid === me.uid && <span class="hint you">{t('userYou')}</span>}
              </th>
              <td data-label={t('userDisplayName')}>{u.display_name}</td>
              <td data-label={t('userEmail')} class="address">
                {u.email !== null ? <Address email={u.email} /> : <span class="hint">{t('userNone')}</span>}
                <BounceFlag score={bounces.of(u.email)} onCleared={bounces.reload} />
              </td>
              <td data-label={t('userLanguage')}>{languageName(languages, u.language)}</td>
              <td data-label={t('userTimezone')}>{u.timezone}</td>
              <td data-label={t('userAdmin')}>{u.admin ? t('yes') : t('no')}</td>
              <td data-label={t('userStatus')}>{invitationPending(u) ? <span class="badge pending">{t('userInvitationPending')}</span> : <span class={`badge ${u.disabled ? 'failed' : 'sent'}`}>{u.disabled ? t('userDisabled') : t('userActive')}</span>}</td>
              <td data-label={t('userActions')} class="row-actions">
                <button
                  type="button"
                  class="edit"
                  aria-label={t('userEditTitle', { uid: u.uid })}
                  aria-controls="user-edit"
                  aria-expanded={editing === u.uid}
                  onClick={() => {
                    setResult(null);
                    setEditing(u.uid);
                  }}
                >
                  {t('userEdit')}
                </button>
                <button type="button" class={`toggle ${u.disabled ? '' : 'danger'}`} aria-label={t(u.disabled ? 'userEnableOf' : 'userDisableOf', { uid: u.uid })} disabled={busyUid === u.uid} onClick={() => void toggle(u)}>
                  {u.disabled ? t('userEnable') : t('userDisable')}
                </button>
                {invitationPending(u) && (
                  <button type="button" class="invite" aria-label={t('userResendInvitationTo', { uid: u.uid })} disabled={busyUid === u.uid} onClick={() => void resend(u)}>
                    {t('userResendInvitation')}
                  </button>
                )}
                {u.email !== null && !u.disabled && (
                  <button type="button" class="reset" aria-label={t('userSendResetTo', { uid: u.uid })} disabled={busyUid === u.uid} onClick={() => void sendReset(u)}>
                    {t('userSendReset')}
                  </button>
                )}
                <button type="button" class="delete danger" aria-label={t('userDeleteOf', { uid: u.uid })} disabled={busyUid === u.uid} onClick={() => void remove(u)}>
                  {t('userDelete')}
                </button>
              </td>
            </tr>
          ))}
        </ListTable>
      )}

      {editedUser && (
        <EditUser
          key={editedUser.uid}
          user={editedUser}
          onCancel={() => {
            setEditing(null);
            focusRowButton(editedUser.uid, 'edit');
          }}
          onSaved={(saved) => {
            setUsers((list) => list?.map((x) => (x.uid === saved.uid ? saved : x)) ?? null);
            // One's own language or name: the rest of the app follows at once.
            if (saved.uid === me.uid) setUser(saved);
            setEditing(null);
            // A new address voids the links mailed before, the invitation's too.
            const relink = invitationPending(saved) && saved.email !== editedUser.email;
            setResult({ kind: 'ok', text: (tr) => tr(relink ? 'userSavedResendInvitation' : 'userSaved', { uid: saved.uid }) });
            focusRowButton(saved.uid, 'edit');
          }}
        />
      )}

      <AddUser
        onAdded={({ invitation, invitation_error: failed, ...added }) => {
          setUsers((list) => (list ? [...list.filter((x) => x.uid !== added.uid), added].sort((a, b) => a.uid.localeCompare(b.uid)) : [added]));
          if (failed) {
            setResult({ kind: 'error', text: (tr) => tr('userAddedInvitationFailed', { uid: added.uid, reason: failed.message }) });
            return;
          }
          setResult({
            kind: 'ok',
            ...(invitation ? { mailKey: invitation.mail_key } : {}),
            text: (tr) => (invitation ? tr('userAddedInvited', { uid: added.uid, email: invitation.email }) : added.password_set ? tr('userAdded', { uid: added.uid }) : tr('userAddedNoPassword', { uid: added.uid })),
          });
        }}
      />
    </>
  );
}

/** The fields of both forms; `prefix` makes the ids (`add-email`, `edit-email`) and their error ids (`add-email-error`). */
function UserFields(props: { prefix: 'add' | 'edit'; values: Values; errors: Errors; set: (changes: Partial<Values>) => void; fieldRef: (field: Field, el: HTMLElement | null) => void }) {
  const { t } = useI18n();
  const { prefix, values, errors } = props;
  const zones = useTimeZones();
  const languages = useMailLanguages(values.language);
  const id = (f: Field) => `${prefix}-${f}`;
  const described = (f: Field, hint?: boolean) => [hint ? `${id(f)}-hint` : '', errors[f] ? `${id(f)}-error` : ''].filter(Boolean).join(' ') || undefined;
  const error = (f: Field) =>
    errors[f] ? (
      <p class="field-error" id={`${id(f)}-error`}>
        {errors[f]}
      </p>
    ) : null;
  const common = (f: Field, hint?: boolean) => ({
    id: id(f),
    name: f,
    'aria-invalid': errors[f] ? true : undefined,
    'aria-describedby': described(f, hint),
    ref: (el: HTMLElement | null) => props.fieldRef(f, el),
  });
  const text = (f: 'uid' | 'display_name' | 'email' | 'timezone') => ({
    value: values[f],
    onInput: (e: Event) => props.set({ [f]: (e.currentTarget as HTMLInputElement).value }),
  });

  return (
    <>
      {prefix === 'add' && (
        <div class="field">
          <label for={id('uid')}>{t('userUid')}</label>
          <input {...common('uid')} {...text('uid')} required autocomplete="off" autocapitalize="none" spellcheck={false} maxLength={64} />
          {error('uid')}
        </div>
      )}
      <div class="two-even">
        <div class="field">
          <label for={id('display_name')}>{t('userDisplayName')}</label>
          <input {...common('display_name', prefix === 'add')} {...text('display_name')} autocomplete="off" maxLength={200} />
          {prefix === 'add' && (
            <p class="hint" id={`${id('display_name')}-hint`}>
              {t('userDisplayNameHint')}
            </p>
          )}
          {error('display_name')}
        </div>
        <div class="field">
          <label for={id('email')}>{t('userEmail')}</label>
          <input {...common('email')} {...text('email')} type="email" autocomplete="off" maxLength={320} />
          {error('email')}
        </div>
      </div>
      <div class="two-even">
        <div class="field">
          <label for={id('language')}>{t('userLanguage')}</label>
          <select {...common('language')} value={values.language} onChange={(e) => props.set({ language: e.currentTarget.value })}>
            {languages.map((l) => (
              <option value={l.code} key={l.code} lang={l.code} dir={l.direction}>
                {l.name}
              </option>
            ))}
          </select>
          {error('language')}
        </div>
        <div class="field">
          <label for={id('timezone')}>{t('userTimezone')}</label>
          <input {...common('timezone', true)} {...text('timezone')} list={`${prefix}-timezones`} autocomplete="off" spellcheck={false} maxLength={64} />
          <datalist id={`${prefix}-timezones`}>
            {zones.map((z) => (
              <option value={z} key={z} />
            ))}
          </datalist>
          <p class="hint" id={`${id('timezone')}-hint`}>
            {t('userTimezoneHint')}
          </p>
          {error('timezone')}
        </div>
      </div>
      <div class="field check">
        <input {...common('admin')} type="checkbox" checked={values.admin} onChange={(e) => props.set({ admin: e.currentTarget.checked })} />
        <label for={id('admin')}>{t('userAdmin')}</label>
        {error('admin')}
      </div>
      <div class="field">
        <label for={id('password')}>{prefix === 'add' ? t('userPassword') : t('userNewPassword')}</label>
        <input {...common('password', true)} type="password" autocomplete="new-password" value={values.password} onInput={(e) => props.set({ password: e.currentTarget.value })} />
        <p class="hint" id={`${id('password')}-hint`}>
          {t('passwordHint')}
          {t('sentenceGap')}
          {prefix === 'add' ? t('userPasswordAddHint') : t('userNewPasswordHint')}
        </p>
        {error('password')}
      </div>
    </>
  );
}

/** Form state shared by both forms: values, field errors, the form's own message, focus on the first bad field. */
function useUserForm(initial: Values) {
  const { t, language } = useI18n();
  const [values, setValues] = useState<Values>(initial);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = useRef<Partial<Record<Field, HTMLElement | null>>>({});
  return {
    values,
    errors,
    /** The form's own line: a refusal no field explains, or the reminder that fields are marked. */
    formError: formError ?? (Object.keys(errors).length > 0 ? t('userFixFields') : null),
    busy,
    set: (changes: Partial<Values>) => {
      setValues((v) => ({ ...v, ...changes }));
      // A field's error, and the form's line about the last try, go when a field is changed.
      setFormError(null);
      setErrors((errs) => {
        const next = { ...errs };
        for (const k of Object.keys(changes) as Field[]) delete next[k];
        return next;
      });
    },
    reset: (v: Values) => {
      setValues(v);
      setErrors({});
      setFormError(null);
    },
    fieldRef: (f: Field, el: HTMLElement | null) => {
      fields.current[f] = el;
    },
    focus: (f: Field) => fields.current[f]?.focus(),
    async submit(run: () => Promise<void>, onRefused?: (e: ApiError) => string | undefined): Promise<void> {
      setBusy(true);
      setErrors({});
      setFormError(null);
      try {
        await run();
      } catch (e) {
        const special = e instanceof ApiError ? onRefused?.(e) : undefined;
        if (special) {
          setFormError(special);
          return;
        }
        const { field, message } = explain(e, t, language);
        if (field) {
          setErrors({ [field]: message });
          queueMicrotask(() => fields.current[field]?.focus());
        } else {
          setFormError(message);
        }
      } finally {
        setBusy(false);
      }
    },
  };
}

function AddUser(props: { onAdded(user: AddedUser): void }) {
  const { t, language } = useI18n();
  const { user: me } = useSession();
  const empty: Values = { uid: '', display_name: '', email: '', language, timezone: me.timezone || 'UTC', admin: false, password: '' };
  const form = useUserForm(empty);

  const submit = (event: Event) => {
    event.preventDefault();
    void form.submit(async () => {
      const v = form.values;
      const body = {
        uid: v.uid.trim(),
        ...(v.display_name.trim() ? { display_name: v.display_name.trim() } : {}),
        ...(v.email.trim() ? { email: v.email.trim() } : {}),
        language: v.language,
        timezone: v.timezone.trim(),
        admin: v.admin,
        ...(v.password ? { password: v.password } : {}),
      };
      // With an address and no password, the server mails the welcome invitation.
      const r = await api<{ user: AddedUser }>('POST', '/users', body);
      form.reset(empty);
      props.onAdded(r.user);
      form.focus('uid');
    });
  };

  return (
    <section class="panel" aria-labelledby="user-add-title" id="user-add-section">
      <h2 id="user-add-title">{t('userAdd')}</h2>
      <form id="user-add" onSubmit={submit} noValidate>
        <UserFields prefix="add" values={form.values} errors={form.errors} set={form.set} fieldRef={form.fieldRef} />
        <div aria-live="polite" id="user-add-status">
          {form.formError && <Notice kind="error">{form.formError}</Notice>}
        </div>
        <button type="submit" class="primary" disabled={form.busy}>
          {form.busy ? t('saving') : t('userAdd')}
        </button>
      </form>
    </section>
  );
}

function EditUser(props: { user: User; onSaved(user: User): void; onCancel(): void }) {
  const { t } = useI18n();
  const u = props.user;
  const initial: Values = { uid: u.uid, display_name: u.display_name, email: u.email ?? '', language: u.language, timezone: u.timezone, admin: u.admin, password: '' };
  const form = useUserForm(initial);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const submit = (event: Event) => {
    event.preventDefault();
    void form.submit(
      async () => {
        const v = form.values;
        // Only what changed: an unchanged field is not sent, so it cannot be refused.
        const changes: Record<string, unknown> = {};
        if (v.display_name.trim() !== u.display_name) changes['display_name'] = v.display_name.trim();
        if (v.email.trim() !== (u.email ?? '')) changes['email'] = v.email.trim() === '' ? null : v.email.trim();
        if (v.language !== u.language) changes['language'] = v.language;
        if (v.timezone.trim() !== u.timezone) changes['timezone'] = v.timezone.trim();
        if (v.admin !== u.admin) changes['admin'] = v.admin;
        if (v.password) changes['password'] = v.password;
        const saved = Object.keys(changes).length === 0 ? u : (await api<{ user: User }>('PATCH', `/users/${encodeURIComponent(u.uid)}`, changes)).user;
        props.onSaved(saved);
      },
      (e) => (e.code === 'last_admin' ? t('userLastAdmin', { uid: u.uid }) : undefined),
    );
  };

  return (
    <section class="panel" id="user-edit" aria-labelledby="user-edit-title">
      <h2 id="user-edit-title" tabIndex={-1} ref={heading}>
        {t('userEditTitle', { uid: u.uid })}
      </h2>
      <form id="user-edit-form" onSubmit={submit} noValidate>
        <UserFields prefix="edit" values={form.values} errors={form.errors} set={form.set} fieldRef={form.fieldRef} />
        <div aria-live="polite" id="user-edit-status">
          {form.formError && <Notice kind="error">{form.formError}</Notice>}
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={form.busy}>
            {form.busy ? t('saving') : t('save')}
          </button>
          <button type="button" onClick={props.onCancel}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
