/**
 * The SMTP server probe behind `mailroom mail:detect` and `POST /api/v1/settings/mail/detect`:
 * it connects to a server the way Mailroom would, reads what it offers (greeting, EHLO
 * extensions, STARTTLS, AUTH methods, certificate) and tells which settings would work.
 *
 * It speaks SMTP itself over raw sockets rather than through nodemailer because it has to see
 * what nodemailer hides: the silence of an implicit-TLS port, the extensions before and after
 * STARTTLS, and a certificate that nodemailer would refuse before anyone could read it.
 * It never sends credentials and never sends mail: EHLO, STARTTLS and QUIT are all it says.
 */
import net from 'node:net';
import tls from 'node:tls';
import { MailroomError } from '../errors.ts';
import { certificateFinding, detectNoteText, unreachableFinding, type DetectNote } from './detect-notes.ts';

export type ProbeSecurity = 'plain' | 'starttls' | 'implicit_tls';

export type ProbeErrorCode =
  | 'refused'
  | 'not_found'
  | 'unreachable'
  | 'timeout'
  | 'closed'
  | 'not_smtp'
  | 'greeting_refused'
  | 'hello_refused'
  | 'tls_failed'
  | 'error';

export interface ProbeCertificate {
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
  /** Whether the certificate covers the host name the probe connected to, whatever the chain's state. */
  hostnameMatches: boolean;
  /** The DNS names and IP addresses the certificate covers, for telling the admin which host name to use. */
  names: string[];
}

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
  certificate?: ProbeCertificate;
}

export interface ProbeSmtpPortOptions {
  host: string;
  port: number;
  /** The limit of each step (connect, greeting, each reply, TLS handshake); the whole probe of a port gets a few times this. */
  timeoutMs: number;
  /** PEM text of CAs (or a self-signed certificate) to trust besides the system's CAs, as mail_smtptls_ca does. */
  ca?: string;
  /** The name given in EHLO: the one sending would give, so the server answers the probe as it will answer mail. */
  clientName?: string;
  /**
   * Whether the caller's transport verifies certificates (default true). Accepted so that callers
   * can pass their transport's TLS options unchanged, but it changes nothing in the probe: the
   * probe must finish the handshake to read a certificate it does not trust, and
   * `certificate.valid` always tells the truth rather than what a lenient transport would put up with.
   */
  rejectUnauthorized?: boolean;
}

export type SmtpAuthType = 'LOGIN' | 'PLAIN' | 'CRAM-MD5' | 'NTLM' | 'XOAUTH2';

export interface RecommendedSmtpSettings {
  mail_smtphost: string;
  mail_smtpport: number;
  mail_smtpsecure: '' | 'ssl' | 'tls';
  mail_smtpauth: boolean;
  mail_smtpauthtype?: SmtpAuthType;
}

export interface DetectReport {
  host: string;
  probes: PortProbe[];
  recommended?: RecommendedSmtpSettings;
  /** What the admin should know or do, as data: the web interface words it in the admin's language. */
  findings: DetectNote[];
  /** The same findings as English sentences, in the same order. */
  notes: string[];
}

export interface DetectSmtpSettingsOptions {
  host: string;
  port?: number;
  timeoutMs: number;
  ca?: string;
  clientName?: string;
}

/** The ports a mail client may use, in the order of preference when no port is given. */
export const DEFAULT_PROBE_PORTS: readonly number[] = [587, 465, 25, 2525];

/** Mailroom's choice among the server's AUTH methods: the simplest that is safe over TLS comes first. */
const AUTH_TYPE_PREFERENCE: readonly SmtpAuthType[] = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'NTLM', 'XOAUTH2'];

/** A whole port probe gets this many step timeouts: enough for every step of a slow server, never a hang. */
const DEADLINE_STEPS = 6;
// The EHLO name when the caller gives none.
const HELO_NAME = 'mailroom.probe';
// A hostile or broken server must not make the probe hold megabytes.
const MAX_LINE_LENGTH = 4096;
const MAX_REPLY_LINES = 200;
const MAX_BANNER_LENGTH = 512;

class ProbeFailure extends Error {
  readonly code: ProbeErrorCode;

  constructor(code: ProbeErrorCode, message: string) {
    super(message);
    this.name = 'ProbeFailure';
    this.code = code;
  }
}

interface SmtpReply {
  code: number;
  lines: string[];
}

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

function asFailure(error: unknown): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  return socketFailure(error instanceof Error ? error : new Error(String(error)));
}

function socketFailure(error: Error): ProbeFailure {
  const code = errorCodeOf(error) ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return new ProbeFailure('refused', `connection refused (${code})`);
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return new ProbeFailure('not_found', `the host name does not resolve (${code})`);
    case 'EAI_AGAIN':
      return new ProbeFailure('not_found', `the host name could not be resolved: the DNS server did not answer (${code})`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
    case 'EADDRNOTAVAIL':
      return new ProbeFailure('unreachable', `no route to the host (${code})`);
    case 'ETIMEDOUT':
      return new ProbeFailure('timeout', `the connection timed out (${code})`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ProbeFailure('closed', `the server closed the connection (${code})`);
    default:
      if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /ssl|tls/i.test(error.message)) {
        return new ProbeFailure('tls_failed', `the TLS handshake failed: ${error.message}`);
      }
      return new ProbeFailure('error', code ? `${error.message} (${code})` : error.message);
  }
}

/** What a server sent, made safe and short enough to quote in a message. */
function printable(text: string, limit = 60): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '.');
  return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
}

function replyText(reply: SmtpReply): string {
  return printable(`${reply.code} ${reply.lines.join(' / ')}`.trim(), 200);
}

/**
 * Reads SMTP replies from a socket. It fails fast on the first bytes that cannot start an SMTP
 * reply line, which is how a TLS or HTTP port reveals itself without waiting for a timeout.
 */
class ReplyReader {
  /** Bytes received so far: a port that sent nothing may be waiting for a TLS ClientHello. */
  bytesSeen = 0;
  private buffer = '';
  private pendingLines: string[] = [];
  private readonly replies: SmtpReply[] = [];
  private failure: ProbeFailure | undefined;
  private wake: (() => void) | undefined;
  private readonly socket: net.Socket;

  private readonly onData = (chunk: Buffer): void => {
    this.bytesSeen += chunk.length;
    // latin1 maps every byte to one character, so garbage can be measured and quoted safely.
    this.buffer += chunk.toString('latin1');
    this.parse();
    this.notify();
  };

  private readonly onError = (error: Error): void => {
    this.fail(socketFailure(error));
  };

  private readonly onClose = (): void => {
    this.fail(new ProbeFailure('closed', 'the server closed the connection'));
  };

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  /** Hands the socket over (to a TLS layer); a late error on it must not crash the process. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
    this.socket.on('error', ignore);
  }

  send(command: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(`${command}\r\n`);
  }

  async read(timeoutMs: number, what: string): Promise<SmtpReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.replies.shift();
      if (reply) return reply;
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new ProbeFailure('timeout', `no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }

  private notify(): void {
    this.wake?.();
  }

  private fail(failure: ProbeFailure): void {
    this.failure ??= failure;
    this.notify();
  }

  private parse(): void {
    if (this.failure) return;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      const match = /^(\d{3})(?:([ -])(.*))?$/.exec(line);
      if (!match) {
        this.fail(new ProbeFailure('not_smtp', `the server answered "${printable(line)}", which is not SMTP`));
        return;
      }
      this.pendingLines.push(match[3] ?? '');
      if (this.pendingLines.length > MAX_REPLY_LINES) {
        this.fail(new ProbeFailure('not_smtp', `the server sent a reply of more than ${MAX_REPLY_LINES} lines`));
        return;
      }
      if (match[2] !== '-') {
        this.replies.push({ code: Number(match[1]), lines: this.pendingLines });
        this.pendingLines = [];
      }
    }
    // Decide on a partial line as soon as it cannot be SMTP: a TLS record or "HTTP/1.1" says so in 4 bytes.
    const start = this.buffer.slice(0, 4);
    if (start && !/^\d{0,3}$|^\d{3}[ \r-]/.test(start)) {
      this.fail(new ProbeFailure('not_smtp', `the server answered "${printable(this.buffer)}", which is not SMTP`));
    } else if (this.buffer.length > MAX_LINE_LENGTH) {
      this.fail(new ProbeFailure('not_smtp', `the server sent a line longer than ${MAX_LINE_LENGTH} bytes`));
    }
  }
}

function ignore(): void {
  // Deliberately empty: used where an error must be swallowed because the outcome is already known.
}

/** The steps of one port probe share one deadline so that a server that answers slowly at every step still cannot hold the probe. */
class Deadline {
  private readonly end: number;
  private readonly stepMs: number;

  constructor(stepMs: number) {
    this.stepMs = stepMs;
    this.end = Date.now() + stepMs * DEADLINE_STEPS;
  }

  step(): number {
    const left = this.end - Date.now();
    if (left <= 0) throw new ProbeFailure('timeout', `the server did not finish answering within ${this.stepMs * DEADLINE_STEPS} ms`);
    return Math.min(this.stepMs, left);
  }
}

/** Waits for one of a socket's events, turning errors and the timeout into ProbeFailures and always removing its listeners. */
function waitForEvent(socket: net.Socket, event: 'connect' | 'secureConnect', timeoutMs: number, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new ProbeFailure('timeout', `no ${what} within ${timeoutMs} ms`)), timeoutMs);
    const onEvent = (): void => finish();
    const onError = (error: Error): void => finish(socketFailure(error));
    const onClose = (): void => finish(new ProbeFailure('closed', `the server closed the connection before the ${what}`));
    function finish(failure?: ProbeFailure): void {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (failure) {
        socket.on('error', ignore);
        socket.destroy();
        reject(failure);
      } else {
        resolve();
      }
    }
    socket.once(event, onEvent);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

interface Hello {
  extensions: string[];
  authMethods: string[];
}

function parseEhlo(reply: SmtpReply): Hello {
  const extensions = new Set<string>();
  const authMethods = new Set<string>();
  // The first line is the server's name, not an extension.
  for (const line of reply.lines.slice(1)) {
    const [keyword = '', ...params] = line.trim().split(/\s+/);
    if (!keyword) continue;
    // Old servers advertise "AUTH=LOGIN" for clients that predate RFC 2554's final form.
    const [name = '', legacyParam] = keyword.toUpperCase().split('=', 2);
    extensions.add(name);
    if (name === 'AUTH') {
      for (const method of [legacyParam, ...params]) {
        if (method) authMethods.add(method.toUpperCase());
      }
    }
  }
  return { extensions: [...extensions], authMethods: [...authMethods] };
}

async function hello(reader: ReplyReader, deadline: Deadline, clientName: string): Promise<Hello> {
  reader.send(`EHLO ${clientName}`);
  const ehlo = await reader.read(deadline.step(), 'answer to EHLO');
  if (ehlo.code === 250) return parseEhlo(ehlo);
  if (ehlo.code >= 500) {
    // A server of before ESMTP: it can still send mail, only without extensions.
    reader.send(`HELO ${clientName}`);
    const helo = await reader.read(deadline.step(), 'answer to HELO');
    if (helo.code === 250) return { extensions: [], authMethods: [] };
    throw new ProbeFailure('hello_refused', `the server refused EHLO and HELO: ${replyText(helo)}`);
  }
  throw new ProbeFailure('hello_refused', `the server refused EHLO: ${replyText(ehlo)}`);
}

async function quit(reader: ReplyReader, deadline: Deadline): Promise<void> {
  reader.send('QUIT');
  try {
    // The 221 only confirms the goodbye; a slow one is not worth the whole step.
    await reader.read(Math.min(deadline.step(), 1000), 'answer to QUIT');
  } catch {
    // The probe's findings stand whatever the server does after QUIT.
  }
}

function formatName(name: unknown): string | undefined {
  if (!name || typeof name !== 'object') return undefined;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(name)) {
    if (typeof value === 'string') parts.push(`${key}=${value}`);
    else if (Array.isArray(value)) parts.push(`${key}=${value.map(String).join('+')}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}

function certificateNames(cert: tls.PeerCertificate): string[] {
  const names: string[] = [];
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const match = /^\s*(DNS|IP Address):(.+)$/.exec(entry);
    if (match?.[2]) names.push(match[2].trim());
  }
  const cn = cert.subject?.CN;
  if (names.length === 0 && typeof cn === 'string') names.push(cn);
  return names;
}

function isoDate(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

const SELF_SIGNED_ERRORS = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

/**
 * Judges the certificate as Mailroom's transport would. Node's own host name check is turned off
 * on the socket (it would check "localhost" when the host is an IP address and no SNI is sent),
 * so the check is done here with tls.checkServerIdentity against the host the admin typed.
 */
function inspectCertificate(socket: tls.TLSSocket, host: string): ProbeCertificate | undefined {
  const cert = socket.getPeerCertificate(true);
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const chainError = socket.authorized ? undefined : (errorCodeOf(socket.authorizationError as unknown) ?? 'UNKNOWN');
  const identityError = tls.checkServerIdentity(host, cert);
  const error = chainError ?? (identityError ? (errorCodeOf(identityError) ?? 'ERR_TLS_CERT_ALTNAME_INVALID') : undefined);
  const leafIsSelfSigned = cert.issuerCertificate !== undefined && cert.issuerCertificate.fingerprint256 === cert.fingerprint256;
  const certificate: ProbeCertificate = {
    valid: error === undefined,
    selfSigned: leafIsSelfSigned || (chainError !== undefined && SELF_SIGNED_ERRORS.has(chainError)),
    hostnameMatches: identityError === undefined,
    names: certificateNames(cert),
  };
  if (error !== undefined) certificate.error = error;
  const subject = formatName(cert.subject);
  if (subject !== undefined) certificate.subject = subject;
  const issuer = formatName(cert.issuer);
  if (issuer !== undefined) certificate.issuer = issuer;
  const validTo = isoDate(cert.valid_to);
  if (validTo !== undefined) certificate.validTo = validTo;
  if (cert.fingerprint256) certificate.fingerprint256 = cert.fingerprint256;
  return certificate;
}

interface TlsTarget {
  host: string;
  ca: string | undefined;
}

/** Where and how a probe connects: the server, the CAs it trusts, the name it gives in EHLO. */
type ProbeTarget = Required<Pick<ProbeSmtpPortOptions, 'host' | 'port'>> & TlsTarget & { clientName: string };

function tlsOptions(target: TlsTarget): tls.ConnectionOptions {
  return {
    // SNI must not carry an IP address (RFC 6066).
    ...(net.isIP(target.host) === 0 ? { servername: target.host } : {}),
    // Node's `ca` replaces the system CAs; mail_smtptls_ca promises to add to them.
    ...(target.ca !== undefined ? { ca: [...tls.rootCertificates, target.ca] } : {}),
    // The probe must read a certificate that it would not trust; it judges it in inspectCertificate.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
}

function failedProbe(port: number, reachable: boolean, failure: ProbeFailure): PortProbe {
  return { port, reachable, error: { code: failure.code, message: failure.message }, extensions: [], authMethods: [], authBeforeTls: [] };
}

function bannerOf(greeting: SmtpReply): string {
  return printable(greeting.lines.join(' ').trim(), MAX_BANNER_LENGTH);
}

/** Runs EHLO (and QUIT) on a session whose greeting was 220, filling `probe` as far as the server lets it. */
async function finishSession(reader: ReplyReader, deadline: Deadline, probe: PortProbe, clientName: string): Promise<Hello | undefined> {
  try {
    const result = await hello(reader, deadline, clientName);
    probe.extensions = result.extensions;
    probe.authMethods = result.authMethods;
    return result;
  } catch (error) {
    const failure = asFailure(error);
    probe.error = { code: failure.code, message: failure.message };
    return undefined;
  }
}

async function probePlainSession(
  socket: net.Socket,
  reader: ReplyReader,
  greeting: SmtpReply,
  options: ProbeTarget,
  deadline: Deadline,
  sockets: Set<net.Socket>,
): Promise<PortProbe> {
  const probe: PortProbe = { port: options.port, reachable: true, security: 'plain', banner: bannerOf(greeting), extensions: [], authMethods: [], authBeforeTls: [] };
  const plain = await finishSession(reader, deadline, probe, options.clientName);
  if (!plain) return probe;
  probe.authBeforeTls = plain.authMethods;
  if (!plain.extensions.includes('STARTTLS')) {
    await quit(reader, deadline);
    return probe;
  }

  let answer: SmtpReply;
  try {
    reader.send('STARTTLS');
    answer = await reader.read(deadline.step(), 'answer to STARTTLS');
  } catch (error) {
    const failure = asFailure(error);
    probe.error = { code: failure.code, message: `STARTTLS is offered but the server did not answer it: ${failure.message}` };
    return probe;
  }
  if (answer.code !== 220) {
    probe.error = { code: 'tls_failed', message: `STARTTLS is offered but the server refused it: ${replyText(answer)}` };
    await quit(reader, deadline);
    return probe;
  }

  reader.detach();
  const secure = tls.connect({ socket, ...tlsOptions(options) });
  sockets.add(secure);
  try {
    await waitForEvent(secure, 'secureConnect', deadline.step(), 'TLS handshake after STARTTLS');
  } catch (error) {
    const failure = asFailure(error);
    probe.error = { code: failure.code === 'timeout' ? 'timeout' : 'tls_failed', message: `STARTTLS is offered but ${failure.code === 'timeout' ? 'there was ' : ''}${failure.message}` };
    return probe;
  }
  probe.security = 'starttls';
  const certificate = inspectCertificate(secure, options.host);
  if (certificate) probe.certificate = certificate;
  // RFC 3207: what the server said before TLS no longer counts, so the final session starts empty.
  probe.extensions = [];
  probe.authMethods = [];
  const tlsReader = new ReplyReader(secure);
  if (await finishSession(tlsReader, deadline, probe, options.clientName)) await quit(tlsReader, deadline);
  return probe;
}

async function probeImplicitTls(options: ProbeTarget, deadline: Deadline, sockets: Set<net.Socket>): Promise<PortProbe> {
  const secure = tls.connect({ host: options.host, port: options.port, ...tlsOptions(options) });
  sockets.add(secure);
  // Throws when there is no TLS here at all; the caller decides what that means.
  await waitForEvent(secure, 'secureConnect', deadline.step(), 'TLS handshake');
  const probe: PortProbe = { port: options.port, reachable: true, extensions: [], authMethods: [], authBeforeTls: [] };
  const certificate = inspectCertificate(secure, options.host);
  if (certificate) probe.certificate = certificate;
  const reader = new ReplyReader(secure);
  let greeting: SmtpReply;
  try {
    greeting = await reader.read(deadline.step(), 'SMTP greeting after the TLS handshake');
  } catch (error) {
    const failure = asFailure(error);
    probe.error = {
      code: failure.code === 'timeout' || failure.code === 'closed' ? 'not_smtp' : failure.code,
      message: `TLS works on this port but ${failure.message}: it does not look like an SMTP server`,
    };
    return probe;
  }
  probe.banner = bannerOf(greeting);
  if (greeting.code !== 220) {
    probe.error = { code: 'greeting_refused', message: `the server refused the session: ${replyText(greeting)}` };
    await quit(reader, deadline);
    return probe;
  }
  probe.security = 'implicit_tls';
  if (await finishSession(reader, deadline, probe, options.clientName)) await quit(reader, deadline);
  return probe;
}

/** What to report when neither plain SMTP nor implicit TLS worked on a port that accepted the connection. */
function neitherFailure(plain: ProbeFailure, plainSawBytes: boolean, secure: ProbeFailure, timeoutMs: number): ProbeFailure {
  if (plainSawBytes) return new ProbeFailure('not_smtp', `${plain.message}, and a TLS handshake failed too`);
  if (plain.code === 'timeout' && secure.code === 'timeout') {
    return new ProbeFailure('timeout', `the server accepted the connection but sent no SMTP greeting within ${timeoutMs} ms and did not complete a TLS handshake either`);
  }
  if (secure.code === 'tls_failed') {
    return new ProbeFailure('not_smtp', `the server sent no SMTP greeting (${plain.message}) and ${secure.message}`);
  }
  return new ProbeFailure(secure.code, `the server sent no SMTP greeting (${plain.message}); trying implicit TLS: ${secure.message}`);
}

/**
 * Probes one port: plain SMTP first, then implicit TLS when no SMTP greeting came. Resolves,
 * never rejects, for anything the server or the network does; rejects only on invalid options.
 */
export async function probeSmtpPort(options: ProbeSmtpPortOptions): Promise<PortProbe> {
  const { host, port, timeoutMs } = options;
  if (!host.trim() || /[\s/]/.test(host)) throw new MailroomError('invalid_request', `"${host}" is not a host name or IP address.`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new MailroomError('invalid_request', `${port} is not a TCP port (1-65535).`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new MailroomError('invalid_request', 'The probe timeout must be a positive number of milliseconds.');

  const deadline = new Deadline(timeoutMs);
  const sockets = new Set<net.Socket>();
  const target: ProbeTarget = { host, port, ca: options.ca, clientName: options.clientName ?? HELO_NAME };
  try {
    return await probeBothWays(target, deadline, sockets, timeoutMs);
  } finally {
    for (const socket of sockets) {
      socket.on('error', ignore);
      socket.destroy();
    }
  }
}

async function probeBothWays(target: ProbeTarget, deadline: Deadline, sockets: Set<net.Socket>, timeoutMs: number): Promise<PortProbe> {
  const socket = net.connect({ host: target.host, port: target.port });
  sockets.add(socket);
  try {
    await waitForEvent(socket, 'connect', deadline.step(), 'TCP connection');
  } catch (error) {
    // Nothing listens (or nothing can be reached): implicit TLS would fail the same way.
    return failedProbe(target.port, false, asFailure(error));
  }

  const reader = new ReplyReader(socket);
  let plainFailure: ProbeFailure;
  try {
    const greeting = await reader.read(deadline.step(), 'SMTP greeting');
    if (greeting.code === 220) return await probePlainSession(socket, reader, greeting, target, deadline, sockets);
    const probe: PortProbe = {
      port: target.port,
      reachable: true,
      banner: bannerOf(greeting),
      error: { code: 'greeting_refused', message: `the server refused the session: ${replyText(greeting)}` },
      extensions: [],
      authMethods: [],
      authBeforeTls: [],
    };
    await quit(reader, deadline);
    return probe;
  } catch (error) {
    plainFailure = asFailure(error);
  }

  // No SMTP greeting in the clear: an implicit-TLS port waits silently for the client's ClientHello.
  reader.detach();
  socket.destroy();
  try {
    return await probeImplicitTls(target, deadline, sockets);
  } catch (error) {
    return failedProbe(target.port, true, neitherFailure(plainFailure, reader.bytesSeen > 0, asFailure(error), timeoutMs));
  }
}

/** Probes the given port, or every usual submission port at once, and recommends Mailroom settings. */
export async function detectSmtpSettings(options: DetectSmtpSettingsOptions): Promise<DetectReport> {
  const ports = options.port === undefined ? DEFAULT_PROBE_PORTS : [options.port];
  const probes = await Promise.all(
    ports.map((port) =>
      probeSmtpPort({
        host: options.host,
        port,
        timeoutMs: options.timeoutMs,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.clientName !== undefined ? { clientName: options.clientName } : {}),
      }),
    ),
  );
  return { host: options.host, probes, ...recommendSmtpSettings(options.host, probes, { caGiven: options.ca !== undefined }) };
}

function usable(probe: PortProbe): boolean {
  return probe.security !== undefined && probe.error === undefined;
}

function portRank(probe: PortProbe): number {
  // 587 with STARTTLS and 465 with implicit TLS are the standard submission ports (RFC 8314).
  if (probe.port === 587 && probe.security === 'starttls') return 0;
  if (probe.port === 465 && probe.security === 'implicit_tls') return 1;
  return 2;
}

function chooseAuthType(methods: readonly string[]): SmtpAuthType | undefined {
  return AUTH_TYPE_PREFERENCE.find((type) => methods.includes(type));
}

/** Chooses the settings from the probes of one host; pure, so that the rule can be tested without servers. */
export function recommendSmtpSettings(
  host: string,
  probes: readonly PortProbe[],
  context: { caGiven: boolean } = { caGiven: false },
): Pick<DetectReport, 'recommended' | 'notes' | 'findings'> {
  const findings: DetectNote[] = [];
  const finish = (recommended?: RecommendedSmtpSettings): Pick<DetectReport, 'recommended' | 'notes' | 'findings'> => ({
    ...(recommended ? { recommended } : {}),
    findings,
    notes: findings.map(detectNoteText),
  });
  for (const probe of probes) {
    if (probe.error && probe.security === undefined && probe.reachable) findings.push({ kind: 'port_failed', port: probe.port, error: probe.error });
    else if (probe.error && probe.security !== undefined) findings.push({ kind: 'port_unusable', port: probe.port, error: probe.error });
    else if (probe.error?.code === 'timeout' && probe.port === 25) findings.push({ kind: 'port_25_blocked', port: 25 });
  }

  const candidates = probes.filter(usable);
  const secure = candidates
    .filter((probe) => probe.security !== 'plain')
    .sort(
      (a, b) =>
        Number(b.certificate?.valid === true) - Number(a.certificate?.valid === true) ||
        portRank(a) - portRank(b) ||
        probes.indexOf(a) - probes.indexOf(b),
    );
  const best = secure[0] ?? candidates[0];
  if (!best) {
    findings.push(candidates.length === 0 && probes.every((probe) => !probe.reachable) ? unreachableFinding(probes, host) : { kind: 'no_working_port' });
    return finish();
  }

  const recommended: RecommendedSmtpSettings = {
    mail_smtphost: host,
    mail_smtpport: best.port,
    mail_smtpsecure: best.security === 'implicit_tls' ? 'ssl' : best.security === 'starttls' ? 'tls' : '',
    mail_smtpauth: best.authMethods.length > 0,
  };
  const authType = chooseAuthType(best.authMethods);
  if (authType) recommended.mail_smtpauthtype = authType;

  if (best.security === 'plain') findings.push({ kind: 'no_tls', withPassword: recommended.mail_smtpauth });
  const certFinding = certificateFinding(best, host);
  if (certFinding) findings.push(certFinding);
  else if (context.caGiven && best.certificate?.valid) findings.push({ kind: 'ca_checked' });
  if (best.authMethods.length > 0 && !authType) findings.push({ kind: 'auth_unsupported', port: best.port, methods: best.authMethods });
  if (best.authMethods.length === 0) findings.push({ kind: 'no_auth', port: best.port });
  return finish(recommended);
}

function describeCertificate(cert: ProbeCertificate): string {
  const state = cert.valid ? 'trusted' : `NOT trusted (${cert.selfSigned ? 'self-signed, ' : ''}${cert.error ?? 'unknown reason'})`;
  const details = [cert.subject && `subject ${cert.subject}`, cert.issuer && `issuer ${cert.issuer}`, cert.validTo && `valid until ${cert.validTo}`, cert.fingerprint256 && `SHA-256 ${cert.fingerprint256}`].filter(Boolean);
  return details.length ? `${state}; ${details.join('; ')}` : state;
}

const SECURITY_LABELS: Record<ProbeSecurity, string> = {
  plain: 'plain SMTP, no TLS',
  starttls: 'STARTTLS',
  implicit_tls: 'implicit TLS (ssl)',
};

function shellWord(value: string): string {
  return /^[\w.:@%+=,/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The report as the CLI prints it: one block per port, then the settings as commands to copy. */
export function formatDetectReport(report: DetectReport): string {
  return `${[...formatProbes(report), ...formatRecommendation(report)].join('\n')}\n`;
}

/** One server's block: a paragraph per port. */
export function formatProbes(report: Pick<DetectReport, 'host' | 'probes'>): string[] {
  const out: string[] = [`SMTP server ${report.host}`, ''];
  for (const probe of report.probes) {
    if (!probe.reachable) {
      out.push(`Port ${probe.port}: not reachable: ${probe.error?.message ?? 'unknown reason'}`, '');
      continue;
    }
    out.push(`Port ${probe.port}: ${probe.security ? SECURITY_LABELS[probe.security] : 'no usable SMTP'}`);
    const line = (label: string, value: string): void => {
      out.push(`  ${`${label}:`.padEnd(15)}${value}`);
    };
    if (probe.banner !== undefined) line('Banner', probe.banner);
    if (probe.security !== undefined) {
      line('AUTH', probe.authMethods.length ? probe.authMethods.join(' ') : 'none offered');
      if (probe.security === 'starttls' && probe.authBeforeTls.length) line('AUTH in clear', `${probe.authBeforeTls.join(' ')} (offered before STARTTLS)`);
      if (probe.extensions.length) line('Extensions', probe.extensions.join(' '));
    }
    if (probe.certificate) line('Certificate', describeCertificate(probe.certificate));
    if (probe.error) line('Problem', `${probe.error.message} [${probe.error.code}]`);
    out.push('');
  }
  return out;
}

/** The settings to set as commands to copy, then the notes. */
export function formatRecommendation(report: Pick<DetectReport, 'recommended' | 'notes'>): string[] {
  const out: string[] = [];
  if (report.recommended) {
    const settings = report.recommended;
    out.push('Recommended settings:');
    const pairs: [string, string][] = [
      ['mail_smtphost', settings.mail_smtphost],
      ['mail_smtpport', String(settings.mail_smtpport)],
      ['mail_smtpsecure', settings.mail_smtpsecure],
      ['mail_smtpauth', String(settings.mail_smtpauth)],
    ];
    if (settings.mail_smtpauthtype) pairs.push(['mail_smtpauthtype', settings.mail_smtpauthtype]);
    for (const [key, value] of pairs) out.push(`  mailroom config:set ${key} ${shellWord(value)}`);
  } else {
    out.push('No settings can be recommended.');
  }
  if (report.notes.length) {
    out.push('', 'Notes:');
    for (const note of report.notes) out.push(`  - ${note}`);
  }
  return out;
}
