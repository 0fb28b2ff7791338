import { MailroomError, type ErrorCode } from '../errors.ts';
import type { Settings } from '../config/settings-schema.ts';
import { openTlsSocket } from './smtp-wire.ts';
import { TransportError, type DiagnosisFix, type FailureKind } from './transport.ts';

/** How far a send got when it failed. */
export type SmtpPhase = 'connect' | 'auth' | 'send';

export interface DiagnosisContext {
  phase: SmtpPhase;
  target: { host: string; port: number; label: string };
  settings: Pick<Settings, 'mail_smtpsecure' | 'mail_smtpauth' | 'mail_smtpauthtype' | 'mail_smtptimeout' | 'mail_smtpname' | 'mail_smtpoauth_grant'>;
  timeoutMs?: number;
}

/** The fields nodemailer puts on its errors, and Node's on system errors. */
interface ErrorFields {
  message: string;
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  cause?: unknown;
}

function fieldsOf(error: unknown): ErrorFields {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const e = error as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    message: str(e.message) ?? String(error),
    code: str(e.code),
    originalCode: str(e.originalCode),
    response: str(e.response),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    command: str(e.command),
    cause: e.cause,
  };
}

/** Every code and message along the cause chain, since TLS errors arrive wrapped. */
function chainText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const f = fieldsOf(current);
    parts.push(f.message, f.code ?? '', f.originalCode ?? '');
    current = f.cause;
  }
  return parts.join(' ');
}

const untrustedCert = /self[- ]signed certificate|unable to get local issuer certificate|unable to verify the first certificate|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i;
const invalidCert = /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|Hostname\/IP does not match|CERT_HAS_EXPIRED|certificate has expired|CERT_NOT_YET_VALID/i;
const plainSpokenToTls = /wrong version number|packet length too long|unknown protocol|WRONG_VERSION_NUMBER|record layer failure|http request/i;
const authRelated = /relay access denied|authentication required|auth(entication)? (is )?required|must (authenticate|issue an AUTH)|not authenticated|5\.7\.0|5\.7\.1|^530/i;

/**
 * A diagnosis in parts: the problem, the settings that fix it (for the page to name by its
 * labels) and the CLI's words for that fix, which follow the problem in the error's message.
 */
interface Said {
  problem: string;
  fix: DiagnosisFix;
  cli: string;
}

const said = (problem: string, fix: DiagnosisFix, cli: string): Said => ({ problem, fix, cli });

function failure(code: ErrorCode, diagnosis: string | Said, kind: FailureKind, f: ErrorFields, ctx: DiagnosisContext, cause: unknown, command?: string): TransportError {
  const permanent = (kind === 'envelope' || kind === 'message') && (f.responseCode ?? 0) >= 500;
  const cmd = command ?? f.command;
  const message = typeof diagnosis === 'string' ? diagnosis : `${diagnosis.problem}: ${diagnosis.cli}`;
  const parts = typeof diagnosis === 'string' ? {} : { problem: diagnosis.problem, fix: diagnosis.fix };
  return new TransportError(code, message, { kind, permanent, host: ctx.target.label, ...(f.response ? { reply: f.response.trim() } : {}), ...(cmd ? { command: cmd } : {}), ...parts }, { cause });
}

/** Does the port answer a TLS handshake? Tells "STARTTLS against an implicit-TLS port" from a dead server. */
async function speaksImplicitTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  try {
    // Any certificate will do: the question is only whether TLS answers.
    const socket = await openTlsSocket({ host, port, ca: undefined, rejectUnauthorized: false }, timeoutMs);
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns whatever a send threw into a TransportError whose code names the cause and whose
 * message says what to change. The one place that knows nodemailer's and Node's error shapes.
 */
export async function classifySmtpError(error: unknown, ctx: DiagnosisContext): Promise<TransportError> {
  if (error instanceof TransportError) return error;
  const f = fieldsOf(error);
  const where = ctx.target.label;
  const secure = ctx.settings.mail_smtpsecure;
  const text = chainText(error);
  const reply = f.response ? ` (server said: ${f.response.trim().split(/\r?\n/).pop()})` : '';

  // Our own errors from inside nodemailer callbacks (the OAuth token provider).
  const ours = findMailroomError(error);
  if (ours) return failure(ours.code, ours.message, ours.code.startsWith('oauth_') ? 'auth' : 'config', f, ctx, error, 'AUTH');

  if (f.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(text)) {
    return failure('smtp_host_not_found', said(`The server name "${ctx.target.host}" does not resolve`, { settings: ['mail_smtphost'] }, 'check mail_smtphost'), 'connection', f, ctx, error, 'CONN');
  }
  if (/ECONNREFUSED/.test(text)) {
    return failure('smtp_connection_refused', said(`Nothing accepts connections at ${where}`, { settings: ['mail_smtphost', 'mail_smtpport'], detect: true }, 'check mail_smtphost and mail_smtpport, and that the mail server is running'), 'connection', f, ctx, error, 'CONN');
  }
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) {
    return failure('smtp_connection_refused', said(`${where} cannot be reached (no route to host)`, { settings: ['mail_smtphost'] }, 'check mail_smtphost and the network'), 'connection', f, ctx, error, 'CONN');
  }
  if (secure === 'ssl' && plainSpokenToTls.test(text)) {
    return failure('smtp_tls_on_plain_port', said(`${where} speaks plain SMTP, not implicit TLS`, { settings: ['mail_smtpsecure', 'mail_smtpport'], to: 'tls', detect: true }, "set mail_smtpsecure to tls (STARTTLS), or use the server's implicit-TLS port (usually 465)"), 'tls', f, ctx, error, 'CONN');
  }
  if (untrustedCert.test(text)) {
    return failure('smtp_certificate_untrusted', said(`The certificate of ${where} is self-signed or from a CA this machine does not trust`, { settings: ['mail_smtptls_ca'] }, 'save the CA certificate (PEM) on this machine and set mail_smtptls_ca to its path'), 'tls', f, ctx, error, 'TLS');
  }
  if (invalidCert.test(text)) {
    const expired = /expired|NOT_YET_VALID/i.test(text);
    return failure(
      'smtp_certificate_invalid',
      expired ? `The certificate of ${where} has expired or is not yet valid: renew it on the server` : said(`The certificate of ${where} is not for "${ctx.target.host}"`, { settings: ['mail_smtphost'] }, 'use the host name the certificate names in mail_smtphost'),
      'tls',
      f,
      ctx,
      error,
      'TLS',
    );
  }
  if (f.code === 'ETLS' && f.command === 'STARTTLS' && f.responseCode !== undefined) {
    return failure('smtp_starttls_unavailable', said(`${where} does not offer STARTTLS${reply}`, { settings: ['mail_smtpsecure', 'mail_smtpport'], detect: true }, "mail_smtpsecure is tls: use the server's TLS port with mail_smtpsecure ssl, or a server that supports STARTTLS"), 'tls', f, ctx, error);
  }
  if (f.code === 'ETIMEDOUT' || /ETIMEDOUT|timed? ?out/i.test(f.message)) {
    if (ctx.phase === 'connect' && secure !== 'ssl' && (await speaksImplicitTls(ctx.target.host, ctx.target.port, Math.min(ctx.timeoutMs ?? 5000, 5000)))) {
      return failure('smtp_plain_on_tls_port', said(`${where} expects implicit TLS from the first byte`, { settings: ['mail_smtpsecure', 'mail_smtpport'], to: 'ssl', detect: true }, "set mail_smtpsecure to ssl (or use the server's STARTTLS port, usually 587, with tls)"), 'tls', f, ctx, error, 'CONN');
    }
    const stage = ctx.phase === 'connect' ? 'connect or greet' : ctx.phase === 'auth' ? 'answer the login' : 'answer';
    return failure(
      'smtp_timeout',
      said(`${where} did not ${stage} within ${ctx.settings.mail_smtptimeout} s`, { settings: ['mail_smtphost', 'mail_smtpport', 'mail_smtptimeout'], detect: true }, 'check mail_smtphost, mail_smtpport and any firewall, or raise mail_smtptimeout if the server is slow (e.g. it scans for spam)'),
      'timeout',
      f,
      ctx,
      error,
    );
  }
  if (f.command === 'CONN' && f.responseCode !== undefined && f.responseCode >= 400) {
    return failure('smtp_greeting_refused', `${where} refused the connection${reply}: the server is busy or refuses this client`, 'connection', { ...f }, ctx, error, 'GREETING');
  }
  if (f.code === 'ENOAUTH_MECHANISM') {
    const offered = /it offers (.+)$/.exec(f.message)?.[1];
    return failure(
      'smtp_auth_mechanism_unavailable',
      offered
        ? said(`${where} does not offer AUTH ${ctx.settings.mail_smtpauthtype}; it offers ${offered}`, { settings: ['mail_smtpauthtype'], detect: true }, 'set mail_smtpauthtype to one of them')
        : secure === 'ssl' || secure === 'tls'
          ? said(`${where} offers no authentication on this connection`, { settings: ['mail_smtpauth'] }, 'turn mail_smtpauth off if this server needs none')
          : said(`${where} offers no authentication on this connection (many servers offer it only after TLS)`, { settings: ['mail_smtpsecure', 'mail_smtpauth'], to: 'tls', detect: true }, 'set mail_smtpsecure to tls; or turn mail_smtpauth off if this server needs none'),
      'auth',
      f,
      ctx,
      error,
      'AUTH',
    );
  }
  if (f.code === 'EAUTH' || f.code === 'ENOAUTH') {
    if ((f.responseCode === 504 || /not (supported|available)|unrecognized authentication|unknown authentication/i.test(f.response ?? '')) && f.responseCode !== 535) {
      return failure('smtp_auth_mechanism_unavailable', said(`${where} does not accept AUTH ${ctx.settings.mail_smtpauthtype}${reply}`, { settings: ['mail_smtpauthtype'], detect: true }, 'choose another mail_smtpauthtype'), 'auth', f, ctx, error, 'AUTH');
    }
    if (ctx.settings.mail_smtpauthtype !== 'XOAUTH2') {
      // The reply ends the CLI's message, as it always has; the page shows it on its own.
      return failure('smtp_auth_failed', said(`${where} refused the user name or password`, { settings: ['mail_smtpname', 'mail_smtppassword'] }, `check mail_smtpname and mail_smtppassword${reply}`), 'auth', f, ctx, error, 'AUTH');
    }
    const what =
      ctx.settings.mail_smtpoauth_grant === 'client_credentials'
        ? `the OAuth access token of the app for ${ctx.settings.mail_smtpname} (check that the app has the SMTP.SendAsApp permission with admin consent, and that its service principal may send as that mailbox)`
        : 'the OAuth access token (check the account, the app registration and its SMTP.Send permission)';
    return failure('smtp_auth_failed', `${where} refused ${what}${reply}`, 'auth', f, ctx, error, 'AUTH');
  }
  if (f.code === 'EENVELOPE') {
    const isSender = /^MAIL/i.test(f.command ?? '');
    if (!ctx.settings.mail_smtpauth && authRelated.test(f.response ?? '')) {
      return failure('smtp_auth_required', said(`${where} requires authentication${reply}`, { settings: ['mail_smtpauth', 'mail_smtpname', 'mail_smtppassword'] }, 'turn on mail_smtpauth and set mail_smtpname and mail_smtppassword'), 'auth', f, ctx, error);
    }
    if (isSender) {
      return failure('smtp_sender_rejected', said(`${where} refused the sender address${reply}`, { settings: ['mail_from_address', 'mail_domain'] }, 'set mail_from_address and mail_domain to an address this server lets you send as'), 'envelope', f, ctx, error, 'MAIL FROM');
    }
    return failure('smtp_recipient_rejected', `${where} refused the recipient${reply}`, 'envelope', f, ctx, error, 'RCPT TO');
  }
  if (f.code === 'EMESSAGE') {
    return failure('smtp_message_rejected', `${where} refused the message${reply}`, 'message', f, ctx, error, 'DATA');
  }
  if (f.code === 'ETLS' || /TLS|SSL/i.test(f.message)) {
    return failure('smtp_tls_failed', `TLS with ${where} failed: ${f.message}`, 'tls', f, ctx, error);
  }
  if (f.code === 'EPROTOCOL') {
    return failure('smtp_protocol_error', said(`${where} does not answer like an SMTP server${reply}`, { settings: ['mail_smtphost', 'mail_smtpport'], detect: true }, 'check mail_smtphost and mail_smtpport'), 'connection', f, ctx, error);
  }
  if (f.code === 'ECONNECTION' || f.code === 'ESOCKET' || /ECONNRESET|EPIPE|closed/i.test(text)) {
    if (ctx.phase === 'connect' && secure === 'ssl') {
      return failure('smtp_tls_failed', said(`${where} closed the connection during the TLS handshake`, { settings: ['mail_smtpport', 'mail_smtpsecure'], detect: true }, 'check that this port speaks implicit TLS, or set mail_smtpsecure to tls'), 'tls', f, ctx, error, 'CONN');
    }
    return failure('smtp_connection_lost', `${where} closed the connection unexpectedly${reply}`, 'connection', f, ctx, error);
  }
  return failure('smtp_protocol_error', `Sending through ${where} failed: ${f.message}`, 'connection', f, ctx, error);
}

function findMailroomError(error: unknown): MailroomError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof MailroomError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
