import { MailroomError } from '../errors.ts';
import { parseHostList, type Settings } from '../config/settings-schema.ts';
import type { HostHealth } from './host-health.ts';
import type { OAuthTokenProvider } from './oauth-token-provider.ts';
import { classifySmtpError, type SmtpPhase } from './smtp-diagnosis.ts';
import { SmtpSession, type SmtpSessionOptions } from './smtp-session.ts';
import type { Transcript } from './transcript.ts';
import { TransportError, type HostAttempt, type OutgoingMail, type SendOptions, type SendResult, type Transport } from './transport.ts';

/** The settings the SMTP transport reads. */
export type SmtpSettings = Pick<Settings, 'mail_smtphost' | 'mail_smtpport' | 'mail_smtptimeout' | 'mail_smtpsecure' | 'mail_smtpauth' | 'mail_smtpauthtype' | 'mail_smtpname' | 'mail_smtppassword' | 'mail_smtptls_verify' | 'mail_smtpoauth_grant'>;

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
  /** Open sessions, idle or sending. */
  sessions: SmtpSession[];
  /** Sessions being opened (they count against maxConnections). */
  opening: number;
  /** Sends waiting for a session to have room. */
  waiting: Array<() => void>;
}

/**
 * Messages handed to one connection at once when the server offers PIPELINING: two are on the
 * wire at a time (one body waiting for its 250, the next envelope waiting for its 354); the
 * others are ready so that a body never goes out without the next envelope.
 */
export const PIPELINE_DEPTH = 4;

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
    auth: settings.mail_smtpauth ? { method: settings.mail_smtpauthtype, user: settings.mail_smtpname, pass: settings.mail_smtppassword, tokenProvider: deps.tokenProvider } : undefined,
    transcript,
  });

  const poolOf = (target: Target): HostPool => {
    let pool = pools.get(target.label);
    if (!pool) {
      pool = { sessions: [], opening: 0, waiting: [] };
      pools.set(target.label, pool);
    }
    return pool;
  };

  const depthOf = (session: SmtpSession) => (session.pipelining ? PIPELINE_DEPTH : 1);
  let pipelinedSeen = false;

  /**
   * A session with room for one more message: the least busy open one, else a new one while the
   * pool has fewer than maxConnections, else the first to make room. `fresh` is true for a
   * session opened for this send.
   */
  async function takeSession(target: Target, pool: HostPool): Promise<{ session: SmtpSession; fresh: boolean }> {
    for (;;) {
      // A connection the server closed while it was idle no longer counts against maxConnections.
      const broken = pool.sessions.filter((s) => !s.usable && s.inFlight === 0);
      if (broken.length > 0) {
        pool.sessions = pool.sessions.filter((s) => !broken.includes(s));
        for (const s of broken) s.close();
      }
      let best: SmtpSession | undefined;
      for (const session of pool.sessions) {
        if (!session.usable || session.assigned >= maxMessages || session.inFlight >= depthOf(session)) continue;
        if (!best || session.inFlight < best.inFlight) best = session;
      }
      if (best) {
        if (best.inFlight === 0) best.setIdle(false);
        return { session: best, fresh: false };
      }
      if (pool.sessions.length + pool.opening < maxConnections) {
        pool.opening++;
        try {
          const session = await SmtpSession.open(sessionOptions(target, undefined));
          if (session.pipelining) pipelinedSeen = true;
          pool.sessions.push(session);
          return { session, fresh: true };
        } finally {
          pool.opening--;
          wake(pool);
        }
      }
      await new Promise<void>((resolve) => pool.waiting.push(resolve));
    }
  }

  /** After a send on `session` ended: a spent or broken session leaves the pool once it is quiet. */
  function releaseSession(pool: HostPool, session: SmtpSession): void {
    const spent = !session.usable || session.assigned >= maxMessages || closed;
    if (session.inFlight === 0) {
      if (spent) {
        pool.sessions = pool.sessions.filter((s) => s !== session);
        void session.quit();
      } else {
        session.setIdle(true);
      }
    }
    wake(pool);
  }

  function wake(pool: HostPool): void {
    for (const next of pool.waiting.splice(0)) next();
  }

  async function sendToHost(target: Target, mail: OutgoingMail, transcript: Transcript | undefined, signal: AbortSignal | undefined): Promise<Omit<SendResult, 'attempts'>> {
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
    // A pooled connection may have been closed by the server while idle, or a message may have
    // been waiting behind one that lost the connection; either shows before MAIL FROM is
    // answered, so one more try on a fresh connection cannot duplicate the mail.
    for (let attempt = 0; ; attempt++) {
      let taken: { session: SmtpSession; fresh: boolean };
      try {
        taken = await takeSession(target, pool);
      } catch (error) {
        throw await classify(error, isAuthError(error) ? 'auth' : 'connect');
      }
      const { session, fresh } = taken;
      try {
        const result = await session.send(mail.envelope.from, mail.envelope.to, mail.raw, signal);
        releaseSession(pool, session);
        return { ...result, via: target.label };
      } catch (error) {
        releaseSession(pool, session);
        // Given back before a byte of it was written: the caller's, as it is.
        if (signal?.aborted && error === signal.reason) throw error;
        if (!fresh && attempt === 0 && isBeforeMailFrom(error)) continue;
        throw await classify(error, 'send');
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
        const result = await sendToHost(target, mail, transcript, options.giveBack);
        deps.hostHealth.markHealthy(target.label);
        attempts.push({ host: target.label });
        return { ...result, attempts };
      } catch (error) {
        if (options.giveBack?.aborted && error === options.giveBack.reason) throw error;
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
    // Sessions still sending are quit by releaseSession when their last message is answered.
    const sessions = [...pools.values()].flatMap((p) => {
      const quiet = p.sessions.filter((s) => s.inFlight === 0);
      p.sessions = p.sessions.filter((s) => s.inFlight > 0);
      return quiet;
    });
    await Promise.all(sessions.map((s) => s.quit()));
  }

  return {
    name: 'smtp',
    send,
    close,
    // Until a server was seen to offer PIPELINING, one message per connection: sends beyond what
    // the connections can take would wait inside the transport, out of the worker's reach.
    get concurrency() {
      return maxConnections * (pipelinedSeen ? PIPELINE_DEPTH : 1);
    },
  };
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
