import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, localizedErrorMessage, MAIL_SETTINGS_EVENT, type SettingView, type TestMailReport } from '../api.ts';
import { Notice, PageTitle, SaveStatus, TestFailure, useTestSend, type SaveState } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { detectFindingZhCN, type DetectFinding } from '../messages/detect-notes.zh-CN.ts';

type Value = string | number | boolean;
type Settings = Record<string, SettingView>;

const SEND_MODES = ['smtp', 'sendmail', 'qmail', 'php', 'capture'] as const;
const AUTH_TYPES = ['LOGIN', 'PLAIN', 'NTLM', 'CRAM-MD5', 'XOAUTH2'] as const;

/** Moves the focus to a field of the form (from a diagnosis that names it) and shows it. */
function goToField(key: string): void {
  const field = document.getElementById(`f-${key}`);
  if (!field) return;
  field.scrollIntoView({ block: 'center' });
  // A field locked by the config file or the environment cannot take the focus; its lock note,
  // now in view, says where to change it.
  field.focus();
}

/** Tells the rest of the app (the "mails are captured" banner) what the settings are now. */
function announceSaved(settings: SettingView[]): void {
  window.dispatchEvent(new CustomEvent(MAIL_SETTINGS_EVENT, { detail: settings }));
}

/**
 * The seed's "Email server" form: every field is saved the moment it changes (PATCH of that one
 * key) with "Saved" or the server's reason next to it. Fields fixed by the config file or the
 * environment are read-only and say why.
 */
export function EmailServerPage() {
  const { t } = useI18n();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [status, setStatus] = useState<Record<string, SaveState>>({});
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = async () => {
    try {
      const r = await api<{ settings: SettingView[] }>('GET', '/settings/mail');
      setSettings(Object.fromEntries(r.settings.map((s) => [s.key, s])));
      announceSaved(r.settings);
    } catch (e) {
      setLoadError((e as Error).message);
    }
  };
  useEffect(() => void load(), []);

  const save = async (changes: Record<string, Value | null>, statusKey = Object.keys(changes)[0] as string) => {
    setStatus((s) => ({ ...s, [statusKey]: { kind: 'saving' } }));
    // The fields show the new value at once: re-rendered with the old one while the server
    // answers, a checkbox would jump back and a typed value would vanish (and stay gone when it
    // is refused, next to the message that names it). Secrets are never kept in the page.
    setSettings((all) => {
      if (!all) return all;
      const next = { ...all };
      for (const [key, v] of Object.entries(changes)) {
        const s = next[key];
        if (s && !s.secret && v !== null) next[key] = { ...s, value: v };
      }
      return next;
    });
    try {
      const r = await api<{ settings: SettingView[] }>('PATCH', '/settings/mail', changes);
      setSettings(Object.fromEntries(r.settings.map((s) => [s.key, s])));
      announceSaved(r.settings);
      setStatus((s) => ({ ...s, [statusKey]: { kind: 'saved' } }));
    } catch (e) {
      setStatus((s) => ({ ...s, [statusKey]: { kind: 'error', message: (e as ApiError).message } }));
    }
  };

  if (loadError) return <Notice kind="error">{t('errorGeneric', { message: loadError })}</Notice>;
  if (!settings) return <p>{t('loading')}</p>;

  const value = (key: string) => settings[key]?.value;
  const mode = String(value('mail_smtpmode'));
  const smtp = mode === 'smtp';
  const auth = value('mail_smtpauth') === true;
  // XOAUTH2 logs in with a token fetched with the OAuth settings: the password is not used.
  const oauth = auth && value('mail_smtpauthtype') === 'XOAUTH2';
  // With the app's own permission there is no user, so no refresh token.
  const appOnly = value('mail_smtpoauth_grant') === 'client_credentials';

  /** Props every field shares: id, the lock, and the status line (and hints) it is described by. */
  const common = (key: string, hints: string[] = []) => {
    const s = settings[key];
    const readOnly = (s?.locked ?? false) || (s?.fileOnly ?? false);
    return {
      id: `f-${key}`,
      name: key,
      disabled: readOnly,
      'aria-describedby': [`st-${key}`, ...(readOnly ? [`lk-${key}`] : []), ...hints].join(' '),
      'aria-invalid': status[key]?.kind === 'error' ? true : undefined,
    };
  };
  const lockNote = (key: string) => {
    const s = settings[key];
    if (!s?.locked && !s?.fileOnly) return null;
    return (
      <p class="hint locked" id={`lk-${key}`}>
        {/* Drawn, not the 🔒 emoji: a system without an emoji font shows that as an empty box. */}
        <svg class="lock-icon" aria-hidden="true" width="12" height="14" viewBox="0 0 12 14" fill="currentColor">
          <path fill-rule="evenodd" d="M2 6V4a4 4 0 0 1 8 0v2h1v8H1V6h1zm2 0h4V4a2 2 0 0 0-4 0v2z" />
        </svg>{' '}
        {s.fileOnly
          ? t('fileOnlyNote', { variable: `MAILROOM_${key.toUpperCase()}` })
          : t('lockedBy', { source: t(s.lockedBy === 'env' ? 'lockedSource_env' : 'lockedSource_file') })}
      </p>
    );
  };
  /** `verbatim`: a path, URL or id, which the browser must not spell-check or capitalise. */
  const textField = (key: string, label: MessageKey, opts: { type?: 'text' | 'number' | 'url'; hint?: MessageKey; autocomplete?: string; verbatim?: boolean } = {}) => (
    <div class="field">
      <label for={`f-${key}`}>{t(label)}</label>
      <input
        {...common(key, opts.hint ? [`hn-${key}`] : [])}
        type={opts.type ?? 'text'}
        autocomplete={opts.autocomplete ?? 'off'}
        {...(opts.verbatim ? { spellcheck: false, autocapitalize: 'off' } : {})}
        value={String(value(key) ?? '')}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          void save({ [key]: opts.type === 'number' ? (raw === '' ? null : Number(raw)) : raw });
        }}
      />
      {opts.hint && (
        <p class="hint" id={`hn-${key}`}>
          {t(opts.hint)}
        </p>
      )}
      {lockNote(key)}
      <SaveStatus id={`st-${key}`} state={status[key]} />
    </div>
  );
  /**
   * The host the OAuth secrets are sent to, from the saved token URL, shown beside them so an
   * admin sees where a secret goes before typing it (a token URL changed by someone else would
   * otherwise carry it elsewhere unnoticed).
   */
  const tokenHost = (() => {
    try {
      return new URL(String(value('mail_smtpoauth_token_url') ?? '')).host;
    } catch {
      return '';
    }
  })();
  /** Write-only: says whether a value is saved, never shows it; a value typed replaces it. `sentToHost`: name the token endpoint it goes to. */
  const secretField = (key: string, label: MessageKey, says: { isSet: MessageKey; notSet: MessageKey } = { isSet: 'passwordIsSet', notSet: 'passwordNotSet' }, sentToHost = false) => (
    <div class="field">
      <label for={`f-${key}`}>{t(label)}</label>
      <input
        {...common(key, [`hn-${key}`, ...(sentToHost ? [`to-${key}`] : [])])}
        type="password"
        autocomplete="new-password"
        placeholder={settings[key]?.isSet ? '••••••••' : ''}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          if (raw === '') return;
          e.currentTarget.value = '';
          void save({ [key]: raw });
        }}
      />
      <p class="hint" id={`hn-${key}`}>
        {settings[key]?.isSet ? t(says.isSet) : t(says.notSet)}
      </p>
      {sentToHost && (
        <p class="hint sent-to" id={`to-${key}`}>
          {tokenHost ? t('oauthSecretSentTo', { host: tokenHost }) : t('oauthSecretSentToNone')}
        </p>
      )}
      {lockNote(key)}
      <SaveStatus id={`st-${key}`} state={status[key]} />
    </div>
  );

  return (
    <>
      <PageTitle>{t('emailTitle')}</PageTitle>
      <p class="intro">{t('emailIntro')}</p>
      <form class="settings" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="f-mail_smtpmode">{t('fieldSendMode')}</label>
          <select {...common('mail_smtpmode')} value={mode} onChange={(e) => void save({ mail_smtpmode: e.currentTarget.value })}>
            {SEND_MODES.map((m) => (
              <option value={m} key={m}>
                {t(`sendMode_${m}` as MessageKey)}
              </option>
            ))}
          </select>
          {lockNote('mail_smtpmode')}
          <SaveStatus id="st-mail_smtpmode" state={status.mail_smtpmode} />
        </div>

        {smtp && (
          <div class="field">
            <label for="f-mail_smtpsecure">{t('fieldEncryption')}</label>
            <select {...common('mail_smtpsecure')} value={String(value('mail_smtpsecure'))} onChange={(e) => void save({ mail_smtpsecure: e.currentTarget.value })}>
              <option value="">{t('encryption_none')}</option>
              <option value="ssl">{t('encryption_ssl')}</option>
              <option value="tls">{t('encryption_tls')}</option>
            </select>
            {lockNote('mail_smtpsecure')}
            <SaveStatus id="st-mail_smtpsecure" state={status.mail_smtpsecure} />
          </div>
        )}
        {/* Under every encryption choice: with "None" STARTTLS is still used when offered, and the
            certificate checked, so a private CA is needed there too. */}
        {smtp && textField('mail_smtptls_ca', 'fieldTlsCa', { hint: 'fieldTlsCaHint', verbatim: true })}

        <fieldset class="field from">
          <legend>{t('fieldFromAddress')}</legend>
          <div class="inline">
            <input {...common('mail_from_address')} aria-label={t('fieldFromLocal')} value={String(value('mail_from_address') ?? '')} onChange={(e) => void save({ mail_from_address: e.currentTarget.value })} />
            <span aria-hidden="true">@</span>
            <input {...common('mail_domain')} aria-label={t('fieldFromDomain')} value={String(value('mail_domain') ?? '')} onChange={(e) => void save({ mail_domain: e.currentTarget.value })} />
          </div>
          {lockNote('mail_from_address')}
          {lockNote('mail_domain')}
          <SaveStatus id="st-mail_from_address" state={status.mail_from_address} />
          <SaveStatus id="st-mail_domain" state={status.mail_domain} />
        </fieldset>

        {smtp && (
          <>
            <div class="field check">
              <input {...common('mail_smtpauth')} type="checkbox" checked={auth} onChange={(e) => void save({ mail_smtpauth: e.currentTarget.checked })} />
              <label for="f-mail_smtpauth">{t('fieldAuthRequired')}</label>
              {lockNote('mail_smtpauth')}
              <SaveStatus id="st-mail_smtpauth" state={status.mail_smtpauth} />
            </div>
            {auth && (
              <div class="field">
                <label for="f-mail_smtpauthtype">{t('fieldAuthMethod')}</label>
                <select {...common('mail_smtpauthtype')} value={String(value('mail_smtpauthtype'))} onChange={(e) => void save({ mail_smtpauthtype: e.currentTarget.value })}>
                  {AUTH_TYPES.map((a) => (
                    <option value={a} key={a}>
                      {a}
                    </option>
                  ))}
                </select>
                {lockNote('mail_smtpauthtype')}
                <SaveStatus id="st-mail_smtpauthtype" state={status.mail_smtpauthtype} />
              </div>
            )}
            <div class="two">
              {textField('mail_smtphost', 'fieldServer', { hint: 'fieldServerHint' })}
              {textField('mail_smtpport', 'fieldPort', { type: 'number' })}
            </div>
            {auth && !oauth && (
              <div class="two">
                {textField('mail_smtpname', 'fieldUser', { autocomplete: 'off' })}
                {secretField('mail_smtppassword', 'fieldPassword')}
              </div>
            )}
            {oauth && (
              <fieldset class="field oauth" aria-describedby="oauth-intro">
                <legend>{t('oauthTitle')}</legend>
                <p class="hint" id="oauth-intro">
                  {t('oauthIntro')}
                </p>
                <div class="field">
                  <label for="f-mail_smtpoauth_grant">{t('fieldOAuthGrant')}</label>
                  <select
                    {...common('mail_smtpoauth_grant')}
                    value={String(value('mail_smtpoauth_grant'))}
                    onChange={(e) => void save({ mail_smtpoauth_grant: e.currentTarget.value })}
                  >
                    <option value="refresh_token">{t('oauthGrantRefreshToken')}</option>
                    <option value="client_credentials">{t('oauthGrantClientCredentials')}</option>
                  </select>
                  {lockNote('mail_smtpoauth_grant')}
                  <SaveStatus id="st-mail_smtpoauth_grant" state={status.mail_smtpoauth_grant} />
                </div>
                {textField('mail_smtpname', 'fieldUser', { hint: appOnly ? 'oauthAppUserHint' : 'oauthUserHint', verbatim: true })}
                {textField('mail_smtpoauth_token_url', 'fieldOAuthTokenUrl', { type: 'url', hint: 'fieldOAuthTokenUrlHint', verbatim: true })}
                <div class="two-even">
                  {textField('mail_smtpoauth_client_id', 'fieldOAuthClientId', { hint: 'fieldOAuthClientIdHint', verbatim: true })}
                  {secretField('mail_smtpoauth_client_secret', 'fieldOAuthClientSecret', { isSet: 'oauthClientSecretIsSet', notSet: appOnly ? 'oauthAppClientSecretNotSet' : 'oauthClientSecretNotSet' }, true)}
                </div>
                {appOnly
                  ? textField('mail_smtpoauth_scope', 'fieldOAuthScope', { hint: 'fieldOAuthScopeHint', verbatim: true })
                  : secretField('mail_smtpoauth_refresh_token', 'fieldOAuthRefreshToken', { isSet: 'oauthRefreshTokenIsSet', notSet: 'oauthRefreshTokenNotSet' }, true)}
              </fieldset>
            )}
            {textField('mail_smtptimeout', 'fieldTimeout', { type: 'number' })}
            <div class="field check">
              <input {...common('mail_smtpdebug')} type="checkbox" checked={value('mail_smtpdebug') === true} onChange={(e) => void save({ mail_smtpdebug: e.currentTarget.checked })} />
              <label for="f-mail_smtpdebug">{t('fieldDebug')}</label>
              <SaveStatus id="st-mail_smtpdebug" state={status.mail_smtpdebug} />
            </div>
          </>
        )}
        {mode === 'sendmail' && textField('mail_sendmail_path', 'fieldSendmailPath')}
        {mode === 'qmail' && textField('mail_qmail_path', 'fieldQmailPath')}
      </form>

      <TestMail debug={value('mail_smtpdebug') === true} />
      {smtp && <Detect host={String(value('mail_smtphost') ?? '')} onApplied={load} />}
    </>
  );
}

function TestMail(props: { debug: boolean }) {
  const { t } = useI18n();
  const { to, setTo, busy, report, error, send } = useTestSend((address) => api<TestMailReport>('POST', '/settings/mail/test', { ...(address ? { to: address } : {}), ...(props.debug ? { debug: true } : {}) }));
  return (
    <section class="panel" aria-labelledby="test-title">
      <h2 id="test-title">{t('testTitle')}</h2>
      <form onSubmit={send} class="inline-form">
        <div class="field">
          <label for="test-to">{t('testTo')}</label>
          <input id="test-to" type="email" value={to} aria-describedby="test-to-hint" onInput={(e) => setTo(e.currentTarget.value)} />
          <p class="hint" id="test-to-hint">
            {t('testToHint')}
          </p>
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('testSending') : t('testSend')}
        </button>
      </form>
      <div aria-live="polite" class="test-result">
        {error && <Notice kind="error">{error}</Notice>}
        {report?.ok && <Notice kind="ok">{t('testOk', { to: report.to, via: report.via ?? report.mode, response: report.response ?? '' })}</Notice>}
        {report && !report.ok && <TestFailure report={report} />}
        {report && report.attempts.length > 1 && <HostAttempts attempts={report.attempts} />}
        {report?.error?.code === 'smtp_certificate_untrusted' && (
          <p class="test-next">
            {t('testCaPointer')}{' '}
            <button type="button" class="text-link" onClick={() => goToField('mail_smtptls_ca')}>
              {t('testCaPointerGo')}
            </button>
          </p>
        )}
        {report?.transcript && (
          <details open>
            <summary>{t('testTranscript')}</summary>
            <pre class="transcript">{report.transcript}</pre>
          </details>
        )}
      </div>
    </section>
  );
}

/** With a failover list, what each server did: the admin sees which one is down even when the mail went out. */
function HostAttempts(props: { attempts: TestMailReport['attempts'] }) {
  const { t } = useI18n();
  return (
    <div class="host-attempts">
      <p>{t('testAttempts')}</p>
      <ol>
        {props.attempts.map((attempt) => (
          <li key={attempt.host}>
            <code>{attempt.host}</code>{' '}
            {attempt.skipped ? (
              t('testAttemptSkipped')
            ) : attempt.error ? (
              <>
                {localizedErrorMessage(attempt.error.code, attempt.error.message)} <code>{attempt.error.code}</code>
              </>
            ) : (
              t('testAttemptAccepted')
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

interface DetectReport {
  host: string;
  probes: Array<{ port: number; certificate?: { valid: boolean } }>;
  recommended?: Record<string, string | number | boolean>;
  findings: DetectFinding[];
  notes: string[];
}

function Detect(props: { host: string; onApplied: () => Promise<void> }) {
  const { t, language } = useI18n();
  const [host, setHost] = useState(props.host.split(';')[0] ?? '');
  // Follows the server field above until the admin types a host here.
  const [typed, setTyped] = useState(false);
  useEffect(() => {
    if (!typed) setHost(props.host.split(';')[0] ?? '');
  }, [props.host]);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string; notes?: string[] } | null>(null);
  const run = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const report = await api<DetectReport>('POST', '/settings/mail/detect', { host: host.trim() });
      const notes = language === 'zh-CN' ? report.findings.map((finding, i) => detectFindingZhCN(finding, report.notes[i] ?? '')) : report.notes;
      if (report.recommended) {
        await api('PATCH', '/settings/mail', report.recommended);
        await props.onApplied();
        // Settings that only work once the certificate is trusted are not "working" yet.
        const chosen = report.probes.find((p) => p.port === report.recommended?.['mail_smtpport']);
        const untrusted = chosen?.certificate !== undefined && !chosen.certificate.valid;
        setResult(untrusted ? { kind: 'error', text: t('detectFoundUntrusted'), notes } : { kind: 'ok', text: t('detectFound'), notes });
      } else {
        setResult({ kind: 'error', text: t('detectNone'), notes });
      }
    } catch (e) {
      setResult({ kind: 'error', text: (e as ApiError).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="detect-title">
      <h2 id="detect-title">{t('detectTitle')}</h2>
      <form onSubmit={run} class="inline-form">
        <div class="field">
          <label for="detect-host">{t('detectHost')}</label>
          <input
            id="detect-host"
            value={host}
            onInput={(e) => {
              setTyped(true);
              setHost(e.currentTarget.value);
            }}
          />
        </div>
        <button type="submit" disabled={busy || host.trim() === ''}>
          {busy ? t('detectRunning') : t('detectRun')}
        </button>
      </form>
      <div aria-live="polite">
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
        {result?.notes && result.notes.length > 0 && (
          <ul class="notes">
            {result.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
