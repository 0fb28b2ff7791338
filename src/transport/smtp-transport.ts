import SMTPConnection, { type SMTPConnectionAuth, type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';
import ntlmAuth from 'nodemailer-ntlm-auth';
import tls from 'node:tls';
import { MailroomError } from '../errors.ts';
import { parseHostList, type Settings } from '../config/settings-schema.ts';
import type { HostHealth } from './host-health.ts';
import type { OAuthTokenProvider } from './oauth-token-provider.ts';
import { classifySmtpError, type SmtpPhase } from './smtp-diagnosis.ts';
import { createTranscript, type Transcript } from './transcript.ts';
import { TransportError, type HostAttempt, type OutgoingMail, type SendOptions, type SendResult, type Transport } from './transport.ts';
import { createXOAuth2Auth } from './xoauth2-auth.ts';

/** The settings the SMTP transport reads. */
export type SmtpSettings = Pick<
  Settings,
  | 'mail_smtphost' | 'mail_smtpport' | 'mail_smtptimeout' | 'mail_smtpsecure' | 'mail_smtpauth' | 'mail_smtpauthtype'
  | 'mail_smtpname' | 'mail_smtppassword' | 'mail_smtptls_verify'
>;

export interface SmtpTransportDeps {
  settings: SmtpSettings;
  /** PEM text of extra CAs to trust (the contents of mail_smtptls_ca). */
  ca: string | undefined;
  hostHealth: HostHealth;
  /** Required when mail_smtpauthtype is XOAUTH2. */
  tokenProvider: OAuthTokenProvider | undefined;
  /** The name said in EHLO. */
  clientName: string;
}

interface Target {
  host: string;
  port: number;
  /** `host:port`, the key of the failover bookkeeping. */
  label: string;
}

/** Failures where another server of the list may well work: the server, not the mail, is the problem. */
function allowsFailover(error: TransportError): boolean {
  const { kind, permanent, command } = error.failure;
  if (kind === 'connection' || kind === 'timeout') return true;
  // A 4xx at MAIL FROM (or a 421 greeting) means "not now": the mail was not taken, so the
  // next host cannot produce a duplicate.
  return !permanent && (command === 'GREETING' || command === 'MAIL FROM');
}

export function createSmtpTransport(deps: SmtpTransportDeps): Transport {
  const { settings } = deps;
  const parsed = parseHostList(settings.mail_smtphost);
  if ('problem' in parsed) {
    throw new MailroomError('config_invalid_value', `mail_smtphost: ${parsed.problem}`, { details: { key: 'mail_smtphost' } });
  }
  const targets: Target[] = parsed.entries.map((e) => {
    const port = e.port ?? settings.mail_smtpport;
    const hostText = e.host.includes(':') ? `[${e.host}]` : e.host;
    return { host: e.host, port, label: `${hostText}:${port}` };
  });
  const secrets = [settings.mail_smtppassword].filter((s) => s !== '');

  async function send(mail: OutgoingMail, options: SendOptions = {}): Promise<SendResult> {
    const transcript = options.transcript ?? createTranscript(secrets);
    const attempts: HostAttempt[] = [];
    const healthy = targets.filter((t) => !deps.hostHealth.isCoolingDown(t.label));
    // Every host cooling down: try them all rather than refuse to send at all.
    const order = healthy.length > 0 ? healthy : targets;
    for (const t of targets) if (!order.includes(t)) attempts.push({ host: t.label, skipped: 'cooling_down' });

    let lastError: TransportError | undefined;
    for (const target of order) {
      options.signal?.throwIfAborted();
      try {
        const result = await sendToHost(target, mail, transcript, options.signal);
        deps.hostHealth.markHealthy(target.label);
        attempts.push({ host: target.label });
        return { ...result, attempts };
      } catch (error) {
        const failure = await classifySmtpError(error, { phase: 'connect', target, settings });
        attempts.push({ host: target.label, error: { code: failure.code, message: failure.message } });
        lastError = failure;
        if (!allowsFailover(failure)) break;
        deps.hostHealth.markFailed(target.label);
        transcript.add('*', `${target.label} failed (${failure.code}); ${order.indexOf(target) < order.length - 1 ? 'trying the next server' : 'no server left'}`);
      }
    }
    const error = lastError as TransportError;
    const tried = attempts.filter((a) => a.error);
    if (tried.length > 1 && allowsFailover(error)) {
      const summary = tried.map((a) => `${a.host}: ${a.error?.message}`).join('; ');
      throw new TransportError('smtp_all_hosts_failed', `All ${tried.length} servers of mail_smtphost failed. ${summary}`, error.failure, { cause: error, attempts });
    }
    throw new TransportError(error.code, error.message, error.failure, { cause: error.cause, attempts });
  }

  async function sendToHost(target: Target, mail: OutgoingMail, transcript: Transcript, signal: AbortSignal | undefined): Promise<Omit<SendResult, 'attempts'>> {
    const timeoutMs = settings.mail_smtptimeout * 1000;
    const secure = settings.mail_smtpsecure;
    const connectionOptions: SMTPConnectionOptions = {
      host: target.host,
      port: target.port,
      secure: secure === 'ssl',
      requireTLS: secure === 'tls',
      // '' means "no encryption required": STARTTLS is still tried when offered, and a failed
      // upgrade falls back to plain text, as the admin chose no encryption.
      opportunisticTLS: secure === '',
      name: deps.clientName,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      logger: transcript.nodemailerLogger(),
      transactionLog: true,
      customAuth: { NTLM: ntlmAuth },
      tls: {
        rejectUnauthorized: settings.mail_smtptls_verify,
        // Node's `ca` replaces the system CAs; mail_smtptls_ca adds to them.
        ...(deps.ca ? { ca: [...tls.rootCertificates, deps.ca] } : {}),
        minVersion: 'TLSv1.2',
      },
    };
    transcript.add('*', `connecting to ${target.label} (${secure === 'ssl' ? 'implicit TLS' : secure === 'tls' ? 'STARTTLS required' : 'no encryption required'})`);
    const connection = new SMTPConnection(connectionOptions);
    // nodemailer reports some failures only as 'error' events; remember the first one so a
    // phase that fails through a closed socket can still say why.
    let connectionError: unknown;
    connection.on('error', (error: unknown) => {
      connectionError ??= error;
    });
    const onAbort = () => connection.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    let phase: SmtpPhase = 'connect';
    try {
      await new Promise<void>((resolve, reject) => {
        connection.once('error', reject);
        connection.connect(() => {
          connection.removeListener('error', reject);
          resolve();
        });
      });
      if (settings.mail_smtpauth) {
        phase = 'auth';
        await login(connection, transcript, target);
      }
      phase = 'send';
      const info = await new Promise<{ accepted: string[]; rejected: string[]; rejectedErrors?: Array<{ response?: string }>; response: string }>((resolve, reject) => {
        connection.send({ from: mail.envelope.from, to: [...mail.envelope.to] }, mail.raw, (error, result) => {
          if (error || !result) reject(error ?? connectionError);
          else resolve(result);
        });
      });
      connection.quit();
      return {
        accepted: info.accepted,
        rejected: info.rejected.map((address, i) => ({ address, reply: info.rejectedErrors?.[i]?.response ?? '' })),
        response: info.response,
        via: target.label,
      };
    } catch (error) {
      connection.close();
      if (error instanceof TransportError) throw error;
      throw await classifySmtpError(error ?? connectionError, { phase, target, settings, timeoutMs, ca: deps.ca });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async function login(connection: SMTPConnection, transcript: Transcript, target: Target): Promise<void> {
    const method = settings.mail_smtpauthtype;
    const offered = offeredAuthMethods(transcript);
    if (offered.length === 0) {
      throw new TransportError(
        'smtp_auth_mechanism_unavailable',
        `${target.label} offers no authentication on this connection${connection.secure ? '' : ' (many servers offer it only after TLS: set mail_smtpsecure to tls)'}; or turn mail_smtpauth off if this server needs none`,
        { kind: 'auth', permanent: true, host: target.label, command: 'AUTH' },
      );
    }
    if (!offered.includes(method)) {
      throw new TransportError(
        'smtp_auth_mechanism_unavailable',
        `${target.label} does not offer AUTH ${method}; it offers ${offered.join(' ')}: set mail_smtpauthtype to one of them`,
        { kind: 'auth', permanent: true, host: target.label, command: 'AUTH' },
      );
    }
    const auth = authFor(method);
    await new Promise<void>((resolve, reject) => {
      connection.login(auth, (error) => (error ? reject(error) : resolve()));
    });
  }

  function authFor(method: SmtpSettings['mail_smtpauthtype']): SMTPConnectionAuth {
    const user = settings.mail_smtpname;
    const pass = settings.mail_smtppassword;
    if (method === 'XOAUTH2') {
      if (!deps.tokenProvider) {
        throw new MailroomError('oauth_not_configured', 'mail_smtpauthtype is XOAUTH2 but mail_smtpoauth_token_url, _client_id or _refresh_token is not set');
      }
      return createXOAuth2Auth(user, deps.tokenProvider);
    }
    if (method === 'NTLM') {
      // Windows admins write DOMAIN\user; NTLM sends the domain in its own field.
      const slash = user.indexOf('\\');
      const domain = slash > 0 ? user.slice(0, slash) : '';
      return { type: 'custom', method: 'NTLM', user: slash > 0 ? user.slice(slash + 1) : user, pass, options: { domain, workstation: deps.clientName.split('.')[0] ?? '' } };
    }
    return { user, pass, method };
  }

  return { name: 'smtp', send, close: async () => undefined };
}

/** The AUTH methods of the most recent EHLO reply in the transcript. */
function offeredAuthMethods(transcript: Transcript): string[] {
  const lines = transcript.lines();
  let lastEhlo = -1;
  lines.forEach((l, i) => {
    if (l.dir === 'C' && /^EHLO /i.test(l.text)) lastEhlo = i;
  });
  for (let i = lastEhlo + 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line || line.dir === 'C') break;
    const match = /^250[ -]AUTH[ =](.*)$/i.exec(line.text);
    if (match) return (match[1] ?? '').trim().toUpperCase().split(/\s+/).filter(Boolean);
  }
  return [];
}
