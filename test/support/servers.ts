/**
 * Real servers for the test suite: private Postfix, exim and PostgreSQL instances started by the
 * shell scripts in ./servers/ (the Debian packages come from install-deps.sh, which `npm test`
 * runs first). Everything listens on 127.0.0.1 only and lives in a directory of its own, so
 * several instances can run at once. Stop every server in `after()`; a safety net stops what a
 * crashed test file left running when its process exits.
 *
 * Set MAILROOM_TEST_KEEP_SERVERS=1 to keep the instance directories (mail, logs, config) after
 * stop() for inspection; a server that fails to start always keeps its directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const scriptDir = fileURLToPath(new URL('./servers/', import.meta.url));
const keepDirs = process.env['MAILROOM_TEST_KEEP_SERVERS'] === '1';

/** The start scripts exit with this when a port is taken (EX_TEMPFAIL). */
const EXIT_PORT_BUSY = 75;
/** A port from freePort() can be taken again before the server binds it; then retry. */
const START_ATTEMPTS = 3;
/** Starts take well under 2 s; a minute means a hung daemon, not a slow machine. */
const SCRIPT_TIMEOUT_MS = 60_000;

export interface PostfixOptions {
  smtpPort?: number;
  smtpsPort?: number;
  user?: string;
  pass?: string;
  /** Only these recipients land in the Maildir; any other is bounced by Postfix with a real DSN. */
  knownRecipients?: readonly string[];
  /** With knownRecipients: mail to any address of `domain` lands in the Maildir `bounceMaildir` (for startDovecot). */
  bounceMailbox?: { domain: string };
  /** Mail to `domain` goes to pipe(8), running `argv` (Postfix's pipe macros expanded) as `user` (nobody). */
  bouncePipe?: { domain: string; argv: string; user?: string };
}

export interface PostfixServer {
  readonly dir: string;
  readonly host: '127.0.0.1';
  /** Plain SMTP with STARTTLS; AUTH PLAIN/LOGIN only after STARTTLS. */
  readonly smtpPort: number;
  /** Implicit TLS. */
  readonly smtpsPort: number;
  readonly user: string;
  readonly pass: string;
  /** Self-signed certificate for localhost and 127.0.0.1: give it to the client as CA. */
  readonly certPath: string;
  /** The Maildir's `new` folder: every recipient of every domain lands here. */
  readonly maildir: string;
  /** The Maildir (with new/, cur/, tmp/) of options.bounceMailbox's domain. */
  readonly bounceMaildir: string;
  /** Postfix's sendmail bound to this instance (works as root only). */
  readonly sendmailPath: string;
  stop(): Promise<void>;
}

export interface EximOptions {
  port?: number;
  user?: string;
  pass?: string;
  /** Offer STARTTLS (default true). */
  tls?: boolean;
  /** Configuration text put before the maildir router (e.g. the manual's bounce router). */
  routers?: string;
  /** Configuration text put after the maildir transport. */
  transports?: string;
  /** Domains whose mail is taken without AUTH (as an MX takes it). */
  openDomains?: readonly string[];
}

export interface EximServer {
  readonly dir: string;
  readonly host: '127.0.0.1';
  /** Plain SMTP with STARTTLS; AUTH NTLM, CRAM-MD5, PLAIN, LOGIN offered before and after it. */
  readonly port: number;
  readonly user: string;
  readonly pass: string;
  readonly certPath: string;
  /** The Maildir's `new` folder; each mail carries `X-Exim-Auth: <mechanism> <user> tls=…`. */
  readonly maildir: string;
  stop(): Promise<void>;
}

export interface DovecotOptions {
  pop3Port?: number;
  pop3sPort?: number;
  user?: string;
  pass?: string;
  /** The user's mailbox, e.g. a Postfix instance's bounceMaildir; default a Maildir of its own. */
  maildir?: string;
}

export interface DovecotServer {
  readonly dir: string;
  readonly host: '127.0.0.1';
  /** Plain POP3 with STLS; login only after STLS. */
  readonly pop3Port: number;
  /** Implicit TLS. */
  readonly pop3sPort: number;
  readonly user: string;
  readonly pass: string;
  /** Self-signed certificate for localhost and 127.0.0.1: give it to the client as CA. */
  readonly certPath: string;
  /** The user's Maildir (with new/, cur/, tmp/). */
  readonly maildir: string;
  /** Puts a message into the user's mailbox (doveadm save). */
  save(raw: string | Buffer): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresServer {
  /** The cluster's own database, owned by a role that may create databases. */
  readonly url: string;
  /** Creates an empty database and returns its URL: one per test file keeps files apart. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export interface DeliveredMail {
  /** File name inside the Maildir folder. */
  readonly file: string;
  readonly path: string;
  readonly raw: string;
  /**
   * Lower-cased header name → unfolded value of its first (topmost) occurrence, so for
   * `received` it is the hop into the test server.
   */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
  /** The envelope recipient this copy was delivered for (the server's Delivered-To header). */
  readonly deliveredTo: string | undefined;
}

export interface WaitForMailOptions {
  timeoutMs?: number;
}

/** A start or stop script failed; the message includes its stderr. */
export class ServerScriptError extends Error {
  readonly exitCode: number | undefined;
  readonly stderr: string;

  constructor(command: string, how: string, exitCode: number | undefined, stderr: string, cause: unknown) {
    super(`${command} ${how}${stderr.trim() === '' ? '' : `:\n${stderr.trim()}`}`, { cause });
    this.name = 'ServerScriptError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

async function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(scriptDir, script), ...args], {
      env: { ...process.env, ...env },
      timeout: SCRIPT_TIMEOUT_MS,
      maxBuffer: 4 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const exitCode = numberField(error, 'code');
    const signal = stringField(error, 'signal');
    const how = exitCode !== undefined ? `exited with ${exitCode}` : signal !== undefined ? `was killed by ${signal} (the limit is ${SCRIPT_TIMEOUT_MS / 1000} s)` : 'could not be run';
    const stderr = stringField(error, 'stderr') ?? '';
    throw new ServerScriptError([script, ...args].join(' '), how, exitCode, stderr, error);
  }
}

function numberField(value: unknown, key: string): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field: unknown = Reflect.get(value, key);
  return typeof field === 'number' ? field : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field: unknown = Reflect.get(value, key);
  return typeof field === 'string' ? field : undefined;
}

// A test file that crashes before its after(), or is killed, would leave daemons running.
const running = new Map<string, () => void>();
let exitHooksInstalled = false;

function stopAllNow(): void {
  for (const stop of running.values()) stop();
  running.clear();
}

function trackRunning(dir: string, stopScript: string): void {
  running.set(dir, () => {
    try {
      execFileSync('bash', [join(scriptDir, stopScript), dir], { stdio: 'ignore', timeout: 15_000 });
      if (!keepDirs) rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort while the process goes away
    }
  });
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', stopAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAllNow();
      // die of the same signal, as the process would have without this listener
      process.kill(process.pid, signal);
    });
  }
}

const handedOut = new Set<number>();

/** A port nothing listens on right now (the OS picks it), never the same one twice per process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address !== null ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port !== 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the OS kept handing out ports already given to this process');
}

async function instanceDir(kind: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `mailroom-test-${kind}-`));
}

/**
 * Starts with the given ports, or with fresh free ports, retried when one was taken in between.
 * `start` gets the ports and returns the server; on failure the directory is kept.
 */
async function startWithPorts<T>(wanted: ReadonlyArray<number | undefined>, start: (ports: number[]) => Promise<T>): Promise<T> {
  const fixed = wanted.every((port) => port !== undefined);
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (const port of wanted) ports.push(port ?? (await freePort()));
    try {
      return await start(ports);
    } catch (error) {
      const busy = error instanceof ServerScriptError && error.exitCode === EXIT_PORT_BUSY;
      if (!busy || fixed || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/** stop() may be called from a test and from after(): the second call waits for the first. */
function stopOnce(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}

async function removeDir(dir: string): Promise<void> {
  if (!keepDirs) await rm(dir, { recursive: true, force: true });
}

/** A private Postfix: STARTTLS and implicit-TLS ports, AUTH PLAIN/LOGIN, one Maildir, no relay. */
export async function startPostfix(options: PostfixOptions = {}): Promise<PostfixServer> {
  const user = options.user ?? 'testuser';
  const pass = options.pass ?? 'testpass';
  const dir = await instanceDir('postfix');
  return startWithPorts([options.smtpPort, options.smtpsPort], async ([smtpPort = 0, smtpsPort = 0]) => {
    try {
      await runScript('postfix-start.sh', [dir, String(smtpPort), String(smtpsPort)], {
        SMTP_USER: user,
        SMTP_PASS: pass,
        ...(options.knownRecipients ? { KNOWN_RECIPIENTS: options.knownRecipients.join(' ') } : {}),
        ...(options.bounceMailbox ? { BOUNCE_MAILBOX_DOMAIN: options.bounceMailbox.domain } : {}),
        ...(options.bouncePipe ? { BOUNCE_DOMAIN: options.bouncePipe.domain, BOUNCE_PIPE: options.bouncePipe.argv, BOUNCE_PIPE_USER: options.bouncePipe.user ?? 'nobody' } : {}),
      });
    } catch (error) {
      await runScript('postfix-stop.sh', [dir]).catch(() => undefined);
      throw error;
    }
    trackRunning(dir, 'postfix-stop.sh');
    return {
      dir,
      host: '127.0.0.1',
      smtpPort,
      smtpsPort,
      user,
      pass,
      certPath: join(dir, 'cert.pem'),
      maildir: join(dir, 'mail', 'inbox', 'new'),
      bounceMaildir: join(dir, 'mail', 'bounces'),
      sendmailPath: join(dir, 'bin', 'sendmail'),
      stop: stopOnce(async () => {
        await runScript('postfix-stop.sh', [dir]);
        running.delete(dir);
        await removeDir(dir);
      }),
    };
  });
}

/** A private exim: one STARTTLS port with AUTH NTLM, CRAM-MD5, PLAIN and LOGIN, one Maildir. */
export async function startExim(options: EximOptions = {}): Promise<EximServer> {
  const user = options.user ?? 'testuser';
  const pass = options.pass ?? 'testpass';
  const dir = await instanceDir('exim');
  return startWithPorts([options.port], async ([port = 0]) => {
    try {
      await runScript('exim-start.sh', [dir, String(port)], {
        SMTP_USER: user,
        SMTP_PASS: pass,
        EXIM_TLS: options.tls === false ? '0' : '1',
        ...(options.routers ? { EXIM_ROUTERS: options.routers } : {}),
        ...(options.transports ? { EXIM_TRANSPORTS: options.transports } : {}),
        ...(options.openDomains ? { EXIM_OPEN_DOMAINS: options.openDomains.join(' : ') } : {}),
      });
    } catch (error) {
      await runScript('exim-stop.sh', [dir]).catch(() => undefined);
      throw error;
    }
    trackRunning(dir, 'exim-stop.sh');
    return {
      dir,
      host: '127.0.0.1',
      port,
      user,
      pass,
      certPath: join(dir, 'cert.pem'),
      maildir: join(dir, 'mail', 'inbox', 'new'),
      stop: stopOnce(async () => {
        await runScript('exim-stop.sh', [dir]);
        running.delete(dir);
        await removeDir(dir);
      }),
    };
  });
}

/** A private Dovecot: POP3 with STLS and POP3 over TLS, one passwd-file user, one Maildir. */
export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  const user = options.user ?? 'bounces';
  const pass = options.pass ?? 'bouncepass';
  const dir = await instanceDir('dovecot');
  const maildir = options.maildir ?? join(dir, 'Maildir');
  return startWithPorts([options.pop3Port, options.pop3sPort], async ([pop3Port = 0, pop3sPort = 0]) => {
    try {
      await runScript('dovecot-start.sh', [dir, String(pop3Port), String(pop3sPort)], { POP3_USER: user, POP3_PASS: pass, MAILDIR: maildir });
    } catch (error) {
      await runScript('dovecot-stop.sh', [dir]).catch(() => undefined);
      throw error;
    }
    trackRunning(dir, 'dovecot-stop.sh');
    return {
      dir,
      host: '127.0.0.1',
      pop3Port,
      pop3sPort,
      user,
      pass,
      certPath: join(dir, 'cert.pem'),
      maildir,
      save: async (raw) => {
        await new Promise<void>((resolve, reject) => {
          const child = execFile('doveadm', ['-c', join(dir, 'etc', 'dovecot.conf'), 'save', '-u', user], (error) => (error ? reject(error) : resolve()));
          child.stdin?.end(raw);
        });
      },
      stop: stopOnce(async () => {
        await runScript('dovecot-stop.sh', [dir]);
        running.delete(dir);
        await removeDir(dir);
      }),
    };
  });
}

interface Cluster {
  readonly dir: string;
  readonly url: string;
}

// One cluster per process (a cold start copies a template cluster, ~1 s on the 2-core VM); each
// caller gets a handle and the cluster stops when the last handle is stopped.
let cluster: { readonly ready: Promise<Cluster>; users: number } | undefined;
let databaseCount = 0;

/** The process's private PostgreSQL cluster on 127.0.0.1, started on first use. */
export async function startPostgres(): Promise<PostgresServer> {
  const shared = (cluster ??= { ready: startCluster(), users: 0 });
  shared.users++;
  let ready: Cluster;
  try {
    ready = await shared.ready;
  } catch (error) {
    if (cluster === shared) cluster = undefined;
    throw error;
  }
  const { url } = ready;
  return {
    url,
    createDatabase: () => createDatabase(url),
    stop: stopOnce(async () => {
      shared.users--;
      if (shared.users > 0) return;
      if (cluster === shared) cluster = undefined;
      await runScript('postgres-stop.sh', [ready.dir]);
      running.delete(ready.dir);
      await removeDir(ready.dir);
    }),
  };
}

async function startCluster(): Promise<Cluster> {
  return startWithPorts([undefined], async ([port = 0]) => {
    // Not os.tmpdir(): the OS user postgres must be able to reach the folder.
    const dir = `/tmp/mailroom-test-pg-${port}`;
    let stdout: string;
    try {
      stdout = await runScript('postgres-start.sh', [dir, String(port)], { PG_FRESH: '1' });
    } catch (error) {
      await runScript('postgres-stop.sh', [dir]).catch(() => undefined);
      throw error;
    }
    trackRunning(dir, 'postgres-stop.sh');
    const url = stdout.trim().split('\n').at(-1) ?? '';
    if (!url.startsWith('postgres://')) {
      throw new Error(`postgres-start.sh did not print a connection URL last; it printed:\n${stdout}`);
    }
    return { dir, url };
  });
}

async function createDatabase(clusterUrl: string): Promise<string> {
  const name = `test_${process.pid}_${++databaseCount}`;
  const client = new pg.Client({ connectionString: clusterUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Every message in a Maildir folder (`new`), oldest first; an absent folder holds none. */
export async function readMaildir(maildir: string): Promise<DeliveredMail[]> {
  let files: string[];
  try {
    files = await readdir(maildir);
  } catch (error) {
    if (stringField(error, 'code') === 'ENOENT') return [];
    throw error;
  }
  // Both servers write into tmp/ and rename into new/, so every file seen here is complete.
  const mails = await Promise.all(
    files.map(async (file) => {
      const path = join(maildir, file);
      const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      return { mail: parseMail(file, path, raw), mtimeMs: info.mtimeMs };
    }),
  );
  mails.sort((a, b) => a.mtimeMs - b.mtimeMs || a.mail.file.localeCompare(b.mail.file));
  return mails.map(({ mail }) => mail);
}

function parseMail(file: string, path: string, raw: string): DeliveredMail {
  const end = /\r?\n\r?\n/.exec(raw);
  const head = end === null ? raw : raw.slice(0, end.index);
  const body = end === null ? '' : raw.slice(end.index + end[0].length);
  const headers = new Map<string, string>();
  const fields: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last !== undefined) {
      last[1] += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1)]);
  }
  for (const [name, value] of fields) {
    if (!headers.has(name)) headers.set(name, value.trim());
  }
  const deliveredTo = headers.get('delivered-to');
  return { file, path, raw, headers, body, deliveredTo };
}

/** Polls the Maildir until a message matches: delivery happens after the server's 250. */
export async function waitForMail(maildir: string, predicate: (mail: DeliveredMail) => boolean, { timeoutMs = 10_000 }: WaitForMailOptions = {}): Promise<DeliveredMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = await readMaildir(maildir);
    const found = mails.find(predicate);
    if (found !== undefined) return found;
    if (Date.now() >= deadline) {
      const seen = mails.map((mail) => `  to ${mail.deliveredTo ?? '?'}: ${mail.headers.get('subject') ?? '(no subject)'}`);
      throw new Error(`waitForMail: no matching mail in ${maildir} after ${timeoutMs} ms; it holds ${mails.length}${seen.length > 0 ? `:\n${seen.join('\n')}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
