/**
 * SMTP on the wire, for every part of Mailroom that speaks it (the session that sends, the probe
 * behind mail:detect, the diagnosis that asks a port whether it speaks TLS): reading replies
 * within their limits, the EHLO reply's extensions, the TLS options, and opening a socket or
 * upgrading one to TLS within a time limit. The only module of transport/ that opens sockets.
 *
 * What to say, and what a failure means, stays with each caller: the session words failures in
 * nodemailer's shape for the diagnosis, the probe in its own codes for the admin.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { CertificateCheck } from '../domain/api-types.ts';

/**
 * A hostile or broken server must not make Mailroom hold megabytes. RFC 5321 4.5.3.1.5 allows
 * 512 bytes a reply line; an EHLO reply has a few dozen lines.
 */
export const MAX_LINE_LENGTH = 4096;
export const MAX_REPLY_LINES = 200;

/** One reply: its code and every line of it, e.g. ["250-localhost", "250 PIPELINING"]. */
export interface SmtpReply {
  code: number;
  lines: string[];
  /** The whole reply as one text, lines joined by "\n". */
  text: string;
}

/** An SMTP failure in nodemailer's error shape (`code`, `response`, `responseCode`, `command`), so one diagnosis reads them all. */
export class SmtpError extends Error {
  readonly code: string;
  readonly response: string | undefined;
  readonly responseCode: number | undefined;
  readonly command: string | undefined;
  /** The message was refused but the connection is fine for the next one. */
  readonly sessionUsable: boolean;

  constructor(message: string, fields: { code: string; response?: string | undefined; command?: string | undefined; cause?: unknown; sessionUsable?: boolean }) {
    super(fields.response ? `${message}: ${fields.response}` : message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'SmtpError';
    this.code = fields.code;
    this.response = fields.response;
    const status = fields.response ? Number(/^\d{3}/.exec(fields.response)?.[0]) : NaN;
    this.responseCode = Number.isFinite(status) ? status : undefined;
    this.command = fields.command;
    this.sessionUsable = fields.sessionUsable ?? false;
  }
}

/** Why what came over the wire is not SMTP replies; `line` is what was read (unchecked: the caller makes it printable). */
export type WireFault = { kind: 'not_smtp'; line: string } | { kind: 'line_too_long' } | { kind: 'too_many_lines' };

const REPLY_LINE = /^\d{3}(?:[ -]|$)/;
// A partial line that can still become a reply line: up to three digits, or three and a separator.
const REPLY_START = /^\d{0,3}$|^\d{3}[ \r-]/;

/**
 * Turns text read from a socket into replies. Fed strings (the caller chooses the decoding),
 * it calls `onReply` for each complete reply and `onFault` once, at the first thing that is not
 * an SMTP reply or breaks a limit, after which it reads nothing more.
 */
export class ReplyParser {
  #buffer = '';
  #lines: string[] = [];
  #failed = false;
  readonly #onReply: (reply: SmtpReply) => void;
  readonly #onFault: (fault: WireFault) => void;
  readonly #rejectPartial: boolean;

  /**
   * `rejectPartial`: also judge a line before its end, so that a TLS record or "HTTP/1.1" is
   * told apart in four bytes rather than at a line end that may never come.
   */
  constructor(onReply: (reply: SmtpReply) => void, onFault: (fault: WireFault) => void, options: { rejectPartial?: boolean } = {}) {
    this.#onReply = onReply;
    this.#onFault = onFault;
    this.#rejectPartial = options.rejectPartial ?? false;
  }

  /** Forgets what was read: the socket under it changed (STARTTLS). */
  reset(): void {
    this.#buffer = '';
    this.#lines = [];
  }

  push(chunk: string): void {
    if (this.#failed) return;
    this.#buffer += chunk;
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const end = newline > 0 && this.#buffer.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line.length > MAX_LINE_LENGTH) return this.#fail({ kind: 'line_too_long' });
      if (!REPLY_LINE.test(line)) return this.#fail({ kind: 'not_smtp', line });
      this.#lines.push(line);
      if (this.#lines.length > MAX_REPLY_LINES) return this.#fail({ kind: 'too_many_lines' });
      // "250-": more lines of this reply follow.
      if (line.charCodeAt(3) !== 45) {
        const lines = this.#lines;
        this.#lines = [];
        this.#onReply({ code: Number(line.slice(0, 3)), lines, text: lines.join('\n') });
        if (this.#failed) return;
      }
    }
    if (this.#rejectPartial && this.#buffer !== '' && !REPLY_START.test(this.#buffer.slice(0, 4))) this.#fail({ kind: 'not_smtp', line: this.#buffer });
    else if (this.#buffer.length > MAX_LINE_LENGTH) this.#fail({ kind: 'line_too_long' });
  }

  #fail(fault: WireFault): void {
    this.#failed = true;
    this.#buffer = '';
    this.#lines = [];
    this.#onFault(fault);
  }
}

/** What follows the code and its separator in each line of a reply ("250-PIPELINING" → "PIPELINING"). */
export function replyTexts(reply: SmtpReply): string[] {
  return reply.lines.map((line) => line.slice(4));
}

export interface EhloOffer {
  /** The keywords, upper-case, once each. */
  extensions: string[];
  /** The AUTH methods, upper-case, once each. */
  authMethods: string[];
}

/** What a 250 reply to EHLO offers. */
export function parseEhlo(reply: SmtpReply): EhloOffer {
  const extensions = new Set<string>();
  const authMethods = new Set<string>();
  // The first line is the server's name, not an extension.
  for (const line of replyTexts(reply).slice(1)) {
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

export interface TlsTarget {
  host: string;
  /** PEM of extra CAs; added to the system's. */
  ca: string | undefined;
  /**
   * false: the handshake completes whatever the certificate (the caller judges it, or the
   * settings said not to): neither the chain nor the host name stops it.
   */
  rejectUnauthorized: boolean;
}

export function tlsOptions(target: TlsTarget): tls.ConnectionOptions {
  return {
    // SNI must not carry an IP address (RFC 6066).
    ...(net.isIP(target.host) === 0 ? { servername: target.host } : {}),
    host: target.host,
    rejectUnauthorized: target.rejectUnauthorized,
    ...(target.rejectUnauthorized ? {} : { checkServerIdentity: () => undefined }),
    minVersion: 'TLSv1.2',
    // Node's `ca` replaces the system CAs; mail_smtptls_ca adds to them.
    ...(target.ca ? { ca: [...tls.rootCertificates, target.ca] } : {}),
  };
}

/** A server's certificate, judged (the API shows it as is: domain/api-types.ts). */
export type { CertificateCheck };

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
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
 * on a socket opened with rejectUnauthorized false (it would check "localhost" when the host is
 * an IP address and no SNI is sent), so the check is done here with tls.checkServerIdentity
 * against the host the admin typed.
 */
export function inspectCertificate(socket: tls.TLSSocket, host: string): CertificateCheck | undefined {
  const cert = socket.getPeerCertificate(true);
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const chainError = socket.authorized ? undefined : (errorCodeOf(socket.authorizationError as unknown) ?? 'UNKNOWN');
  const identityError = tls.checkServerIdentity(host, cert);
  const error = chainError ?? (identityError ? (errorCodeOf(identityError) ?? 'ERR_TLS_CERT_ALTNAME_INVALID') : undefined);
  const leafIsSelfSigned = cert.issuerCertificate !== undefined && cert.issuerCertificate.fingerprint256 === cert.fingerprint256;
  const certificate: CertificateCheck = {
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

/**
 * How opening or upgrading a socket failed, when it was not the socket's own error (those are
 * rethrown as Node made them, so that their codes and messages reach the caller unchanged).
 */
export class WireTimeout extends SmtpError {
  constructor(what: string, command: string | undefined) {
    super(`${what} timed out`, { code: 'ETIMEDOUT', command });
  }
}
export class WireClosed extends SmtpError {
  constructor(what: string, command: string | undefined) {
    super(`The server closed the connection before the ${what}`, { code: 'ECONNECTION', command });
  }
}

function ignore(): void {
  // A socket given up on may still report an error; it must not crash the process.
}

/**
 * Waits for a socket to connect (or finish its handshake) within `timeoutMs`. On failure the
 * socket is destroyed and the promise rejects with WireTimeout, WireClosed or the socket's own
 * error (marked with `command` when given); its listeners are removed either way.
 */
function settle<S extends net.Socket>(socket: S, event: 'connect' | 'secureConnect', timeoutMs: number, what: string, command: string | undefined): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    const timer = setTimeout(() => finish(new WireTimeout(what, command)), timeoutMs);
    const onEvent = (): void => finish();
    const onError = (error: Error): void => finish(command === undefined ? error : Object.assign(error, { command }));
    const onClose = (): void => finish(new WireClosed(what, command));
    function finish(failure?: Error): void {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (!failure) return resolve(socket);
      socket.on('error', ignore);
      socket.destroy();
      reject(failure);
    }
    socket.once(event, onEvent);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

export interface ConnectTarget extends TlsTarget {
  port: number;
  /** Implicit TLS: the handshake before the first SMTP byte. */
  implicitTls: boolean;
}

/** A TCP connection (or an implicit-TLS one, handshake done) to an SMTP server, within `timeoutMs`. */
export function openSocket(target: ConnectTarget, timeoutMs: number, command?: string): Promise<net.Socket | tls.TLSSocket> {
  if (target.implicitTls) return openTlsSocket(target, timeoutMs, command);
  return settle(net.connect({ host: target.host, port: target.port }), 'connect', timeoutMs, `Connection to ${target.host}:${target.port}`, command);
}

/** An implicit-TLS connection, handshake done, within `timeoutMs`. */
export function openTlsSocket(target: TlsTarget & { port: number }, timeoutMs: number, command?: string): Promise<tls.TLSSocket> {
  return settle(tls.connect({ port: target.port, ...tlsOptions(target) }), 'secureConnect', timeoutMs, `Connection to ${target.host}:${target.port}`, command);
}

/** STARTTLS's handshake on a connected socket, within `timeoutMs`; the caller stops reading the plain socket first. */
export function upgradeSocket(socket: net.Socket, target: TlsTarget, timeoutMs: number): Promise<tls.TLSSocket> {
  return settle(tls.connect({ socket, ...tlsOptions(target) }), 'secureConnect', timeoutMs, 'TLS handshake', undefined);
}
