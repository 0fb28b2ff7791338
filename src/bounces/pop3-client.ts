import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { MailroomError, type ErrorCode } from '../errors.ts';

/**
 * A small POP3 client (RFC 1939, STLS from RFC 2595), only what fetching a bounce mailbox takes:
 * log in over TLS, list, read, delete, quit. POP3 suits the job: deletions marked with DELE take
 * effect only at QUIT, so a process that dies half way deletes nothing, and a message is marked
 * only after it was recorded.
 */
export interface Pop3Options {
  host: string;
  port: number;
  tls: 'ssl' | 'starttls';
  user: string;
  password: string;
  /** PEM certificates to trust besides the system ones. */
  ca?: string | undefined;
  timeoutMs?: number;
}

export interface Pop3Session {
  /** Message numbers and sizes (LIST). */
  list(): Promise<Array<{ number: number; size: number }>>;
  /** The message's bytes, at most `limit` of them kept (the rest is read and dropped). */
  retrieve(number: number, limit: number): Promise<{ raw: Buffer; truncated: boolean }>;
  /** Marks it deleted; the server deletes it at quit(). */
  delete(number: number): Promise<void>;
  /** Ends the session: the server now deletes what was marked. */
  quit(): Promise<void>;
  /** Drops the connection without QUIT: nothing marked is deleted. */
  close(): void;
}

/**
 * The longest line read before the connection is dropped. Mail lines are at most 1000 bytes
 * (RFC 5322), so this leaves room for careless senders, while a server that never sends a line
 * end (the host is whatever the admin of the page typed) cannot fill the worker's memory.
 */
export const MAX_POP3_LINE_BYTES = 1024 * 1024;

const fail = (code: ErrorCode, message: string, cause?: unknown) => new MailroomError(code, message, cause === undefined ? {} : { cause });

/** Reads CRLF lines from a socket, one at a time, as bytes (a message need not be UTF-8). */
function lineReader(socket: Socket, where: string, timeoutMs: number) {
  let buffer: Buffer = Buffer.alloc(0);
  let waiter: { resolve: (line: Buffer) => void; reject: (error: Error) => void } | undefined;
  let ended: Error | undefined;
  const take = (): Buffer | undefined => {
    const at = buffer.indexOf('\r\n');
    if (at === -1) return undefined;
    const line = buffer.subarray(0, at);
    buffer = buffer.subarray(at + 2);
    return line;
  };
  const onData = (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    if (buffer.length > MAX_POP3_LINE_BYTES && buffer.indexOf('\r\n') === -1) {
      onEnd(fail('bounce_mailbox_protocol_error', `${where} sent a line longer than ${MAX_POP3_LINE_BYTES / 1024 / 1024} MiB`));
      socket.destroy();
      return;
    }
    if (!waiter) return;
    const line = take();
    if (line) {
      const w = waiter;
      waiter = undefined;
      w.resolve(line);
    }
  };
  const onEnd = (error?: Error) => {
    ended ??= error ?? fail('bounce_mailbox_protocol_error', `${where} closed the connection`);
    waiter?.reject(ended);
    waiter = undefined;
  };
  socket.on('data', onData);
  socket.on('end', () => onEnd());
  socket.on('close', () => onEnd());
  socket.on('error', (error) => onEnd(error));
  socket.setTimeout(timeoutMs, () => {
    onEnd(fail('bounce_mailbox_unreachable', `${where} did not answer within ${timeoutMs / 1000} s`));
    socket.destroy();
  });
  return {
    next(): Promise<Buffer> {
      const line = take();
      if (line) return Promise.resolve(line);
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    /** Stops reading from this socket (STLS hands it to TLS). */
    detach(): void {
      socket.removeListener('data', onData);
      socket.setTimeout(0);
    },
  };
}

function connectionError(error: unknown, where: string): MailroomError {
  if (error instanceof MailroomError) return error;
  const code = (error as { code?: string } | null)?.code ?? '';
  const text = error instanceof Error ? error.message : String(error);
  if (/wrong version number|packet length/i.test(text)) {
    return fail('bounce_mailbox_tls_failed', `the TLS connection to ${where} failed: the port speaks plain POP3 (use mail_bounce_pop3_tls starttls there, or ssl on port 995)`, error);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS|ERR_SSL|EPROTO/i.test(`${code} ${text}`)) {
    const hint = /SELF_SIGNED|UNABLE_TO|self.signed|local issuer/i.test(`${code} ${text}`) ? ' (for a private CA or a self-signed server, give its certificate in mail_bounce_pop3_tls_ca)' : '';
    return fail('bounce_mailbox_tls_failed', `the TLS connection to ${where} failed: ${text.trim().split('\n')[0]}${hint}`, error);
  }
  return fail('bounce_mailbox_unreachable', `${where} could not be reached: ${text}`, error);
}

/** Opens a session and logs in; throws a MailroomError with a bounce_mailbox_* code, never naming the password. */
export async function openPop3(options: Pop3Options): Promise<Pop3Session> {
  const where = `the POP3 server ${options.host}:${options.port}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tlsOptions = { host: options.host, servername: /^[\d.]+$/.test(options.host) ? undefined : options.host, ...(options.ca ? { ca: options.ca } : {}), rejectUnauthorized: true };

  let socket: Socket;
  try {
    socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket = options.tls === 'ssl' ? connectTls({ ...tlsOptions, port: options.port }, () => connected()) : connectTcp({ host: options.host, port: options.port }, () => connected());
      const connected = () => {
        s.removeListener('error', reject);
        s.removeAllListeners('timeout');
        s.setTimeout(0);
        resolve(s);
      };
      s.once('error', reject);
      s.setTimeout(timeoutMs, () => s.destroy(fail('bounce_mailbox_unreachable', `${where} did not answer within ${timeoutMs / 1000} s`)));
    });
  } catch (error) {
    throw connectionError(error, where);
  }
  let lines = lineReader(socket, where, timeoutMs);

  const write = (command: string) => {
    socket.write(`${command}\r\n`);
  };
  /** One status line; `+OK` gives its text, `-ERR` throws what `refused` makes of it. */
  const status = async (what: string, refused: (text: string) => MailroomError = (text) => fail('bounce_mailbox_protocol_error', `${where} refused ${what}: ${text}`)): Promise<string> => {
    let line: string;
    try {
      line = (await lines.next()).toString('latin1');
    } catch (error) {
      throw connectionError(error, where);
    }
    if (line.startsWith('+OK')) return line.slice(3).trim();
    if (line.startsWith('-ERR')) throw refused(line.slice(4).trim().slice(0, 300));
    throw fail('bounce_mailbox_protocol_error', `${where} answered ${what} with something that is not POP3: ${JSON.stringify(line.slice(0, 100))}`);
  };
  /** A multi-line answer's lines, dot-unstuffed, until the lone dot. */
  async function* multiline(): AsyncGenerator<Buffer> {
    for (;;) {
      let line: Buffer;
      try {
        line = await lines.next();
      } catch (error) {
        throw connectionError(error, where);
      }
      if (line.length === 1 && line[0] === 0x2e) return;
      yield line[0] === 0x2e ? line.subarray(1) : line;
    }
  }

  try {
    await status('the connection').catch((error: unknown) => {
      // A TLS port waits in silence for a handshake that a plain client never starts.
      if (options.tls === 'starttls' && error instanceof MailroomError && error.code === 'bounce_mailbox_unreachable') {
        throw fail('bounce_mailbox_tls_failed', `${where} sent no greeting: if the port expects TLS from the first byte (995), use mail_bounce_pop3_tls ssl`, error);
      }
      throw error;
    });
    if (options.tls === 'starttls') {
      write('STLS');
      await status('STLS', (text) => fail('bounce_mailbox_tls_failed', `${where} does not offer STLS (${text}): use mail_bounce_pop3_tls ssl, usually on port 995`));
      lines.detach();
      const plain = socket;
      socket = await new Promise<TLSSocket>((resolve, reject) => {
        const s = connectTls({ ...tlsOptions, socket: plain }, () => resolve(s));
        s.once('error', (error) => reject(connectionError(error, where)));
      });
      lines = lineReader(socket, where, timeoutMs);
    }
    const authRefused = (text: string) => fail('bounce_mailbox_auth_failed', `${where} refused the user name or password of the bounce mailbox (mail_bounce_pop3_user "${options.user.slice(0, 320)}", mail_bounce_pop3_password): ${text}`);
    write(`USER ${options.user}`);
    await status('USER', authRefused);
    write(`PASS ${options.password}`);
    await status('PASS', authRefused);
  } catch (error) {
    socket.destroy();
    throw error;
  }

  return {
    async list() {
      write('LIST');
      await status('LIST');
      const out: Array<{ number: number; size: number }> = [];
      for await (const line of multiline()) {
        const [n, size] = line.toString('latin1').trim().split(/\s+/).map(Number);
        if (!Number.isInteger(n) || !Number.isInteger(size)) throw fail('bounce_mailbox_protocol_error', `${where} listed a message as ${JSON.stringify(line.toString('latin1').slice(0, 100))}`);
        out.push({ number: n as number, size: size as number });
      }
      return out;
    },
    async retrieve(number, limit) {
      write(`RETR ${number}`);
      await status(`RETR ${number}`);
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      const crlf = Buffer.from('\r\n');
      for await (const line of multiline()) {
        if (truncated) continue;
        if (kept + line.length + 2 > limit) {
          truncated = true;
          continue;
        }
        chunks.push(line, crlf);
        kept += line.length + 2;
      }
      return { raw: Buffer.concat(chunks), truncated };
    },
    async delete(number) {
      write(`DELE ${number}`);
      await status(`DELE ${number}`);
    },
    async quit() {
      write('QUIT');
      try {
        await status('QUIT');
      } finally {
        socket.end();
      }
    },
    close() {
      socket.destroy();
    },
  };
}
