/**
 * The shapes of the API's answers that the web interface reads, written once: the server code
 * that produces them and the pages both import them (types only, and nothing that needs Node.js,
 * so the browser bundle may import this file). A field renamed here fails the web interface's
 * type check instead of leaving a copy of the old shape behind in a page.
 */
import type { Language } from './languages.ts';
import type { User } from './user.ts';

// ── Templates (GET/PUT/DELETE /api/v1/templates/…) ──────────────────────────────────────────────

/** The three parts of a template; an empty `text` is derived from the HTML when sending. */
export interface TemplateParts {
  subject: string;
  html: string;
  text: string;
}

/**
 * What a version records: 'set' (an admin's save), 'restore' (the parts of an older version saved
 * again) or 'reset' (the shipped default back in force; such a version has no parts of its own).
 */
export type TemplateVersionAction = 'set' | 'reset' | 'restore';

/** One entry of GET /templates. The server narrows `name` to the names it ships. */
export interface TemplateSummary<Name extends string = string> {
  name: Name;
  lang: Language;
  description: string;
  /** True while an admin's version is in force (the newest version is a 'set' or a 'restore'). */
  customized: boolean;
  /** When and by whom the template was last set or reset; null when it never was. */
  updatedAt: string | null;
  updatedBy: string | null;
  /** What the template may use, as dotted paths (`user.display_name`, `activities[].link`). */
  variables: string[];
}

export interface TemplateVersionInfo {
  id: number;
  action: TemplateVersionAction;
  createdBy: string;
  createdAt: string;
  /**
   * Only on a 'restore': the version it restored. Not stored (the table has no column for it):
   * it is the newest earlier 'set' with the very same parts, which is the restored version or
   * one identical to it.
   */
  restoredFrom?: number;
}

/** A version as the API (GET …/versions/:id → { version }) and `template:get --version ID --json` show it. */
export interface TemplateVersionJson {
  id: number;
  action: TemplateVersionAction;
  createdBy: string;
  createdAt: string;
  subject: string;
  html: string;
  text: string;
  restoredFrom?: number;
}

/** GET, PUT and DELETE /templates/:name/:lang, and a restore. */
export interface TemplateDetail<Name extends string = string> {
  name: Name;
  lang: Language;
  description: string;
  variables: string[];
  customized: boolean;
  /** The parts in force: the newest version when it is a 'set' or 'restore', else the shipped default. */
  parts: TemplateParts;
  /** Newest first. */
  versions: TemplateVersionInfo[];
}

/** POST /templates/:name/:lang/preview. */
export interface TemplatePreview {
  subject: string;
  /** The rendered HTML with the layout around it (absent with format 'text'). */
  html?: string;
  /** The text part, or the text derived from the rendered HTML when the part is empty (absent with format 'html'). */
  text?: string;
}

// ── Stored messages (the outbox's and the captured mails' headers and parts) ───────────────────

/** A header as it stands in the message, unfolded; `decoded` too when it holds RFC 2047 encoded words. */
export interface MessageHeader {
  name: string;
  value: string;
  decoded?: string;
}

/** A leaf of the message; `text` for text/* parts but HTML, `html` for text/html. */
export interface MessagePart {
  /** Lower case, `text/plain` when the part names none. */
  contentType: string;
  /** As the part declares it (`utf-8`), or null when it declares none. */
  charset: string | null;
  /** Lower case, `7bit` when the part names none. */
  transferEncoding: string;
  /** Bytes after undoing the transfer encoding. */
  size: number;
  text?: string;
  html?: string;
}

// ── A test mail sent (POST /api/v1/settings/mail/test, /templates/:name/:lang/test) ───────────

/**
 * Which settings a diagnosis concerns, as stable keys: the CLI names them as keys, the web page
 * by the labels of its fields. `to`: the value the first of them should take, when it is known.
 * `detect`: "Detect settings" (mail:detect) would find the right values.
 */
export interface DiagnosisFix {
  readonly settings: readonly string[];
  readonly to?: string;
  readonly detect?: boolean;
}

/** One server that was tried for a send, in order, and why it was left if it was. The server narrows `Code` to its error codes. */
export interface HostAttempt<Code extends string = string> {
  readonly host: string;
  readonly skipped?: 'cooling_down';
  readonly error?: { readonly code: Code; readonly message: string };
}

/** What a test mail's send reports. The server narrows `Code` to its error codes. */
export interface TestMailReport<Code extends string = string> {
  ok: boolean;
  to: string;
  mode: string;
  /** Which server or program took the mail. */
  via?: string;
  /** The server's final reply, verbatim. */
  response?: string;
  attempts: readonly HostAttempt<Code>[];
  /** The protocol conversation, credentials masked; only with debug on. */
  transcript?: string;
  /** Mode capture: the captured mail's number; nothing was sent. */
  captured?: number;
  /**
   * `message` in the CLI's words (setting keys); `problem` without them and `fix` naming the
   * settings concerned, for a page to word with its own labels.
   */
  error?: { code: Code; message: string; reply?: string; problem?: string; fix?: DiagnosisFix };
}

// ── Test mails (GET /api/v1/test-mails) ─────────────────────────────────────────────────────────

/** One test mail as the Outbox page lists it. */
export interface TestMailRecord {
  id: number;
  template: string;
  recipient: string;
  subject: string;
  mode: string;
  ok: boolean;
  via: string | null;
  response: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: number;
}

// ── Detect settings (POST /api/v1/settings/mail/detect) ─────────────────────────────────────────

export type ProbeSecurity = 'plain' | 'starttls' | 'implicit_tls';

export type ProbeErrorCode = 'refused' | 'not_found' | 'unreachable' | 'timeout' | 'closed' | 'not_smtp' | 'greeting_refused' | 'hello_refused' | 'tls_failed' | 'error';

/** A server's certificate, judged. */
export interface CertificateCheck {
  /** Whether Mailroom would accept it: chain trusted (under the given CA, if any) and host name covered. */
  valid: boolean;
  /** Node's code for the first problem: the chain's authorizationError, else ERR_TLS_CERT_ALTNAME_INVALID. */
  error?: string;
  subject?: string;
  issuer?: string;
  /** ISO 8601 when Node's date parses, else as OpenSSL printed it. */
  validTo?: string;
  /** SHA-256 of the certificate (DER), as colon-separated hex: what an admin compares with the server's own. */
  fingerprint256?: string;
  selfSigned: boolean;
  /** Whether the certificate covers the host name the socket was opened for, whatever the chain's state. */
  hostnameMatches: boolean;
  /** The DNS names and IP addresses the certificate covers, for telling the admin which host name to use. */
  names: string[];
}

type ProbeError = { code: ProbeErrorCode; message: string };
type Secure = '' | 'ssl' | 'tls';

/**
 * What `mail:detect` found that an admin should act on, as a kind and its facts: the web
 * interface words each kind in the admin's language (the report carries the English too).
 */
export type DetectFinding =
  /** Something answered on the port, but no SMTP session came of it. */
  | { kind: 'port_failed'; port: number; error: ProbeError }
  /** An SMTP server answered, then failed (EHLO refused, TLS broken, …). */
  | { kind: 'port_unusable'; port: number; error: ProbeError }
  | { kind: 'port_25_blocked'; port: 25 }
  | { kind: 'host_not_found'; host: string }
  | { kind: 'no_answer'; ports: number[] }
  | { kind: 'no_working_port' }
  | { kind: 'no_tls'; withPassword: boolean }
  | { kind: 'certificate_self_signed'; port: number }
  | { kind: 'certificate_issuer_untrusted'; port: number; issuer?: string }
  | { kind: 'certificate_expired'; port: number; validTo?: string }
  | { kind: 'certificate_not_yet_valid'; port: number }
  | { kind: 'certificate_wrong_name'; port: number; host: string; names: string[] }
  | { kind: 'certificate_untrusted'; port: number; reason?: string }
  | { kind: 'ca_checked' }
  | { kind: 'auth_unsupported'; port: number; methods: string[] }
  | { kind: 'no_auth'; port: number }
  /**
   * A server of a failover list that works only with another port or encryption than the settings
   * chosen for the list (`listSecure`): another port can be written into the list, another
   * encryption cannot (one mail_smtpsecure serves every server).
   */
  | { kind: 'failover_differs'; host: string; port: number; secure: Secure; listSecure: Secure };

// ── Captured mails (GET /api/v1/captured, /captured/:id) ────────────────────────────────────────

/** A mail kept instead of sent while the mode is `capture`, without its message. */
export interface CapturedMailSummary {
  id: number;
  messageId: string;
  envelopeFrom: string;
  envelopeTo: string[];
  subject: string;
  createdAt: string;
}

/** One captured mail: its headers and parts read from the message, one-time links masked. */
export interface CapturedMailView extends CapturedMailSummary {
  headers: MessageHeader[];
  parts: MessagePart[];
  masked: boolean;
}

// ── Owed mails (GET /api/v1/outbox/owed, /outbox/owed/:key) ─────────────────────────────────────

/** An owed mail that failed to render, with the code and message of why. */
export interface FailedOwedMail {
  id: number;
  kind: string;
  code: string;
  message: string;
  attempts: number;
  createdAt: number;
  updatedAt: number;
}

/** Mails requests owe that no worker has rendered yet, and those that failed to render. */
export interface OwedMailsView {
  owed: number;
  failed: number;
  failed_mails: FailedOwedMail[];
}

/** Where the mail owed under a key is now: still owed, failed to render, or queued as an outbox mail. */
export type OwedMailWhereabouts = { key: string; state: 'owed' } | { key: string; state: 'failed'; error: { code: string; message: string } } | { key: string; state: 'queued'; id: number };

// ── The outbox (GET /api/v1/outbox, /outbox/:id; POST /outbox/retry, /outbox/cancel) ─────────────

/** The life of an outbox mail (domain/outbox.ts lists them as OUTBOX_STATES). */
export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled';

/** What the server said to each recipient of a mail with several. */
export interface RecipientResult {
  address: string;
  status: 'accepted' | 'rejected';
  reply?: string;
}

/** A queued mail as the outbox lists it. */
export interface OutboxRow {
  id: number;
  messageId: string;
  kind: string;
  envelopeFrom: string;
  recipients: string[];
  subject: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastReply: string | null;
  acceptedBy: string | null;
  /** Only for mails with several recipients. */
  recipientResults: RecipientResult[] | null;
  idempotencyKey: string | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/** One attempt to deliver a mail. */
export interface OutboxAttempt {
  attempt: number;
  at: number;
  host: string | null;
  outcome: string;
  code: string | null;
  message: string | null;
  reply: string | null;
}

/** What a request on several mails answers for each (retry, cancel). */
export type BatchOutcome = { id: number; ok: true; state: string } | { id: number; ok: false; error: { code: string; message: string } };

// ── People and settings (GET /api/v1/users, /session, /settings/mail; the mailed links' checks) ──

/**
 * A user as the API, the CLI and the UI show it: never the password hash, only whether there is
 * one (false for an invited user who has not followed the link yet).
 */
export type PublicUser = Omit<User, 'password_hash'> & { password_set: boolean };

/** A welcome mail that was sent (`POST /users`, `POST /users/:uid/invitation`). */
export interface InvitationSent {
  email: string;
  expires_at: string;
  /** The owed mail's key: GET /api/v1/outbox/owed/:key says whether it is rendered, and its outbox id. */
  mail_key: string;
}

/** Whom a link from a mail is for (the invitation, reset and address-change checks): the address comes masked. */
export interface LinkHolder {
  uid: string;
  display_name: string;
  email: string;
  language: string;
}

export type SettingSource = 'default' | 'database' | 'file' | 'env';

/** A setting as the API, the CLI and the UI show it: secrets only say whether they are set. */
export interface SettingView<Key extends string = string, Value = string | number | boolean> {
  key: Key;
  value: Value | null;
  isSet: boolean;
  secret: boolean;
  source: SettingSource;
  locked: boolean;
  lockedBy?: 'file' | 'env';
  /** Names a program Mailroom runs: only the config file or the environment sets it. */
  fileOnly: boolean;
  /** For a setting that names a file on the server and is set: whether Mailroom can use that file. */
  fileUsable?: boolean;
}

// ── Detect settings (POST /api/v1/settings/mail/detect) ────────────────────────────────────────

/** What a probe of one port found. */
export interface PortProbe {
  port: number;
  /** True once the TCP connection was accepted, even if what answered was not SMTP. */
  reachable: boolean;
  error?: { code: ProbeErrorCode; message: string };
  /** Set only once an SMTP greeting (220) came over that layer. */
  security?: ProbeSecurity;
  banner?: string;
  /** EHLO keywords of the final session (after TLS where there was TLS), upper-case. */
  extensions: string[];
  /** AUTH methods of the final session, upper-case. */
  authMethods: string[];
  /** AUTH methods offered over the unencrypted connection: a password sent with them can be read on the way. */
  authBeforeTls: string[];
  certificate?: CertificateCheck;
}

/** What "Detect settings" answers for one server. */
export interface DetectReport<Recommended = Record<string, string | number | boolean>> {
  host: string;
  probes: PortProbe[];
  recommended?: Recommended;
  /** What the admin should know or do, as data: the web interface words it in the admin's language. */
  findings: DetectFinding[];
  /** The same findings as English sentences, in the same order. */
  notes: string[];
}

/** For a failover list: the first server's report, and each server's own in `hosts`. */
export interface DetectListReport<Recommended = Record<string, string | number | boolean>> extends DetectReport<Recommended> {
  hosts: DetectReport<Recommended>[];
}

// ── Bounces (GET /api/v1/bounces, the outbox mail's `bounces`) and the activity stream ──────────

/** hard: the address is dead; soft: a delay; policy: the instance was refused; complaint: marked as spam. */
export type BounceKind = 'hard' | 'soft' | 'policy' | 'complaint';

/** A bounce recorded against one recipient of a sent mail. */
export interface BounceRecord {
  id: number;
  mailId: number;
  address: string;
  kind: BounceKind;
  format: string;
  action: string | null;
  status: string | null;
  diagnostic: string | null;
  reportingMta: string | null;
  receivedAt: number;
}

/** An address's bounce score and what its last bounce said. */
export interface BounceScoreRecord {
  address: string;
  /** As it stands now: 0 once the score has decayed. */
  score: number;
  lastBounceAt: number;
  lastKind: BounceKind;
  lastStatus: string | null;
  lastDiagnostic: string | null;
  lastMailId: number;
}

/** GET /api/v1/bounces: each address's score (suppressed at the threshold), and the reputation warning. */
export interface BouncesAnswer {
  threshold: number;
  addresses: Array<BounceScoreRecord & { suppressed: boolean }>;
  reputation: { count: number; last: BounceRecord } | null;
}

/** One entry of a user's activity stream (GET /api/v1/me/activities), its sentence in their language. */
export interface StreamActivity {
  id: number;
  type: string;
  subject: string;
  actor: string | null;
  own: boolean;
  object: { type: string; name: string };
  link: string | null;
  /** ISO 8601. */
  time: string;
  /** Whether it went out by mail too (in a digest or a share mail). */
  mailed: boolean;
}
