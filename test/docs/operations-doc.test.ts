/**
 * docs/admin/operations.md tells an admin to write files: an environment file, systemd units,
 * an nginx site and a Caddyfile. Each is a fenced block whose first line names the file
 * (`# /etc/systemd/system/mailroom.service`), and each is checked here by the tool that reads it
 * (systemd-analyze, nginx -t, caddy validate from Debian's packages; install-deps.sh installs
 * them): no service manager runs on the test machine, and none is needed for that. The nginx
 * site then runs for real in front of a Mailroom, on high ports.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/program.ts';
import { readRuntimeOptions, runtimeEnvNames } from '../../src/config/runtime-options.ts';
import { startMailroom, type MailroomInstance } from '../support/browser.ts';
import { fencedBlocks, proseOnly } from '../support/docs-markdown.ts';
import { repoRoot } from '../support/run-mailroom.ts';
import { freePort } from '../support/servers.ts';

const run = promisify(execFile);
const doc = 'docs/admin/operations.md';
const translation = 'docs/admin/operations.zh-CN.md';
/** Where the manual installs the command; the checks put a program of their own there. */
const DOC_BIN = '/usr/local/bin/mailroom';
const NGINX_SITE = '/etc/nginx/sites-available/mailroom';
const CADDYFILE = '/etc/caddy/Caddyfile';
const ENV_FILE = '/etc/mailroom/env';
const CERT = '/etc/letsencrypt/live/mailroom.example.com/fullchain.pem';
const KEY = '/etc/letsencrypt/live/mailroom.example.com/privkey.pem';
const UNITS = ['mailroom.service', 'mailroom-worker.service', 'mailroom-nightly.service', 'mailroom-nightly.timer'];
/** systemd-analyze security's overall exposure, times ten: 2.0 ("OK") at most. */
const EXPOSURE_THRESHOLD = 20;

interface FileBlock {
  /** The path the first line names. */
  readonly path: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly text: string;
}

/** The blocks that are files to write: their first line is `# /etc/…`. */
function fileBlocks(markdown: string): FileBlock[] {
  return fencedBlocks(markdown).flatMap((block) => {
    const first = /^# (\/etc\/\S+)$/m.exec(block.text.split('\n')[0] ?? '');
    return first ? [{ path: first[1] as string, line: block.line, text: `${block.text}\n` }] : [];
  });
}

const files = fileBlocks(readFileSync(join(repoRoot, doc), 'utf8'));
function file(path: string): FileBlock {
  const found = files.find((f) => f.path === path);
  assert.ok(found, `${doc} shows no block for ${path}`);
  return found;
}
const unit = (name: string) => file(`/etc/systemd/system/${name}`);

/** `KEY=value` lines of a unit's [Service] section, in order (a key may repeat). */
function serviceSettings(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) section = header[1] as string;
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (section === 'Service' && setting) out.push([setting[1] as string, setting[2] as string]);
  }
  return out;
}

/** The environment file as systemd's EnvironmentFile= reads it: NAME=value lines, # comments. */
function environmentOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(\S*)$/.exec(line);
    assert.ok(m, `${ENV_FILE}: "${line}" is not NAME=value without quotes or spaces (so that systemd and sh read it the same)`);
    env[m[1] as string] = m[2] as string;
  }
  return env;
}

let work: string;
let stubBin: string;
let cert: string;
let key: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'mailroom-ops-'));
  // nginx's workers (nobody) pass through it to their temporary folders
  await chmod(work, 0o755);
  stubBin = join(work, 'bin', 'mailroom');
  await mkdir(join(work, 'bin'));
  await writeFile(stubBin, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  cert = join(work, 'fullchain.pem');
  key = join(work, 'privkey.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=mailroom.example.com', '-keyout', key, '-out', cert]);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function needTool(path: string, pkg: string): void {
  assert.ok(existsSync(path), `${path} is missing: apt-get install ${pkg} (bash test/support/install-deps.sh does it)`);
}

describe(`the files ${doc} tells an admin to write`, () => {
  it('shows the environment file, the units, the nginx site and the Caddyfile', () => {
    assert.deepEqual(files.map((f) => f.path).sort(), [ENV_FILE, CADDYFILE, NGINX_SITE, ...UNITS.map((u) => `/etc/systemd/system/${u}`)].sort());
  });

  it(`${translation} shows the same files, byte for byte and in the same order`, () => {
    const translated = fileBlocks(readFileSync(join(repoRoot, translation), 'utf8'));
    assert.deepEqual(
      translated.map((f) => f.text),
      files.map((f) => f.text),
      `change the file blocks of ${translation} and ${doc} together`,
    );
  });

  it('the environment file names only variables Mailroom reads, with values it accepts', () => {
    const env = environmentOf(file(ENV_FILE).text);
    const unknown = Object.keys(env).filter((name) => !runtimeEnvNames.has(name));
    assert.deepEqual(unknown, [], 'not runtime variables of Mailroom (docs/admin/config.md)');
    const options = readRuntimeOptions(env, '/');
    assert.equal(options.dataDir, '/var/lib/mailroom');
    assert.equal(options.logFormat, 'json', 'JSON lines for the journal');
    assert.deepEqual(options.trustProxy, ['127.0.0.1', '::1'], 'the proxy on the same machine, IPv4 and IPv6');
    assert.ok(options.metricsToken !== undefined);
  });

  it('systemd-analyze verify takes the units without a word', async () => {
    needTool('/usr/bin/systemd-analyze', 'systemd');
    const dir = join(work, 'units');
    await mkdir(dir);
    for (const name of UNITS) await writeFile(join(dir, name), unit(name).text.split(DOC_BIN).join(stubBin));
    // ExecStart= must name a program that exists; the stub stands in for the installed one.
    const result = await run('systemd-analyze', ['verify', ...UNITS.map((name) => join(dir, name))], { env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } }).catch((error: { code: number; stderr: string }) => error);
    assert.equal(result.stderr, '', 'systemd-analyze verify printed warnings');
    assert.ok(!('code' in result) || result.code === 0);
  });

  it('sandboxes every service: only the data folder writable, no privileges, no MemoryDenyWriteExecute (V8 compiles at run time)', async () => {
    needTool('/usr/bin/systemd-analyze', 'systemd');
    for (const name of UNITS.filter((u) => u.endsWith('.service'))) {
      const settings = serviceSettings(unit(name).text);
      const value = (k: string) => settings.filter(([key]) => key === k).map(([, v]) => v);
      assert.deepEqual(value('User'), ['mailroom'], name);
      assert.deepEqual(value('EnvironmentFile'), [ENV_FILE], name);
      assert.deepEqual(value('WorkingDirectory'), ['/var/lib/mailroom'], name);
      assert.deepEqual(value('ProtectSystem'), ['strict'], name);
      assert.ok(value('ReadWritePaths')[0]?.split(' ').includes('/var/lib/mailroom'), `${name}: ReadWritePaths= opens the data folder`);
      for (const [k, v] of [
        ['NoNewPrivileges', 'yes'],
        ['PrivateTmp', 'yes'],
        ['ProtectHome', 'yes'],
        ['CapabilityBoundingSet', ''],
        ['SystemCallFilter', '@system-service'],
      ]) {
        assert.deepEqual(value(k as string), [v], `${name}: ${k}=${v}`);
      }
      assert.deepEqual(value('MemoryDenyWriteExecute'), [], `${name}: MemoryDenyWriteExecute would stop V8's JIT compiler`);
      const path = join(work, `security-${name}`);
      await writeFile(path, unit(name).text.split(DOC_BIN).join(stubBin));
      const security = await run('systemd-analyze', ['security', '--offline=yes', `--threshold=${EXPOSURE_THRESHOLD}`, path]).catch((error: { code: number; stdout: string }) => error);
      assert.ok(!('code' in security) || security.code === 0, `${name}: exposure above ${EXPOSURE_THRESHOLD / 10}:\n${security.stdout.split('\n').slice(-3).join('\n')}`);
    }
  });

  it('starts mailroom by its path, never through npx or npm, with commands and options Mailroom has', async () => {
    const calls: string[][] = [];
    for (const name of UNITS.filter((u) => u.endsWith('.service'))) {
      for (const [k, v] of serviceSettings(unit(name).text)) {
        if (k !== 'ExecStart') continue;
        assert.doesNotMatch(v, /\bnpx\b|\bnpm\b/, `${name}: ${v}`);
        const words = v.replace(/'/g, ' ').split(/\s+/);
        const at = words.indexOf(DOC_BIN);
        assert.ok(at >= 0, `${name}: ExecStart=${v} does not run ${DOC_BIN}`);
        calls.push(words.slice(at + 1).filter((w) => w !== ''));
      }
    }
    assert.deepEqual(calls.map((c) => c[0]).sort(), ['activities:purge', 'db:backup', 'outbox:purge', 'serve', 'worker']);
    for (const [command, ...args] of calls) {
      let out = '';
      const sink = new Writable({ write: (chunk: Buffer, _e, done) => ((out += chunk.toString()), done()) });
      // (The exit code is not compared: commander's help takes process.exitCode, which the test
      // runner sets once any test has failed.)
      await runCli(['help', command as string], {
        buildContext: () => Promise.reject(new Error('help needs no context')),
        startServer: () => Promise.reject(new Error('help starts no server')),
        stdout: sink,
        stderr: sink,
      });
      assert.ok(out.startsWith(`Usage: mailroom ${command} `), `mailroom help ${command}: ${out}`);
      for (const option of args.filter((a) => a.startsWith('--'))) assert.ok(out.includes(option), `mailroom ${command} has no ${option}:\n${out}`);
    }
  });

  it('nginx -t takes the site', async () => {
    needTool('/usr/sbin/nginx', 'nginx');
    const nginx = await nginxConfig('check', file(NGINX_SITE).text);
    const result = await run('/usr/sbin/nginx', ['-t', ...nginx.args]).catch((error: { code: number; stderr: string }) => error);
    assert.ok(!('code' in result) || result.code === 0, result.stderr);
    assert.match(result.stderr, /syntax is ok/);
  });

  it('caddy validate takes the Caddyfile', async () => {
    needTool('/usr/bin/caddy', 'caddy');
    const home = join(work, 'caddy');
    await mkdir(home);
    const path = join(home, 'Caddyfile');
    await writeFile(path, file(CADDYFILE).text);
    const env = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };
    const result = await run('/usr/bin/caddy', ['validate', '--config', path, '--adapter', 'caddyfile'], { env }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    assert.ok(!('code' in result) || result.code === 0, result.stderr);
    assert.match(result.stdout, /Valid configuration/);
  });
});

/** The site inside a minimal nginx.conf whose pid, logs and temporary files are in a folder of its own. */
async function nginxConfig(name: string, site: string): Promise<{ args: string[]; prefix: string }> {
  const prefix = join(work, `nginx-${name}`);
  await mkdir(join(prefix, 'tmp'), { recursive: true });
  await chmod(prefix, 0o755);
  await writeFile(join(prefix, 'site.conf'), site.split(CERT).join(cert).split(KEY).join(key));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(prefix, 'tmp', t)};`);
  await writeFile(join(prefix, 'nginx.conf'), [`pid ${join(prefix, 'nginx.pid')};`, `error_log ${join(prefix, 'error.log')};`, 'worker_processes 1;', 'events { worker_connections 64; }', 'http {', '  access_log off;', ...temp, `  include ${join(prefix, 'site.conf')};`, '}', ''].join('\n'));
  return { prefix, args: ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')] };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTPS request from a local address of our choice (127.0.0.0/8 is all this machine). */
function fromClient(port: number, localAddress: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, localAddress, servername: 'mailroom.example.com', rejectUnauthorized: false, headers: { host: 'mailroom.example.com', ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function listening(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(`nginx with the site of ${doc} in front of a real Mailroom`, () => {
  let mailroom: MailroomInstance | undefined;
  let nginx: ChildProcess | undefined;
  let https = 0;
  let http = 0;

  before(async () => {
    needTool('/usr/sbin/nginx', 'nginx');
    const env = environmentOf(file(ENV_FILE).text);
    mailroom = await startMailroom({ env: { MAILROOM_TRUST_PROXY: env['MAILROOM_TRUST_PROXY'] as string } });
    [https, http] = [await freePort(), await freePort()];
    // The site as written, on high ports of 127.0.0.1 (no IPv6 needed) and to this Mailroom.
    const site = file(NGINX_SITE)
      .text.split('\n')
      .filter((line) => !/^\s*listen \[::\]/.test(line))
      .join('\n')
      .replace(/listen 443 ssl;/, `listen 127.0.0.1:${https} ssl;`)
      .replace(/listen 80;/, `listen 127.0.0.1:${http};`)
      .split('http://127.0.0.1:8080')
      .join(mailroom.url);
    const config = await nginxConfig('live', site);
    nginx = spawn('/usr/sbin/nginx', [...config.args, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<never>((_, reject) => nginx?.once('exit', (code) => reject(new Error(`nginx ended (${code}): ${stderr}`))));
    await Promise.race([listening(https, 10_000), exited]);
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      await gone;
    }
    await mailroom?.close();
  });

  it('sends plain HTTP to HTTPS, and HTTPS reaches Mailroom', async () => {
    const plain = await new Promise<Reply>((resolve, reject) => {
      const socket = connect(http, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.0\r\nHost: mailroom.example.com\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8').on('data', (c: string) => (text += c));
      socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.\d (\d+)/.exec(text)?.[1]), headers: { location: /\r\nLocation: (\S+)/i.exec(text)?.[1] }, body: text }));
      socket.on('error', reject);
    });
    assert.equal(plain.status, 301);
    assert.equal(plain.headers['location'], 'https://mailroom.example.com/healthz');
    const health = await fromClient(https, '127.0.0.1', 'GET', '/healthz');
    assert.equal(health.status, 200, health.body);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'ok');
  });

  it('keeps /metrics from anyone but the Prometheus machine', async () => {
    const metrics = await fromClient(https, '127.0.0.1', 'GET', '/metrics');
    assert.equal(metrics.status, 403);
  });

  it('hands Mailroom each client address (MAILROOM_TRUST_PROXY): six clients each have their own limit, one client is stopped at the sixth', async () => {
    const reset = (from: string, i: number) => fromClient(https, from, 'POST', '/api/v1/password-reset', { user: `nobody-${i}` }).then((r) => r.status);
    const six = [1, 2, 3, 4, 5, 6];
    const apart: number[] = [];
    for (const i of six) apart.push(await reset(`127.0.0.${10 + i}`, i));
    assert.deepEqual(apart, [202, 202, 202, 202, 202, 202]);
    const together: number[] = [];
    for (const i of six) together.push(await reset('127.0.0.20', 10 + i));
    assert.deepEqual(together, [202, 202, 202, 202, 202, 429]);
  });
});

const HAN = '\\u3400-\\u4dbf\\u4e00-\\u9fff';

/**
 * Lines of a Chinese manual's prose that break the spacing rules of Mailroom's Chinese text
 * (test/support/zh-typography.ts, for mails): a space wherever Chinese meets a Latin letter or a
 * digit, and none between two Chinese characters. Code, link targets and addresses are set in as
 * given: a code span counts as neither Chinese nor Latin.
 */
function typographyFaults(file: string): string[] {
  const crowded = new RegExp(`[${HAN}][A-Za-z0-9]|[A-Za-z0-9][${HAN}]`);
  const spaced = new RegExp(`[${HAN}] +[${HAN}]`);
  return proseOnly(readFileSync(join(repoRoot, file), 'utf8'), { keepCodeSpans: true }).flatMap((raw, i) => {
    const line = raw
      .replace(/`[^`]*`/g, '•')
      .replace(/\]\([^)]*\)/g, ']')
      .replace(/https?:\/\/\S+/g, '•');
    const faults = [crowded.test(line) && 'a space between Chinese and Latin text', spaced.test(line) && 'no space between Chinese characters'].filter((f) => f !== false);
    return faults.length > 0 ? [`${file}:${i + 1}: ${faults.join('; ')}: ${line.trim().slice(0, 80)}`] : [];
  });
}

describe('the Chinese manuals', () => {
  for (const manual of [translation, 'docs/admin/email.zh-CN.md']) {
    it(`${manual} spaces Chinese and Latin text as the Chinese mails do`, () => {
      assert.deepEqual(typographyFaults(manual), []);
    });
  }
});
