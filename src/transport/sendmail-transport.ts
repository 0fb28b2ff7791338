import { spawn as nodeSpawn, type SpawnOptions, type ChildProcess } from 'node:child_process';
import { TransportError, type OutgoingMail, type SendOptions, type SendResult, type Transport } from './transport.ts';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface PipeTransportDeps {
  /** `sendmail`, `qmail` or `php`: how the transport names itself. */
  name: 'sendmail' | 'qmail' | 'php';
  /** The program and its fixed arguments, e.g. ['/usr/sbin/sendmail']. */
  command: readonly string[];
  /**
   * Add `-i -f FROM -- RCPT…`. sendmail and qmail get the envelope as arguments; PHP's
   * mail() passes only sendmail_path (usually with -t: recipients from the headers).
   */
  envelopeArguments: boolean;
  timeoutMs: number;
  spawn?: SpawnFn;
  env?: NodeJS.ProcessEnv;
}

const STDERR_LIMIT = 2000;

/**
 * Pipes the message to a local mail program: never through a shell, and the addresses only
 * after `--`, so nothing in an address can become an option or a command.
 */
export function createPipeTransport(deps: PipeTransportDeps): Transport {
  const spawn = deps.spawn ?? nodeSpawn;
  const [program, ...fixed] = deps.command;
  if (!program) throw new Error('createPipeTransport needs a command');

  async function send(mail: OutgoingMail, options: SendOptions = {}): Promise<SendResult> {
    const args = deps.envelopeArguments ? [...fixed, '-i', '-f', mail.envelope.from, '--', ...mail.envelope.to] : [...fixed];
    const shown = [program, ...args].join(' ');
    options.transcript?.add('*', `running ${shown}`);
    return new Promise<SendResult>((resolve, reject) => {
      let stderr = '';
      let settled = false;
      const child = spawn(program as string, args, { stdio: ['pipe', 'ignore', 'pipe'], env: deps.env ?? process.env, signal: options.signal });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new TransportError('sendmail_failed', `${program} did not finish within ${Math.round(deps.timeoutMs / 1000)} s and was stopped`, { kind: 'sendmail', permanent: false }));
      }, deps.timeoutMs);
      const finish = (error: TransportError | undefined, result?: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(result as SendResult);
      };
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        if (stderr.length < STDERR_LIMIT) stderr += chunk;
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'EACCES') {
          const key = deps.name === 'qmail' ? 'mail_qmail_path' : deps.name === 'php' ? "PHP's sendmail_path" : 'mail_sendmail_path';
          finish(new TransportError('sendmail_not_found', `${program} cannot be run (${error.code === 'ENOENT' ? 'no such file' : 'permission denied'}): install a mail system or correct ${key}`, { kind: 'sendmail', permanent: false }, { cause: error }));
        } else {
          finish(new TransportError('sendmail_failed', `${program} failed: ${error.message}`, { kind: 'sendmail', permanent: false }, { cause: error }));
        }
      });
      child.on('close', (code, signal) => {
        const said = stderr.trim();
        if (said) options.transcript?.add('S', said);
        if (code === 0) {
          options.transcript?.add('*', `${program} exited with status 0`);
          finish(undefined, { accepted: [...mail.envelope.to], rejected: [], response: said || 'exit status 0', via: program as string, attempts: [] });
        } else {
          const status = code === null ? `was killed by ${signal}` : `exited with status ${code}`;
          finish(new TransportError('sendmail_failed', `${program} ${status}${said ? `: ${said.split('\n').slice(-3).join(' | ')}` : ''}`, { kind: 'sendmail', permanent: false, ...(said ? { reply: said } : {}) }));
        }
      });
      // A program that exits without reading stdin closes the pipe: the exit status tells why.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(mail.raw);
    });
  }

  return { name: deps.name, send, close: async () => undefined };
}

/** Splits a php.ini sendmail_path the way a shell would split simple words and quotes. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}
