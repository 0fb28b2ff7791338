import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Invitation, type LinkHolder } from '../api.ts';
import { Link, Notice, PageTitle } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { InLanguage, LinkAccount, LinkLoading, LinkRefused, NextLinks, RESET_OR_SIGN_IN, useLinkCheck, type NextLink } from './link-check.tsx';

/**
 * The pages that links in account mails lead to, all without a session: set the first password
 * (welcome invitation), confirm a new address, undo an address change from the old address.
 */

/** Why the server refused a link's token: unknown (used, replaced, cut short) or expired. */
type LinkProblem = 'invalid' | 'expired';

/** The token's refusal, when that is what the error is; `prefix` is the code's family (`invitation_token`). */
function linkProblem(e: unknown, prefix: 'invitation_token' | 'email_change_token'): LinkProblem | null {
  if (!(e instanceof ApiError)) return null;
  if (e.code === `${prefix}_expired`) return 'expired';
  // A token longer than the server takes is refused as a bad request: to the reader, a bad link.
  if (e.code === `${prefix}_invalid` || e.code === 'invalid_request' || e.code === 'not_found') return 'invalid';
  return null;
}

/** Moves the focus to what replaced the form (the form and its focused button are gone). */
function useFocusWhen(condition: boolean) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (condition) ref.current?.focus();
  }, [condition]);
  return ref;
}

type InvitationState = { kind: 'problem'; problem: LinkProblem } | { kind: 'failed'; message: string } | { kind: 'ready'; invitation: Invitation } | { kind: 'done'; invitation: Invitation };

/** `/set-password/{token}`, the link of a welcome mail: checked first; greets the invited user in their language. */
export function SetPasswordPage(props: { token: string }) {
  const check = useLinkCheck('/invitations/', props.token, ['invitation_token_invalid', 'invitation_token_expired']);
  if (check.kind === 'checking') return <LinkLoading />;
  if (check.kind !== 'valid') {
    return <LinkRefused check={check} title="setPasswordTitle" invalid="invitationLinkInvalid" hint="invitationAskAdmin" next={[{ href: '/login', label: 'goToSignIn' }]} />;
  }
  return (
    <InLanguage language={check.holder.language}>
      <SetPasswordForm token={props.token} invitation={check.holder} />
    </InLanguage>
  );
}

/** The form of a checked invitation: a first password, twice. */
function SetPasswordForm(props: { token: string; invitation: Invitation }) {
  const { t, language } = useI18n();
  const [state, setState] = useState<InvitationState>({ kind: 'ready', invitation: props.invitation });
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [fieldError, setFieldError] = useState<{ field: 'password' | 'repeat'; message: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const repeatRef = useRef<HTMLInputElement>(null);
  const doneRef = useFocusWhen(state.kind === 'done');

  const submit = async (event: Event) => {
    event.preventDefault();
    if (state.kind !== 'ready') return;
    setFieldError(null);
    setFormError(null);
    if (password !== repeat) {
      setFieldError({ field: 'repeat', message: t('resetMismatch') });
      repeatRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/invitations/accept', { token: props.token, password });
      setState({ kind: 'done', invitation: state.invitation });
    } catch (e) {
      const problem = linkProblem(e, 'invitation_token');
      if (problem) {
        // Replaced by a newer invitation (or expired) while the page was open.
        setState({ kind: 'problem', problem });
      } else if (e instanceof ApiError && e.code === 'password_too_weak') {
        // The server's English reason is specific ("it contains the user name"); other languages get ours.
        setFieldError({ field: 'password', message: language === 'en' ? e.message : t('userWeakPassword') });
        passwordRef.current?.focus();
      } else {
        setFormError(t('errorGeneric', { message: (e as Error).message }));
      }
    } finally {
      setBusy(false);
    }
  };

  if (state.kind === 'problem' || state.kind === 'failed') {
    return (
      <section class="card">
        <PageTitle>{t('setPasswordTitle')}</PageTitle>
        {state.kind === 'failed' ? (
          <Notice kind="error">{t('errorGeneric', { message: state.message })}</Notice>
        ) : (
          <>
            <Notice kind="error">{t(state.problem === 'expired' ? 'invitationExpired' : 'invitationInvalid')}</Notice>
            <p>{t(state.problem === 'expired' ? 'invitationAskAdmin' : 'invitationInvalidHint')}</p>
          </>
        )}
        <p>
          <Link href="/login">{t('goToSignIn')}</Link>
        </p>
      </section>
    );
  }

  const { invitation } = state;
  const describedBy = (field: 'password' | 'repeat', hint?: string) => [hint, fieldError?.field === field ? `set-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  /** The new password or its repeat; typing in it clears its error and the form's. */
  const passwordField = (field: 'password' | 'repeat', label: MessageKey, opts: { ref: RefObject<HTMLInputElement>; value: string; setValue(value: string): void; hint?: MessageKey; minLength?: number }) => (
    <div class="field">
      <label for={`set-${field}`}>{t(label)}</label>
      <input
        id={`set-${field}`}
        ref={opts.ref}
        type="password"
        autocomplete="new-password"
        required
        {...(opts.minLength === undefined ? {} : { minLength: opts.minLength })}
        aria-invalid={fieldError?.field === field ? true : undefined}
        aria-describedby={describedBy(field, opts.hint && `set-${field}-hint`)}
        value={opts.value}
        onInput={(e) => {
          opts.setValue(e.currentTarget.value);
          if (fieldError?.field === field) setFieldError(null);
          setFormError(null);
        }}
      />
      {opts.hint && (
        <p class="hint" id={`set-${field}-hint`}>
          {t(opts.hint)}
        </p>
      )}
      {fieldError?.field === field && (
        <p class="field-error" id={`set-${field}-error`}>
          {fieldError.message}
        </p>
      )}
    </div>
  );
  return (
    <section class="card">
      <PageTitle>{t('setPasswordWelcome', { name: invitation.display_name })}</PageTitle>
      {state.kind === 'done' ? (
        <div class="link-done" tabIndex={-1} ref={doneRef}>
          <Notice kind="ok">{t('setPasswordDone')}</Notice>
          <p>
            <Link href={`/login?user=${encodeURIComponent(invitation.uid)}`}>{t('goToSignIn')}</Link>
          </p>
        </div>
      ) : (
        <form onSubmit={submit}>
          <p>{t('setPasswordIntro', { uid: invitation.uid })}</p>
          <LinkAccount holder={invitation} />
          {/* For password managers: the account the new password belongs to. */}
          <input type="text" name="username" autocomplete="username" value={invitation.uid} readOnly hidden />
          {passwordField('password', 'resetNewPassword', { ref: passwordRef, value: password, setValue: setPassword, hint: 'passwordHint', minLength: 10 })}
          {passwordField('repeat', 'resetRepeat', { ref: repeatRef, value: repeat, setValue: setRepeat })}
          {formError && <Notice kind="error">{formError}</Notice>}
          <button type="submit" class="primary" disabled={busy}>
            {t('resetSubmit')}
          </button>
        </form>
      )}
    </section>
  );
}

type ActionState = { kind: 'idle' } | { kind: 'busy' } | { kind: 'problem'; problem: LinkProblem } | { kind: 'failed'; message: string } | { kind: 'done'; email: string };

/**
 * A link that changes something only when its button is pressed: mail scanners open the links of
 * a mail to look at them, and must not confirm (or undo) an address change by doing so.
 */
function ActionLinkPage(props: {
  token: string;
  /** The route that says whom the link is for, without the token. */
  checkPath: string;
  title: MessageKey;
  intro: MessageKey;
  submit: MessageKey;
  path: string;
  invalid: MessageKey;
  expired: MessageKey;
  /** What to do after a refused link. */
  problemHint: MessageKey;
  /** Said after success, with {email}. */
  done: MessageKey;
  /** Links after success (and after a refused link). */
  next: readonly NextLink[];
}) {
  const check = useLinkCheck(props.checkPath, props.token, ['email_change_token_invalid', 'email_change_token_expired']);
  if (check.kind === 'checking') return <LinkLoading />;
  if (check.kind !== 'valid') return <LinkRefused check={check} title={props.title} invalid="emailLinkInvalid" hint={props.problemHint} next={props.next} />;
  return (
    <InLanguage language={check.holder.language}>
      <ActionLinkForm {...props} holder={check.holder} />
    </InLanguage>
  );
}

/** The button of a checked link, and what came of pressing it. */
function ActionLinkForm(props: Parameters<typeof ActionLinkPage>[0] & { holder: LinkHolder }) {
  const { t } = useI18n();
  const [state, setState] = useState<ActionState>({ kind: 'idle' });
  const doneRef = useFocusWhen(state.kind === 'done' || state.kind === 'problem');

  const run = async () => {
    setState({ kind: 'busy' });
    try {
      const r = await api<{ ok: true; user: string; email: string }>('POST', props.path, { token: props.token });
      setState({ kind: 'done', email: r.email });
    } catch (e) {
      const problem = linkProblem(e, 'email_change_token');
      setState(problem ? { kind: 'problem', problem } : { kind: 'failed', message: (e as Error).message });
    }
  };

  const links = <NextLinks next={props.next} />;
  return (
    <section class="card">
      <PageTitle>{t(props.title)}</PageTitle>
      {state.kind === 'done' ? (
        <div class="link-done" tabIndex={-1} ref={doneRef}>
          <Notice kind="ok">{t(props.done, { email: state.email })}</Notice>
          {links}
        </div>
      ) : state.kind === 'problem' ? (
        <div class="link-done" tabIndex={-1} ref={doneRef}>
          <Notice kind="error">{t(state.problem === 'expired' ? props.expired : props.invalid)}</Notice>
          <p>{t(props.problemHint)}</p>
          {links}
        </div>
      ) : (
        <>
          <LinkAccount holder={props.holder} />
          <p>{t(props.intro)}</p>
          {state.kind === 'failed' && <Notice kind="error">{t('errorGeneric', { message: state.message })}</Notice>}
          <button type="button" class="primary" disabled={state.kind === 'busy'} onClick={() => void run()}>
            {t(props.submit)}
          </button>
        </>
      )}
    </section>
  );
}

/** `/confirm-email/{token}`, the link mailed to a new address: the address takes effect when the button is pressed. */
export function ConfirmEmailPage(props: { token: string; signedIn: boolean }) {
  return (
    <ActionLinkPage
      token={props.token}
      title="confirmEmailTitle"
      intro="confirmEmailIntro"
      submit="confirmEmailSubmit"
      path="/email-change/confirm"
      checkPath="/email-change/confirm/"
      invalid="confirmEmailInvalid"
      expired="confirmEmailExpired"
      problemHint="confirmEmailAgain"
      done="confirmEmailDone"
      next={props.signedIn ? [{ href: '/personal', label: 'goToPersonal' }] : [{ href: '/login', label: 'goToSignIn' }]}
    />
  );
}

/** `/undo-email/{token}`, the link mailed to the old address after a change: puts it back and signs the account out everywhere. */
export function UndoEmailPage(props: { token: string }) {
  return <ActionLinkPage token={props.token} title="undoEmailTitle" intro="undoEmailIntro" submit="undoEmailSubmit" path="/email-change/undo" checkPath="/email-change/undo/" invalid="undoEmailInvalid" expired="undoEmailExpired" problemHint="undoEmailAskAdmin" done="undoEmailDone" next={RESET_OR_SIGN_IN} />;
}
