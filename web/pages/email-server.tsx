import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, localizedErrorMessage, MAIL_SETTINGS_EVENT, type SettingView, type TestMailReport } from '../api.ts';
import { CommitSelect, inPageWords, Link, Notice, PageTitle, SaveStatus, TestFailure, useTestSend, type SaveState } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { wordFinding } from '../detect-findings.ts';
import type { DetectListReport as ApiDetectListReport, DetectReport as ApiDetectReport } from '../../src/domain/api-types.ts';
import { ReputationWarning } from '../bounces.tsx';

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
 * key) with "Saved" or the server's reason next to it; a refused value stays in its field with
 * that reason until it is corrected. A select saves a click at once and a keyboard choice on
 * Enter or blur (CommitSelect). A path the server cannot use is flagged under its field. Fields
 * fixed by the config file or the environment are read-only and say why.
 */
export function EmailServerPage() {
  const { t } = useI18n();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [status, setStatus] = useState<Record<string, SaveState>>({});
  /**
   * Values the server refused, kept in their fields with the message until the admin corrects
   * them: the answer to another field's save holds the saved value, which must not creep back.
   */
  const [drafts, setDrafts] = useState<Record<string, Value>>({});
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
    // answers, a checkbox would jump back and a typed value would vanish. Secrets are never kept
    // in the page.
    const shown = Object.entries(changes).filter((entry): entry is [string, Value] => entry[1] !== null && settings?.[entry[0]]?.secret !== true);
    const before = new Map(shown.map(([key]) => [key, settings?.[key]?.value]));
    setSettings((all) => {
      if (!all) return all;
      const next = { ...all };
      for (const [key, v] of shown) {
        const s = next[key];
        if (s) next[key] = { ...s, value: v };
      }
      return next;
    });
    try {
      const r = await api<{ settings: SettingView[] }>('PATCH', '/settings/mail', changes);
      setSettings(Object.fromEntries(r.settings.map((s) => [s.key, s])));
      announceSaved(r.settings);
      setDrafts((d) => Object.fromEntries(Object.entries(d).filter(([key]) => !Object.hasOwn(changes, key))));
      setStatus((s) => ({ ...s, [statusKey]: { kind: 'saved' } }));
    } catch (e) {
      // The refused value stays in its field (a draft); what the page acts on is the saved one.
      setDrafts((d) => ({ ...d, ...Object.fromEntries(shown) }));
      setSettings((all) => {
        if (!all) return all;
        const next = { ...all };
        for (const [key, v] of shown) {
          const s = next[key];
          if (s && s.value === v && before.has(key)) next[key] = { ...s, value: before.get(key) ?? null };
        }
        return next;
      });
      setStatus((s) => ({ ...s, [statusKey]: { kind: 'error', message: (e as ApiError).message } }));
    }
  };
  /** A select browsed with the keyboard: the choice is shown as not saved until Enter or blur. */
  const browsing = (key: string, pending: boolean) => setStatus((s) => ({ ...s, [key]: pending ? { kind: 'unsaved' } : { kind: 'idle' } }));

  if (loadError) return <Notice kind="error">{t('errorGeneric', { message: loadError })}</Notice>;
  if (!settings) return <p>{t('loading')}</p>;

  const value = (key: string) => settings[key]?.value;
  /** What a field shows: what is typed in it and not saved yet, or the value it was refused with until corrected; else the saved one. */
  const shownValue = (key: string) => (Object.hasOwn(drafts, key) ? drafts[key] : value(key));
  /**
   * Typing is kept as a draft: the page renders again whenever a save of another field answers,
   * and a field showing the saved value then would lose what is being typed in it.
   */
  const typing = (key: string) => ({
    onInput: (e: { currentTarget: HTMLInputElement }) => {
      const text = e.currentTarget.value;
      setDrafts((d) => ({ ...d, [key]: text }));
    },
    // Left unchanged: nothing to keep (a change saves first, and its answer clears the draft).
    onBlur: (e: { currentTarget: HTMLInputElement }) => {
      const text = e.currentTarget.value;
      setDrafts((d) => (d[key] === text && text === String(value(key) ?? '') ? Object.fromEntries(Object.entries(d).filter(([k]) => k !== key)) : d));
    },
  });
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
    const unusable = s?.fileUsable === false;
    return {
      id: `f-${key}`,
      name: key,
      disabled: readOnly,
      'aria-describedby': [`st-${key}`, ...(unusable ? [`fu-${key}`] : []), ...(readOnly ? [`lk-${key}`] : []), ...hints].join(' '),
      'aria-invalid': status[key]?.kind === 'error' || unusable ? true : undefined,
    };
  };
  /** Under a path the server cannot use: said as soon as it is saved (or the page loads), not at the next test. */
  const fileNote = (key: string) =>
    settings[key]?.fileUsable === false ? (
      <p class="hint file-unusable" id={`fu-${key}`}>
        {t(key === 'mail_smtptls_ca' ? 'fileUnusableCa' : 'fileUnusableProgram')}
      </p>
    ) : null;
  const lockNote = (key: string) => {
    const s = settings[key];
    if (!s?.locked && !s?.fileOnly) return null;
    return (
      <p class="hint locked" id={`lk-${key}`}>
        {/* Drawn, not the 🔒 emoji: a system without an emoji font shows that as an empty box. */}
        <svg class="lock-icon" aria-hidden="true" width="12" height="14" viewBox="0 0 12 14" fill="currentColor">
          <path fill-rule="evenodd" d="M2 6V4a4 4 0 0 1 8 0v2h1v8H1V6h1zm2 0h4V4a2 2 0 0 0-4 0v2z" />
        </svg>{' '}
        {s.fileOnly ? t('fileOnlyNote', { variable: `MAILROOM_${key.toUpperCase()}` }) : t('lockedBy', { source: t(s.lockedBy === 'env' ? 'lockedSource_env' : 'lockedSource_file') })}
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
        value={String(shownValue(key) ?? '')}
        {...typing(key)}
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
      {fileNote(key)}
      {lockNote(key)}
      <SaveStatus id={`st-${key}`} state={status[key]} />
    </div>
  );
  /** A choice among fixed values, saved when it is committed (Enter, leaving the field, a click). */
  const selectField = (key: string, label: MessageKey, options: readonly { value: string; label: string }[]) => (
    <div class="field">
      <label for={`f-${key}`}>{t(label)}</label>
      <CommitSelect field={common(key)} saved={String(shownValue(key))} onCommit={(v) => void save({ [key]: v })} onBrowse={(p) => browsing(key, p)}>
        {options.map((o) => (
          <option value={o.value} key={o.value}>
            {o.label}
          </option>
        ))}
      </CommitSelect>
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
      <ReputationWarning />
      <form class="settings" onSubmit={(e) => e.preventDefault()}>
        {selectField(
          'mail_smtpmode',
          'fieldSendMode',
          SEND_MODES.map((m) => ({ value: m, label: t(`sendMode_${m}` as MessageKey) })),
        )}

        {smtp &&
          selectField('mail_smtpsecure', 'fieldEncryption', [
            { value: '', label: t('encryption_none') },
            { value: 'ssl', label: t('encryption_ssl') },
            { value: 'tls', label: t('encryption_tls') },
          ])}
        {/* Under every encryption choice: with "None" STARTTLS is still used when offered, and the
            certificate checked, so a private CA is needed there too. */}
        {smtp && textField('mail_smtptls_ca', 'fieldTlsCa', { hint: 'fieldTlsCaHint', verbatim: true })}

        <fieldset class="field from">
          <legend>{t('fieldFromAddress')}</legend>
          {/* An address reads left to right in every language: local part, @, domain. */}
          <div class="inline" dir="ltr">
            <input {...common('mail_from_address')} aria-label={t('fieldFromLocal')} value={String(shownValue('mail_from_address') ?? '')} {...typing('mail_from_address')} onChange={(e) => void save({ mail_from_address: e.currentTarget.value })} />
            <span aria-hidden="true">@</span>
            <input {...common('mail_domain')} aria-label={t('fieldFromDomain')} value={String(shownValue('mail_domain') ?? '')} {...typing('mail_domain')} onChange={(e) => void save({ mail_domain: e.currentTarget.value })} />
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
            {auth &&
              selectField(
                'mail_smtpauthtype',
                'fieldAuthMethod',
                AUTH_TYPES.map((a) => ({ value: a, label: a })),
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
                {selectField('mail_smtpoauth_grant', 'fieldOAuthGrant', [
                  { value: 'refresh_token', label: t('oauthGrantRefreshToken') },
                  { value: 'client_credentials', label: t('oauthGrantClientCredentials') },
                ])}
                {textField('mail_smtpname', 'fieldUser', { hint: appOnly ? 'oauthAppUserHint' : 'oauthUserHint', verbatim: true })}
                {textField('mail_smtpoauth_token_url', 'fieldOAuthTokenUrl', { type: 'url', hint: 'fieldOAuthTokenUrlHint', verbatim: true })}
                <div class="two-even">
                  {textField('mail_smtpoauth_client_id', 'fieldOAuthClientId', { hint: 'fieldOAuthClientIdHint', verbatim: true })}
                  {secretField('mail_smtpoauth_client_secret', 'fieldOAuthClientSecret', { isSet: 'oauthClientSecretIsSet', notSet: appOnly ? 'oauthAppClientSecretNotSet' : 'oauthClientSecretNotSet' }, true)}
                </div>
                {appOnly ? textField('mail_smtpoauth_scope', 'fieldOAuthScope', { hint: 'fieldOAuthScopeHint', verbatim: true }) : secretField('mail_smtpoauth_refresh_token', 'fieldOAuthRefreshToken', { isSet: 'oauthRefreshTokenIsSet', notSet: 'oauthRefreshTokenNotSet' }, true)}
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

      <TestMail
        debug={value('mail_smtpdebug') === true}
        mode={String(mode)}
        server={`${String(value('mail_smtphost') ?? '')}${value('mail_smtpport') ? `:${String(value('mail_smtpport'))}` : ''}`}
        program={String(value(mode === 'qmail' ? 'mail_qmail_path' : 'mail_sendmail_path') ?? mode)}
        timeoutSeconds={Number(value('mail_smtptimeout') ?? 10)}
      />
      {smtp && (
        <Detect
          settings={settings}
          onApplied={async (keys) => {
            // What Detect saved replaces what was refused in those fields.
            setDrafts((d) => Object.fromEntries(Object.entries(d).filter(([key]) => !keys.includes(key))));
            setStatus((st) => Object.fromEntries(Object.entries(st).filter(([key]) => !keys.includes(key))));
            await load();
          }}
        />
      )}
    </>
  );
}

/**
 * While the test mail is under way: what it waits for, the limit, and how long it has waited.
 * The request answers once at the end, so the page names the steps it may be at rather than
 * guess which one.
 */
function TestProgress(props: { mode: string; server: string; program: string; timeoutSeconds: number }) {
  const { t } = useI18n();
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    const started = Date.now();
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(timer);
  }, []);
  if (props.mode === 'capture') return null;
  return (
    <p class="test-progress" role="status">
      {props.mode === 'smtp' ? t('testWaitingSmtp', { server: props.server, seconds: props.timeoutSeconds, elapsed }) : t('testWaitingProgram', { program: props.program, elapsed })}
    </p>
  );
}

function TestMail(props: { debug: boolean; mode: string; server: string; program: string; timeoutSeconds: number }) {
  const { t } = useI18n();
  const { to, setTo, busy, report, error, send } = useTestSend(async (address) => {
    try {
      return await api<TestMailReport>('POST', '/settings/mail/test', { ...(address ? { to: address } : {}), ...(props.debug ? { debug: true } : {}) });
    } catch (e) {
      // The server's words name the CLI's --to option; the page names its own field.
      if (e instanceof ApiError && e.code === 'no_recipient') throw new Error(t('testNoRecipient'));
      throw e;
    }
  });
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
      {busy && <TestProgress mode={props.mode} server={props.server} program={props.program} timeoutSeconds={props.timeoutSeconds} />}
      <div aria-live="polite" class="test-result">
        {error && <Notice kind="error">{error}</Notice>}
        {report?.ok && report.captured !== undefined && (
          <Notice kind="ok">
            {t('testCaptured', { id: report.captured })} <Link href="/admin/outbox/captured">{t('testCapturedOpen')}</Link>
          </Notice>
        )}
        {report?.ok && report.captured === undefined && <Notice kind="ok">{t('testOk', { to: report.to, via: report.via ?? report.mode, response: report.response ?? '' })}</Notice>}
        {report && !report.ok && <TestFailure report={report} goTo={goToField} />}
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
            <summary>{t(report.mode === 'smtp' ? 'testTranscript' : 'testTranscriptProgram')}</summary>
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

/** What Detect answers: the server's own shapes (one server's report, and each server's of a failover list). */
type DetectHostReport = ApiDetectReport;
type DetectReport = ApiDetectListReport;

/** What Detect found, and what applying it would change. */
interface DetectProposal {
  report: DetectReport;
  notes: string[];
  changes: Array<{ key: string; from: Value | null; to: string | number | boolean }>;
  untrusted: boolean;
  /** How many servers the failover list holds that the proposal keeps, or replaces. */
  listKept?: number;
  listReplaced?: number;
}

/** The labels of the settings Detect may change, as the form above names them. */
const DETECT_LABELS: Record<string, MessageKey> = {
  mail_smtphost: 'fieldServer',
  mail_smtpport: 'fieldPort',
  mail_smtpsecure: 'fieldEncryption',
  mail_smtpauth: 'fieldAuthRequired',
  mail_smtpauthtype: 'fieldAuthMethod',
};

/**
 * "Detect settings": probes the server (every server of a failover list), shows what it found
 * (ports, TLS, AUTH methods, the certificate) and what applying it would change, field by field,
 * and saves only on Apply. A failover list is probed server by server and kept as it is.
 */
function Detect(props: { settings: Settings; onApplied: (keys: string[]) => Promise<void> }) {
  const { t, language } = useI18n();
  const savedHost = String(props.settings['mail_smtphost']?.value ?? '');
  const [host, setHost] = useState(savedHost);
  // Follows the server field above until the admin types a host here.
  const [typed, setTyped] = useState(false);
  useEffect(() => {
    if (!typed) setHost(savedHost);
  }, [savedHost]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [proposal, setProposal] = useState<DetectProposal | null>(null);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'error' | 'info'; text: string } | null>(null);
  const wordNotes = (report: DetectHostReport) => report.findings.map((finding, i) => inPageWords(wordFinding(finding, report.notes[i] ?? '', language, t), t));
  const run = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setOutcome(null);
    setProposal(null);
    try {
      const report = await api<DetectReport>('POST', '/settings/mail/detect', { host: host.trim() });
      const recommended = report.recommended ?? {};
      const changes = Object.entries(recommended)
        .map(([key, to]) => ({ key, from: props.settings[key]?.value ?? null, to }))
        .filter((c) => String(c.from ?? '') !== String(c.to));
      // Settings that only work once the certificate is trusted are not "working" yet.
      const chosen = (report.hosts?.find((h) => h.recommended) ?? report).probes.find((p) => p.port === recommended['mail_smtpport']);
      const servers = savedHost.split(';').filter((h) => h.trim() !== '').length;
      const newHost = recommended['mail_smtphost'];
      const listed = typeof newHost === 'string' ? newHost.split(';').length : 0;
      setProposal({
        report,
        // With a list, each server's notes are shown under its name; here only what concerns the list.
        notes: report.hosts && report.hosts.length > 1 ? wordNotes(report).filter((_, i) => report.findings[i]?.kind === 'failover_differs') : wordNotes(report),
        changes,
        untrusted: chosen?.certificate !== undefined && !chosen.certificate.valid,
        ...(listed > 1 ? { listKept: listed } : {}),
        ...(servers > 1 && listed === 1 ? { listReplaced: servers } : {}),
      });
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    if (!proposal) return;
    setBusy(true);
    try {
      await api('PATCH', '/settings/mail', Object.fromEntries(proposal.changes.map((c) => [c.key, c.to])));
      await props.onApplied(proposal.changes.map((c) => c.key));
      setProposal(null);
      setOutcome({ kind: 'ok', text: t('detectApplied') });
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  /** A value as the form shows it: the encryption by its choice's name, yes/no for a checkbox. */
  const shown = (key: string, v: Value | null) => (key === 'mail_smtpsecure' ? t(`encryption_${v === 'ssl' || v === 'tls' ? v : 'none'}` as MessageKey) : v === null || v === '' ? t('detectUnset') : typeof v === 'boolean' ? t(v ? 'yes' : 'no') : String(v));
  const report = proposal?.report;
  return (
    <section class="panel" aria-labelledby="detect-title">
      <h2 id="detect-title">{t('detectTitle')}</h2>
      <form onSubmit={run} class="inline-form">
        <div class="field">
          <label for="detect-host">{t('detectHost')}</label>
          <input
            id="detect-host"
            value={host}
            spellcheck={false}
            autocapitalize="off"
            onInput={(e) => {
              setTyped(true);
              setHost(e.currentTarget.value);
            }}
          />
        </div>
        <button type="submit" disabled={busy || host.trim() === ''}>
          {busy && !proposal ? t('detectRunning') : t('detectRun')}
        </button>
      </form>
      <div aria-live="polite">
        {error && <Notice kind="error">{error}</Notice>}
        {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
        {proposal && report && (
          <>
            <Notice kind={!report.recommended || proposal.untrusted ? 'error' : 'ok'}>{!report.recommended ? t('detectNone') : proposal.untrusted ? t('detectFoundUntrusted') : t('detectFound')}</Notice>
            <div class="detect-summary">
              <h3>{t('detectSummary')}</h3>
              {(report.hosts ?? [report]).map((h) => (
                <DetectServerFacts key={h.host} report={h} />
              ))}
            </div>
            {proposal.notes.length > 0 && (
              <ul class="notes">
                {proposal.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            )}
            {report.hosts && report.hosts.length > 1 && report.hosts.some((h) => h.notes.length > 0) && <ul class="notes host-notes">{report.hosts.flatMap((h) => wordNotes(h).map((n) => <li key={`${h.host} ${n}`}>{`${h.host}: ${n}`}</li>))}</ul>}
            {report.recommended && (
              <div class="detect-proposal">
                {proposal.changes.length === 0 ? (
                  <p>{t('detectNoChanges')}</p>
                ) : (
                  <>
                    <p id="detect-changes-title">{t('detectChanges')}</p>
                    <table class="detect-changes" aria-labelledby="detect-changes-title">
                      <tbody>
                        {proposal.changes.map((c) => (
                          <tr key={c.key}>
                            <th scope="row">{DETECT_LABELS[c.key] ? t(DETECT_LABELS[c.key] as MessageKey) : c.key}</th>
                            <td>
                              <del>{shown(c.key, c.from)}</del> → <ins>{shown(c.key, c.to)}</ins>
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </>
                )}
                {proposal.listKept !== undefined && <p class="hint">{t('detectListKept', { count: proposal.listKept })}</p>}
                {proposal.listReplaced !== undefined && <Notice kind="info">{t('detectReplacesList', { count: proposal.listReplaced })}</Notice>}
                <div class="actions">
                  {proposal.changes.length > 0 && (
                    <button type="button" class="primary" disabled={busy} onClick={() => void apply()}>
                      {t('detectApply')}
                    </button>
                  )}
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => {
                      setProposal(null);
                      setOutcome({ kind: 'info', text: t('detectCancelled') });
                    }}
                  >
                    {proposal.changes.length > 0 ? t('cancel') : t('close')}
                  </button>
                </div>
              </div>
            )}
          </>
        )}
      </div>
    </section>
  );
}

/** One server's facts: per port, the TLS it offers, its AUTH methods and its certificate. */
function DetectServerFacts(props: { report: DetectHostReport }) {
  const { t } = useI18n();
  return (
    <div class="detect-server">
      <h4>{t('detectServer', { host: props.report.host })}</h4>
      <dl>
        {props.report.probes.map((p) => (
          <div key={p.port} class="detect-port">
            <dt>{t('detectPort', { port: p.port })}</dt>
            <dd>
              {!p.reachable ? (
                t('detectNotReachable', { reason: p.error?.message ?? '' })
              ) : !p.security ? (
                t('detectNoSmtp', { reason: p.error?.message ?? '' })
              ) : (
                <>
                  <span class="tls">{t(`detectSecurity_${p.security}` as MessageKey)}</span>
                  {'; '}
                  {t('detectAuth')}: {p.authMethods.length > 0 ? p.authMethods.join(' ') : t('detectAuthNone')}
                  {p.error && <> ({p.error.message})</>}
                  {p.certificate && (
                    <ul class="certificate">
                      <li>
                        {t('detectCertificate')}: {p.certificate.subject ?? ''} ({p.certificate.valid ? t('detectCertTrusted') : t('detectCertUntrusted', { reason: p.certificate.error ?? '' })})
                      </li>
                      {p.certificate.validTo && (
                        <li>
                          {t('detectCertExpires')}: <time dateTime={p.certificate.validTo}>{p.certificate.validTo}</time>
                        </li>
                      )}
                      {p.certificate.fingerprint256 && (
                        <li>
                          {t('detectCertFingerprint')}: <code class="fingerprint">{p.certificate.fingerprint256}</code>
                        </li>
                      )}
                    </ul>
                  )}
                </>
              )}
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
