import { createHmac } from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import ntlmAuth from 'nodemailer-ntlm-auth';
import type { SMTPConnectionCustomAuthContext, SMTPConnectionCustomAuthResponse } from 'nodemailer/lib/smtp-connection';
import { printable } from '../domain/address.ts';
import type { AuthType, SecureMode } from '../config/settings-schema.ts';
import type { OAuthTokenProvider } from './oauth-token-provider.ts';
import type { Transcript } from './transcript.ts';
import { openSocket, parseEhlo, ReplyParser, SmtpError, upgradeSocket, type SmtpReply as Reply, type WireFault } from './smtp-wire.ts';

/**
 * One SMTP connection of Mailroom's own client: connect, greeting, EHLO, STARTTLS, AUTH, then any
 * number of messages, each sent as one pipelined envelope write (MAIL, RCPT…, DATA) and one body
 * write. Written for the outbox's throughput (nodemailer spends ~10× the CPU per message, see
 * docs/architecture.md), with nodemailer still composing every message.
 *
 * Failures are thrown as errors shaped like nodemailer's (`code`, `response`, `responseCode`,
 * `command`), so that one diagnosis (smtp-diagnosis.ts) serves every path. The wire itself
 * (replies, EHLO, TLS, connecting) is smtp-wire.ts's.
 */

export interface SmtpSessionOptions {
  host: string;
  port: number;
  secure: SecureMode;
  timeoutMs: number;
  /** PEM of extra CAs; added to the system's. */
  ca: string | undefined;
  rejectUnauthorized: boolean;
  clientName: string;
  auth?: { method: AuthType; user: string; pass: string; tokenProvider?: OAuthTokenProvider | undefined } | undefined;
  transcript?: Transcript | undefined;
}

export interface SessionSendResult {
  accepted: string[];
  rejected: Array<{ address: string; reply: string }>;
  response: string;
}

/** A message handed to the session and not yet on the wire, or on it and not yet answered. */
interface QueuedMessage {
  from: string;
  to: readonly string[];
  raw: Buffer;
  resolve: (result: SessionSendResult) => void;
  reject: (error: Error) => void;
  /** The server said 250 to MAIL FROM: from here on, a lost reply may mean a delivered mail. */
  mailAccepted: boolean;
}

type Waiter = { resolve: (reply: Reply) => void; reject: (error: Error) => void };

export class SmtpSession {
  readonly #options: SmtpSessionOptions;
  #socket: net.Socket | tls.TLSSocket;
  readonly #parser = new ReplyParser(
    (reply) => this.#onReply(reply),
    (fault) => this.#onFault(fault),
  );
  #waiters: Waiter[] = [];
  #closedError: Error | undefined;
  #extensions = new Set<string>();
  #authMethods: string[] = [];
  #secure: boolean;
  #messagesSent = 0;
  #assigned = 0;
  #inFlight = 0;
  #queue: QueuedMessage[] = [];
  #driving = false;

  private constructor(options: SmtpSessionOptions, socket: net.Socket | tls.TLSSocket, secure: boolean) {
    this.#options = options;
    this.#secure = secure;
    this.#socket = socket;
    this.#attach(socket);
  }

  /** Opens a session ready to send: greeted, TLS as the settings want, logged in. */
  static async open(options: SmtpSessionOptions): Promise<SmtpSession> {
    const socket = await connectSocket(options, options.secure);
    const session = new SmtpSession(options, socket, options.secure === 'ssl');
    try {
      await session.#handshake();
      return session;
    } catch (error) {
      session.close();
      throw error;
    }
  }

  get usable(): boolean {
    return this.#closedError === undefined && !this.#socket.destroyed;
  }

  /**
   * An idle pooled connection must not keep the process alive (a CLI command, a test, a worker
   * that is stopping); it is referenced again while it sends.
   */
  setIdle(idle: boolean): void {
    if (idle) this.#socket.unref();
    else this.#socket.ref();
  }

  get messagesSent(): number {
    return this.#messagesSent;
  }

  /** Messages handed to this session so far (sent, refused or under way). */
  get assigned(): number {
    return this.#assigned;
  }

  /** Messages handed to this session whose fate is not known yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Whether the server offers PIPELINING, so that several messages can be handed over at once. */
  get pipelining(): boolean {
    return this.#extensions.has('PIPELINING');
  }

  /**
   * Sends one message. Several calls may be under way at once: they are sent in the order of
   * the calls, and with PIPELINING the next message's envelope goes out in the same write as the
   * previous message's body (RFC 2920 3.1 lets the message content be the first "command" of a
   * group, and MAIL, RCPT and DATA follow it, DATA last), so a message costs one round trip: the
   * wait for DATA's 354, which the body must follow.
   *
   * A refused message (4xx/5xx) leaves the session usable for the next one. A failure without a
   * reply (connection lost, time-out) is marked with the command it hit: `MAIL FROM` while the
   * server had not accepted the sender (another connection may take the mail at no risk of a
   * duplicate; a message that was still waiting for its turn is marked so too), `DATA` after (the
   * mail may have been taken: the worker's to retry, never the transport's).
   */
  send(from: string, to: readonly string[], raw: Buffer, signal?: AbortSignal): Promise<SessionSendResult> {
    this.#assigned++;
    this.#inFlight++;
    let onAbort: (() => void) | undefined;
    return new Promise<SessionSendResult>((resolve, reject) => {
      const job: QueuedMessage = { from, to, raw, resolve, reject, mailAccepted: false };
      this.#queue.push(job);
      // A message still waiting for its turn is given back when the caller stops (nothing of
      // it was written); one on the wire is seen through.
      if (signal) {
        onAbort = () => {
          const index = this.#queue.indexOf(job);
          if (index < 0) return;
          this.#queue.splice(index, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
      if (!this.#driving) void this.#drive();
    }).finally(() => {
      this.#inFlight--;
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    });
  }

  /** Sends the queued messages one after the other until the queue is empty. */
  async #drive(): Promise<void> {
    this.#driving = true;
    try {
      let job = this.#queue.shift();
      let envelope = job ? this.#writeEnvelope(job, undefined) : undefined;
      while (job && envelope) {
        let replies: Reply[];
        try {
          replies = await this.#envelopeReplies(job, envelope);
        } catch (error) {
          job.reject(markLost(error, job.mailAccepted));
          this.#failQueued(error);
          return;
        }
        const refusal = this.#refusal(job, replies);
        if (refusal) {
          await this.#resetAfterRefusal(refusal.pendingData);
          job.reject(new SmtpError(refusal.message, { code: refusal.code, response: refusal.response, command: refusal.command, sessionUsable: this.usable }));
          job = this.#queue.shift();
          envelope = job ? this.#writeEnvelope(job, undefined) : undefined;
          continue;
        }
        const current = job;
        const accepted: string[] = [];
        const rejected: Array<{ address: string; reply: string }> = [];
        current.to.forEach((address, i) => {
          const reply = replies[i + 1];
          if (reply && reply.code >= 200 && reply.code < 300) accepted.push(address);
          else rejected.push({ address, reply: reply?.text ?? '' });
        });
        // The body, and with PIPELINING the next message's envelope in the same write.
        const next = this.pipelining ? this.#queue.shift() : undefined;
        // Written as a latin1 string: Node copies it straight into the socket, with no Buffer
        // made per message for garbage collection to find later.
        const body = dotStuffText(current.raw.toString('latin1'));
        const finished = this.#expectOne('DATA').then(
          (reply) => {
            if (reply.code !== 250) {
              current.reject(new SmtpError('Message refused', { code: 'EMESSAGE', response: reply.text, command: 'DATA', sessionUsable: this.usable }));
              return;
            }
            this.#messagesSent++;
            current.resolve({ accepted, rejected, response: reply.text });
          },
          (error: unknown) => current.reject(markLost(error, true)),
        );
        envelope = next ? this.#writeEnvelope(next, body) : undefined;
        if (!next) {
          this.#socketWrite(body);
          await finished;
          if (!this.usable) {
            this.#failQueued(this.#closedError);
            return;
          }
          envelope = undefined;
          job = this.#queue.shift();
          if (job) envelope = this.#writeEnvelope(job, undefined);
          continue;
        }
        job = next;
      }
    } finally {
      this.#driving = false;
      // A message queued while the last reply was being handled.
      if (this.#queue.length > 0) void this.#drive();
    }
  }

  /**
   * Writes a message's envelope, after `before` (the previous message's body) when given, in one
   * write; the replies are expected in the order they were asked. Without PIPELINING the
   * commands go one at a time, stopping at a refused sender as a classic client does.
   */
  #writeEnvelope(job: QueuedMessage, before: string | undefined): Promise<Reply>[] | (() => Promise<Reply[]>) {
    const commands = [`MAIL FROM:<${job.from}>${this.#extensions.has('8BITMIME') ? ' BODY=8BITMIME' : ''}`, ...job.to.map((r) => `RCPT TO:<${r}>`), 'DATA'];
    if (this.pipelining) {
      for (const c of commands) this.#options.transcript?.add('C', c);
      const replies = this.#expect(commands.length, 'MAIL');
      const text = commandBytes(commands);
      this.#socketWrite(before === undefined ? text : before + text);
      return replies;
    }
    return async () => {
      const replies: Reply[] = [];
      for (const [i, c] of commands.entries()) {
        const reply = await this.#ask(c);
        replies.push(reply);
        if (i === 0 && reply.code === 250) job.mailAccepted = true;
        if (i === 0 && reply.code !== 250) break;
      }
      return replies;
    };
  }

  async #envelopeReplies(job: QueuedMessage, envelope: Promise<Reply>[] | (() => Promise<Reply[]>)): Promise<Reply[]> {
    if (typeof envelope === 'function') return envelope();
    const [mail, ...rest] = envelope;
    if (!mail) return [];
    const mailReply = await mail.catch((error: unknown) => {
      // The other replies of the group fail alike; they are not awaited.
      for (const r of rest) r.catch(() => undefined);
      throw error;
    });
    if (mailReply.code === 250) job.mailAccepted = true;
    return [mailReply, ...(await Promise.all(rest))];
  }

  /** Why the server refused the message at its envelope, if it did. */
  #refusal(job: QueuedMessage, replies: Reply[]): { message: string; code: string; response: string | undefined; command: string; pendingData: Reply | undefined } | undefined {
    const complete = replies.length === job.to.length + 2;
    const dataReply = complete ? replies.at(-1) : undefined;
    const mailReply = replies[0];
    if (mailReply?.code !== 250) return { message: 'Sender refused', code: 'EENVELOPE', response: mailReply?.text, command: 'MAIL FROM', pendingData: dataReply };
    const refused = job.to.map((_, i) => replies[i + 1]).filter((r): r is Reply => r !== undefined && (r.code < 200 || r.code >= 300));
    if (refused.length === job.to.length) {
      return { message: job.to.length > 1 ? 'All recipients refused' : 'Recipient refused', code: 'EENVELOPE', response: refused[0]?.text, command: 'RCPT TO', pendingData: dataReply };
    }
    if (dataReply?.code !== 354) return { message: 'DATA refused', code: 'EMESSAGE', response: dataReply?.text, command: 'DATA', pendingData: undefined };
    return undefined;
  }

  /** The messages that were waiting for their turn: none of them reached the server. */
  #failQueued(cause: unknown): void {
    for (const job of this.#queue.splice(0)) job.reject(markLost(cause ?? new SmtpError('Connection closed', { code: 'ECONNECTION' }), false));
  }

  /** Says goodbye; never throws. */
  async quit(): Promise<void> {
    if (this.usable) {
      try {
        await this.#ask('QUIT');
      } catch {
        // the server may close before answering QUIT
      }
    }
    this.close();
  }

  close(): void {
    this.#fail(new SmtpError('Connection closed', { code: 'ECONNECTION' }));
    this.#socket.destroy();
  }

  async #handshake(): Promise<void> {
    const { transcript } = this.#options;
    const greeting = await this.#readOne('CONN');
    if (greeting.code !== 220) {
      throw new SmtpError('Greeting refused', { code: 'EPROTOCOL', response: greeting.text, command: 'CONN' });
    }
    await this.#ehlo();
    const secure = this.#options.secure;
    if (!this.#secure && secure !== 'ssl' && (this.#extensions.has('STARTTLS') || secure === 'tls')) {
      const reply = await this.#ask('STARTTLS');
      if (reply.code !== 220) {
        if (secure === 'tls') throw new SmtpError('Error upgrading connection with STARTTLS', { code: 'ETLS', response: reply.text, command: 'STARTTLS' });
      } else {
        try {
          await this.#upgrade();
          await this.#ehlo();
        } catch (error) {
          // mail_smtpsecure '' asks for no encryption: a failed upgrade goes on in a new plain
          // connection rather than fail, as nodemailer's opportunisticTLS does; but never with
          // credentials, which whoever made the upgrade fail would then read. Either way, when
          // the plain connection fails too, the TLS error is the one that explains it.
          if (secure === 'tls' || this.#options.auth) throw error;
          transcript?.add('*', `STARTTLS failed (${(error as Error).message}); going on without encryption as mail_smtpsecure is ''`);
          try {
            const plain = await connectSocket(this.#options, '');
            this.#replaceSocket(plain);
            await this.#readOne('CONN');
            this.#extensions.add('NO-STARTTLS');
            await this.#ehlo();
          } catch {
            throw error;
          }
        }
      }
    }
    if (this.#options.auth) await this.#login(this.#options.auth);
  }

  async #ehlo(): Promise<void> {
    const reply = await this.#ask(`EHLO ${this.#options.clientName}`);
    let offer = parseEhlo(reply);
    if (reply.code !== 250) {
      const helo = await this.#ask(`HELO ${this.#options.clientName}`);
      if (helo.code !== 250) throw new SmtpError('HELO refused', { code: 'EPROTOCOL', response: helo.text, command: 'HELO' });
      offer = { extensions: [], authMethods: [] };
    }
    // NO-STARTTLS marks a connection made again in the clear after a failed upgrade: its
    // STARTTLS offer is not taken a second time.
    const previous = this.#extensions.has('NO-STARTTLS');
    this.#extensions = new Set(previous ? offer.extensions.filter((e) => e !== 'STARTTLS') : offer.extensions);
    if (previous) this.#extensions.add('NO-STARTTLS');
    this.#authMethods = offer.authMethods;
  }

  async #upgrade(): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    const { host, ca, rejectUnauthorized, timeoutMs } = this.#options;
    const secured = await upgradeSocket(plain, { host, ca, rejectUnauthorized }, timeoutMs);
    this.#secure = true;
    this.#replaceSocket(secured);
    this.#options.transcript?.add('*', `TLS ${secured.getProtocol() ?? ''} ${secured.getCipher()?.name ?? ''} established`);
  }

  #replaceSocket(socket: net.Socket | tls.TLSSocket): void {
    this.#socket.removeAllListeners();
    this.#socket.on('error', () => undefined);
    this.#socket = socket;
    this.#parser.reset();
    this.#attach(socket);
  }

  async #login(auth: NonNullable<SmtpSessionOptions['auth']>): Promise<void> {
    const { method, user, pass } = auth;
    if (!this.#authMethods.includes(method)) {
      const offered = this.#authMethods.join(' ');
      throw new SmtpError(offered ? `Server does not offer AUTH ${method}; it offers ${offered}` : 'Server offers no authentication', {
        code: 'ENOAUTH_MECHANISM',
        command: 'AUTH',
      });
    }
    const expect235 = (reply: Reply | undefined, command: string) => {
      if (reply?.code !== 235) throw new SmtpError('Invalid login', { code: 'EAUTH', response: reply?.text, command });
    };
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    switch (method) {
      case 'PLAIN': {
        const reply = await this.#ask(`AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`);
        return expect235(reply, 'AUTH PLAIN');
      }
      case 'LOGIN': {
        const first = await this.#ask('AUTH LOGIN');
        if (first.code !== 334) return expect235(first, 'AUTH LOGIN');
        const second = await this.#ask(b64(user));
        if (second.code !== 334) return expect235(second, 'AUTH LOGIN');
        const last = await this.#ask(b64(pass));
        return expect235(last, 'AUTH LOGIN');
      }
      case 'CRAM-MD5': {
        const challenge = await this.#ask('AUTH CRAM-MD5');
        if (challenge.code !== 334) return expect235(challenge, 'AUTH CRAM-MD5');
        const digest = createHmac('md5', pass)
          .update(Buffer.from(challenge.text.slice(4).trim(), 'base64'))
          .digest('hex');
        const reply = await this.#ask(b64(`${user} ${digest}`));
        return expect235(reply, 'AUTH CRAM-MD5');
      }
      case 'XOAUTH2':
        return this.#loginXOAuth2(user, auth.tokenProvider);
      case 'NTLM':
        return this.#loginNtlm(user, pass);
    }
  }

  async #loginXOAuth2(user: string, provider: OAuthTokenProvider | undefined): Promise<void> {
    if (!provider) throw new SmtpError('XOAUTH2 needs a token provider', { code: 'EAUTH', command: 'AUTH XOAUTH2' });
    // A refused token gets one renewal: the cached one may have been revoked early.
    for (const renew of [false, true]) {
      let token: string;
      try {
        token = await provider.getAccessToken({ renew });
      } catch (cause) {
        throw new SmtpError(cause instanceof Error ? cause.message : 'Cannot get an OAuth access token', { code: 'EAUTH', command: 'AUTH XOAUTH2', cause });
      }
      const payload = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64');
      let reply = await this.#ask(`AUTH XOAUTH2 ${payload}`);
      if (reply.code === 334) reply = await this.#ask('');
      if (reply.code === 235) return;
      if (renew) throw new SmtpError('Invalid login', { code: 'EAUTH', response: reply.text, command: 'AUTH XOAUTH2' });
    }
  }

  async #loginNtlm(user: string, pass: string): Promise<void> {
    // Windows admins write DOMAIN\user; NTLM carries the domain in its own field.
    const slash = user.indexOf('\\');
    const domain = slash > 0 ? user.slice(0, slash) : '';
    const name = slash > 0 ? user.slice(slash + 1) : user;
    let lastReply: Reply | undefined;
    let done = false;
    let failure: unknown;
    // nodemailer-ntlm-auth builds the NTLM messages; it only needs the credentials and a way
    // to send a command and read the reply.
    const context = {
      auth: { credentials: { user: name, pass, options: { domain, workstation: this.#options.clientName.split('.')[0] ?? '' } } },
      method: 'NTLM',
      extensions: [...this.#extensions],
      authMethods: this.#authMethods,
      maxAllowedSize: false,
      sendCommand: async (cmd: string): Promise<SMTPConnectionCustomAuthResponse> => {
        const reply = await this.#ask(cmd);
        lastReply = reply;
        return { command: cmd, response: reply.text, status: reply.code, text: reply.text.slice(4), code: undefined };
      },
      resolve: () => {
        done = true;
      },
      reject: (error: Error | string) => {
        failure = error;
      },
    } as unknown as SMTPConnectionCustomAuthContext;
    try {
      const result = await ntlmAuth(context);
      if (result === true) done = true;
    } catch (error) {
      failure = error;
    }
    if (!done || failure) throw new SmtpError('Invalid login', { code: 'EAUTH', response: lastReply?.text, command: 'AUTH NTLM', cause: failure });
  }

  async #resetAfterRefusal(pendingDataReply: Reply | undefined): Promise<void> {
    // With pipelining the DATA command went out with the envelope: if the server still said
    // 354, end the empty message so the session stays in step, then reset.
    try {
      if (pendingDataReply?.code === 354) await this.#write(Buffer.from('.\r\n'), 'DATA');
      await this.#ask('RSET');
    } catch {
      this.close();
    }
  }

  /** Writes one command and reads its reply. */
  #ask(command: string): Promise<Reply> {
    this.#options.transcript?.add('C', command);
    return this.#write(Buffer.from(`${command}\r\n`, 'utf8'), command.split(' ')[0] ?? '');
  }

  /** Writes now, or not at all once the connection failed (its waiters were told already). */
  #socketWrite(latin1: string): void {
    if (!this.#closedError) this.#socket.write(latin1, 'latin1');
  }

  /**
   * Expects `count` replies, one promise each, in the order the commands were written; a
   * time-out ends the session when the last of them is not there in time.
   */
  #expect(count: number, command: string): Promise<Reply>[] {
    if (this.#closedError) {
      const error = this.#closedError;
      return Array.from({ length: count }, () => Promise.reject(error));
    }
    const replies: Promise<Reply>[] = [];
    for (let i = 0; i < count; i++) {
      replies.push(new Promise<Reply>((resolve, reject) => this.#waiters.push({ resolve, reject })));
    }
    const timer = setTimeout(() => {
      this.#fail(new SmtpError(`Timeout waiting for the reply to ${command}`, { code: 'ETIMEDOUT', command }));
      this.#socket.destroy();
    }, this.#options.timeoutMs);
    void Promise.allSettled(replies).then(() => clearTimeout(timer));
    return replies;
  }

  /** Expects one reply. */
  #expectOne(command: string): Promise<Reply> {
    const [reply] = this.#expect(1, command);
    return reply ?? Promise.reject(new SmtpError('Connection closed', { code: 'ECONNECTION' }));
  }

  #write(data: Buffer, command: string): Promise<Reply> {
    const pending = this.#readOne(command);
    if (this.#closedError) return pending;
    this.#socket.write(data);
    return pending;
  }

  #readOne(command: string): Promise<Reply> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return this.#expectOne(command);
  }

  #attach(socket: net.Socket | tls.TLSSocket): void {
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#parser.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.#fail(new SmtpError(error.message, { code: error.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ECONNECTION', cause: error })));
    socket.on('close', () => this.#fail(new SmtpError('Connection closed unexpectedly', { code: 'ECONNECTION' })));
  }

  #onReply(reply: Reply): void {
    this.#options.transcript?.add('S', reply.text);
    const waiter = this.#waiters.shift();
    // RFC 5321 4.2: a 421 may come at any time; the server is closing.
    if (!waiter) {
      if (reply.code === 421) this.#fail(new SmtpError('Server closed the connection', { code: 'ECONNECTION', response: reply.text }));
      else this.#fail(new SmtpError('Unexpected reply', { code: 'EPROTOCOL', response: reply.text }));
      return;
    }
    waiter.resolve(reply);
  }

  #onFault(fault: WireFault): void {
    if (fault.kind === 'not_smtp') {
      // Not a mail server (a web server, a database, a proxy's error page): its first line,
      // cut short, names what answered; the rest of its answer is not relayed to the admin,
      // the transcript or the log, and the connection is dropped.
      const shown = printable(fault.line);
      this.#options.transcript?.add('S', shown);
      this.#fail(new SmtpError('Not an SMTP reply', { code: 'EPROTOCOL', response: shown }));
    } else {
      this.#fail(new SmtpError('Reply too long', { code: 'EPROTOCOL' }));
    }
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    this.#closedError ??= error;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(this.#closedError);
  }
}

/**
 * A failure without a reply, marked with where it left the message: `DATA` once the server had
 * accepted the sender (the mail may have been taken), `MAIL FROM` before (it cannot have been).
 */
function markLost(error: unknown, mailAccepted: boolean): Error {
  if (error instanceof SmtpError && error.command === undefined) {
    return new SmtpError(error.message, { code: error.code, response: error.response, command: mailAccepted ? 'DATA' : 'MAIL FROM', cause: error.cause });
  }
  if (error instanceof SmtpError) return error;
  return new SmtpError(error instanceof Error ? error.message : String(error), { code: 'ECONNECTION', command: mailAccepted ? 'DATA' : 'MAIL FROM', cause: error });
}

/** The connection the settings ask for: implicit TLS for `ssl`, else plain TCP. */
function connectSocket(options: SmtpSessionOptions, secure: SecureMode): Promise<net.Socket | tls.TLSSocket> {
  const implicitTls = secure === 'ssl';
  options.transcript?.add('*', `connecting to ${options.host}:${options.port}${implicitTls ? ' (implicit TLS)' : ''}`);
  const { host, port, ca, rejectUnauthorized, timeoutMs } = options;
  return openSocket({ host, port, ca, rejectUnauthorized, implicitTls }, timeoutMs, 'CONN');
}

/**
 * CRLF line ends, dots doubled at line starts, the terminating `.` appended (RFC 5321 4.5.2).
 * A bare CR or bare LF becomes CRLF first: servers disagree on whether `<LF>.<LF>` or
 * `<CR>.<CR><LF>` ends the data, and a message that holds one could end early at one server and
 * smuggle a second mail to the next (RFC 5321 2.3.8 allows CR and LF only together).
 */
export function dotStuff(raw: Buffer): Buffer {
  return Buffer.from(dotStuffText(raw.toString('latin1')), 'latin1');
}

/** dotStuff on the message's bytes as a latin1 string (one character a byte). */
export function dotStuffText(raw: string): string {
  let text = raw;
  if (/\r(?!\n)|(^|[^\r])\n/.test(text)) text = text.replace(/\r\n|\r|\n/g, '\r\n');
  if (text.startsWith('.')) text = `.${text}`;
  text = text.replace(/\r\n\./g, '\r\n..');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return `${text}.\r\n`;
}

/**
 * Commands as a latin1 string of their UTF-8 bytes, so that they can share one write with a
 * body (an address may be UTF-8 under SMTPUTF8; nearly all are ASCII and pass unchanged).
 */
function commandBytes(commands: readonly string[]): string {
  const text = commands.map((c) => `${c}\r\n`).join('');
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}
