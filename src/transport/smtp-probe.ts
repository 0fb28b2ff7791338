/**
 * The SMTP server probe behind `mailroom mail:detect` and `POST /api/v1/settings/mail/detect`:
 * it connects to a server the way Mailroom would, reads what it offers (greeting, EHLO
 * extensions, STARTTLS, AUTH methods, certificate); which settings would work is the detect
 * service's to say (mail/detect-service.ts). The wire itself is smtp-wire.ts's.
 *
 * It speaks SMTP itself over raw sockets rather than through nodemailer because it has to see
 * what nodemailer hides: the silence of an implicit-TLS port, the extensions before and after
 * STARTTLS, and a certificate that nodemailer would refuse before anyone could read it.
 * It never sends credentials and never sends mail: EHLO, STARTTLS and QUIT are all it says.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { MailroomError } from '../errors.ts';
import type { PortProbe, ProbeErrorCode } from './port-probe.ts';
import { MAX_LINE_LENGTH, MAX_REPLY_LINES, inspectCertificate, openSocket, openTlsSocket, parseEhlo, ReplyParser, replyTexts, upgradeSocket, WireClosed, WireTimeout, type EhloOffer, type SmtpReply, type TlsTarget, type WireFault } from './smtp-wire.ts';

export type { PortProbe, ProbeCertificate, ProbeErrorCode, ProbeSecurity } from './port-probe.ts';

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

/** A whole port probe gets this many step timeouts: enough for every step of a slow server, never a hang. */
const DEADLINE_STEPS = 6;
// The EHLO name when the caller gives none.
const HELO_NAME = 'mailroom.probe';
const MAX_BANNER_LENGTH = 512;

class ProbeFailure extends Error {
  readonly code: ProbeErrorCode;

  constructor(code: ProbeErrorCode, message: string) {
    super(message);
    this.name = 'ProbeFailure';
    this.code = code;
  }
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
  return printable(`${reply.code} ${replyTexts(reply).join(' / ')}`.trim(), 200);
}

/**
 * Reads SMTP replies from a socket, one at a time within a time limit. It fails fast on the first
 * bytes that cannot start an SMTP reply line, which is how a TLS or HTTP port reveals itself
 * without waiting for a timeout.
 */
class ReplyReader {
  /** Bytes received so far: a port that sent nothing may be waiting for a TLS ClientHello. */
  bytesSeen = 0;
  private readonly replies: SmtpReply[] = [];
  private failure: ProbeFailure | undefined;
  private wake: (() => void) | undefined;
  private readonly socket: net.Socket;
  private readonly parser = new ReplyParser(
    (reply) => this.replies.push(reply),
    (fault) => this.fail(faultFailure(fault)),
    { rejectPartial: true },
  );

  private readonly onData = (chunk: Buffer): void => {
    this.bytesSeen += chunk.length;
    // latin1 maps every byte to one character, so garbage can be measured and quoted safely.
    this.parser.push(chunk.toString('latin1'));
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
}

function faultFailure(fault: WireFault): ProbeFailure {
  switch (fault.kind) {
    case 'not_smtp':
      return new ProbeFailure('not_smtp', `the server answered "${printable(fault.line)}", which is not SMTP`);
    case 'too_many_lines':
      return new ProbeFailure('not_smtp', `the server sent a reply of more than ${MAX_REPLY_LINES} lines`);
    case 'line_too_long':
      return new ProbeFailure('not_smtp', `the server sent a line longer than ${MAX_LINE_LENGTH} bytes`);
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

/** Waits for the wire to open or upgrade a socket, turning its failures into ProbeFailures. */
async function opened<S>(opening: Promise<S>, what: string, timeoutMs: number): Promise<S> {
  try {
    return await opening;
  } catch (error) {
    if (error instanceof WireTimeout) throw new ProbeFailure('timeout', `no ${what} within ${timeoutMs} ms`);
    if (error instanceof WireClosed) throw new ProbeFailure('closed', `the server closed the connection before the ${what}`);
    throw asFailure(error);
  }
}

type Hello = EhloOffer;

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

/** Where and how a probe connects: the server, the CAs it trusts, the name it gives in EHLO. */
type ProbeTarget = Required<Pick<ProbeSmtpPortOptions, 'host' | 'port'>> & { ca: string | undefined; clientName: string };

/** The probe must read a certificate that it would not trust; it judges it in inspectCertificate. */
function probeTls(target: ProbeTarget): TlsTarget {
  return { host: target.host, ca: target.ca, rejectUnauthorized: false };
}

function failedProbe(port: number, reachable: boolean, failure: ProbeFailure): PortProbe {
  return { port, reachable, error: { code: failure.code, message: failure.message }, extensions: [], authMethods: [], authBeforeTls: [] };
}

function bannerOf(greeting: SmtpReply): string {
  return printable(replyTexts(greeting).join(' ').trim(), MAX_BANNER_LENGTH);
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

async function probePlainSession(socket: net.Socket, reader: ReplyReader, greeting: SmtpReply, options: ProbeTarget, deadline: Deadline, sockets: Set<net.Socket>): Promise<PortProbe> {
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
  let secure: tls.TLSSocket;
  try {
    const stepMs = deadline.step();
    secure = await opened(upgradeSocket(socket, probeTls(options), stepMs), 'TLS handshake after STARTTLS', stepMs);
    sockets.add(secure);
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
  // Throws when there is no TLS here at all; the caller decides what that means.
  const stepMs = deadline.step();
  const secure = await opened(openTlsSocket({ ...probeTls(options), port: options.port }, stepMs), 'TLS handshake', stepMs);
  sockets.add(secure);
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
  let socket: net.Socket;
  try {
    const stepMs = deadline.step();
    socket = await opened(openSocket({ ...probeTls(target), port: target.port, implicitTls: false }, stepMs), 'TCP connection', stepMs);
    sockets.add(socket);
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
