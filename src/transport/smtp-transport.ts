import { MailroomError } from '../errors.ts';
import { parseHostList, type Settings } from '../config/settings-schema.ts';
import type { HostHealth } from './host-health.ts';
import type { OAuthTokenProvider } from './oauth-token-provider.ts';
import { classifySmtpError, type SmtpPhase } from './smtp-diagnosis.ts';
import { SmtpSession, type SmtpSessionOptions } from './smtp-session.ts';
import type { Transcript } from './transcript.ts';
import { TransportError, type HostAttempt, type OutgoingMail, type SendOptions, type SendResult, type Transport } from './transport.ts';

/** The settings the SMTP transport reads. */
export type SmtpSettings = Pick<
  Settings,
  | 'mail_smtphost' | 'mail_smtpport' | 'mail_smtptimeout' | 'mail_smtpsecure' | 'mail_smtpauth' | 'mail_smtpauthtype'
  | 'mail_smtpname' | 'mail_smtppassword' | 'mail_smtptls_verify' | 'mail_smtpoauth_grant'
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
  /** Connections kept open per server for sends without a transcript (the outbox). */
  maxConnections?: number;
  /** A connection is closed after this many messages, so a server's per-connection limits never bite. */
  maxMessagesPerConnection?: number;
}

interface Target {
  host: string;
  port: number;
  /** `host:port`, the key of the failover bookkeeping. */
  label: string;
}

interface HostPool {
  idle: SmtpSession[];
  open: number;
  waiting: Array<(session: SmtpSession | undefined) => void>;
}

/**
 * SMTP through the servers of mail_smtphost, in order. A send with a transcript (the test mail)
 * gets a connection of its own so the transcript shows the whole conversation; other sends share
 * a pool of open connections per server.
 *
 * Failover happens only before the server accepted MAIL FROM: a connection that fails, times
 * out or refuses its greeting, or a 4xx to MAIL FROM, moves on to the next server and puts the
 * failed one in a cool-down. After that the mail may have been taken, so the failure is returned
 * to the caller (the outbox), which is the only one that retries.
 */
const NONE_COOLING: ReadonlySet<string> = new Set();

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
  const labels = targets.map((t) => t.label);
  const maxConnections = deps.maxConnections ?? 4;
  const maxMessages = deps.maxMessagesPerConnection ?? 1000;
  const pools = new Map<string, HostPool>();
  let closed = false;

  const sessionOptions = (target: Target, transcript: Transcript | undefined): SmtpSessionOptions => ({
    host: target.host,
    port: target.port,
    secure: settings.mail_smtpsecure,
    timeoutMs: settings.mail_smtptimeout * 1000,
    ca: deps.ca,
    rejectUnauthorized: settings.mail_smtptls_verify,
    clientName: deps.clientName,
    auth: settings.mail_smtpauth
      ? { method: settings.mail_smtpauthtype, user: settings.mail_smtpname, pass: settings.mail_smtppassword, tokenProvider: deps.tokenProvider }
      : undefined,
    transcript,
  });

  const poolOf = (target: Target): HostPool => {
    let pool = pools.get(target.label);
    if (!pool) {
      pool = { idle: [], open: 0, waiting: [] };
      pools.set(target.label, pool);
    }
    return pool;
  };

  /** A pooled session, or undefined when the caller should open one (it then counts as open). */
  function takeSession(pool: HostPool): Promise<SmtpSession | undefined> {
    while (pool.idle.length > 0) {
      const session = pool.idle.pop() as SmtpSession;
      if (session.usable) {
        session.setIdle(false);
        return Promise.resolve(session);
      }
      pool.open--;
    }
    if (pool.open < maxConnections) {
      pool.open++;
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => pool.waiting.push(resolve));
  }

  function releaseSession(pool: HostPool, session: SmtpSession | undefined): void {
    const reusable = session !== undefined && session.usable && session.messagesSent < maxMessages && !closed;
    if (!reusable) {
      if (session) void session.quit();
      pool.open--;
      const next = pool.waiting.shift();
      if (next) {
        pool.open++;
        next(undefined);
      }
      return;
    }
    const next = pool.waiting.shift();
    if (next) {
      next(session);
    } else {
      session.setIdle(true);
      pool.idle.push(session);
    }
  }

  async function sendToHost(target: Target, mail: OutgoingMail, transcript: Transcript | undefined): Promise<Omit<SendResult, 'attempts'>> {
    const timeoutMs = settings.mail_smtptimeout * 1000;
    const classify = (error: unknown, phase: SmtpPhase) => classifySmtpError(error, { phase, target, settings, timeoutMs });
    if (transcript) {
      // The test mail: a connection of its own, closed afterwards.
      let phase: SmtpPhase = 'connect';
      let session: SmtpSession | undefined;
      try {
        session = await SmtpSession.open(sessionOptions(target, transcript));
        phase = 'send';
        const result = await session.send(mail.envelope.from, mail.envelope.to, mail.raw);
        await session.quit();
        return { ...result, via: target.label };
      } catch (error) {
        session?.close();
        throw await classify(error, phase === 'connect' && isAuthError(error) ? 'auth' : phase);
      }
    }
    const pool = poolOf(target);
    // A pooled connection may have been closed by the server while idle; that shows before MAIL
    // FROM is answered, so one more try on a fresh connection cannot duplicate the mail.
    for (let attempt = 0; ; attempt++) {
      let session = await takeSession(pool);
      let phase: SmtpPhase = 'connect';
      try {
        session ??= await SmtpSession.open(sessionOptions(target, undefined));
        phase = 'send';
        const result = await session.send(mail.envelope.from, mail.envelope.to, mail.raw);
        releaseSession(pool, session);
        return { ...result, via: target.label };
      } catch (error) {
        const reused = session !== undefined && session.messagesSent > 0;
        releaseSession(pool, session);
        const staleConnection = reused && phase === 'send' && isBeforeMailFrom(error);
        if (staleConnection && attempt === 0) continue;
        throw await classify(error, phase === 'connect' && isAuthError(error) ? 'auth' : phase);
      }
    }
  }

  async function send(mail: OutgoingMail, options: SendOptions = {}): Promise<SendResult> {
    if (closed) throw new MailroomError('internal_error', 'The SMTP transport was closed');
    const transcript = options.transcript;
    const attempts: HostAttempt[] = [];
    // Every host cooling down: try them all rather than refuse to send at all. So a single server
    // is tried whatever its health, and only a list needs to ask (the common case asks nothing).
    const cooling = targets.length > 1 ? await deps.hostHealth.coolingDown(labels) : NONE_COOLING;
    const healthy = targets.filter((t) => !cooling.has(t.label));
    const order = healthy.length > 0 ? healthy : targets;
    for (const t of targets) if (!order.includes(t)) attempts.push({ host: t.label, skipped: 'cooling_down' });

    let lastError: TransportError | undefined;
    for (const [index, target] of order.entries()) {
      options.signal?.throwIfAborted();
      try {
        const result = await sendToHost(target, mail, transcript);
        deps.hostHealth.markHealthy(target.label);
        attempts.push({ host: target.label });
        return { ...result, attempts };
      } catch (error) {
        const failure = await classifySmtpError(error, { phase: 'connect', target, settings });
        attempts.push({ host: target.label, error: { code: failure.code, message: failure.message } });
        lastError = failure;
        if (!allowsFailover(failure)) break;
        // Stored before the next server is tried, so that the other workers skip this one from now on.
        await deps.hostHealth.markFailed(target.label);
        transcript?.add('*', `${target.label} failed (${failure.code}); ${index < order.length - 1 ? 'trying the next server' : 'no server left'}`);
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

  async function close(): Promise<void> {
    closed = true;
    const sessions = [...pools.values()].flatMap((p) => p.idle.splice(0));
    await Promise.all(sessions.map((s) => s.quit()));
  }

  return { name: 'smtp', send, close };
}

/** Failures where another server of the list may well work, and the mail was surely not taken. */
function allowsFailover(error: TransportError): boolean {
  const { kind, permanent, command } = error.failure;
  if (command === 'DATA' || command === 'RCPT TO' || command === 'AUTH') return false;
  if (kind === 'connection' || kind === 'timeout') return true;
  // A 4xx at MAIL FROM means "not now": the mail was not taken.
  return !permanent && (command === 'GREETING' || command === 'MAIL FROM');
}

function isAuthError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'EAUTH' || code === 'ENOAUTH_MECHANISM';
}

/** Whether a send failed before the server answered MAIL FROM (so the mail cannot have been taken). */
function isBeforeMailFrom(error: unknown): boolean {
  const e = error as { code?: unknown; response?: unknown; command?: unknown };
  return e.code === 'ECONNECTION' && e.response === undefined && e.command === 'MAIL FROM';
}
