/**
 * The conventions of the `mailroom` command, run as a user runs it (test/support/run-mailroom.ts):
 * --version and its other spellings, help, list, `mailroom GROUP`, the bash completion (loaded
 * and called by bash itself), and how the log looks on a terminal and off it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, mailroomBin, mailroomOk, repoRoot, runMailroom } from '../support/run-mailroom.ts';

const run = promisify(execFile);
const packageVersion = (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

let cwd: string;
before(async () => {
  cwd = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-conventions-')));
});
after(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** The command names `mailroom --help` lists (commander's own list, every registered command). */
async function commandsInHelp(): Promise<string[]> {
  const { stdout } = await mailroomOk(['--help'], { cwd });
  const section = stdout.slice(stdout.indexOf('Commands:'));
  return [...section.matchAll(/^ {2}([a-z][a-z:-]*)/gm)].map((m) => m[1] as string);
}

describe('mailroom --version', { concurrency: true }, () => {
  for (const spelling of ['--version', '-V', '-v', 'version']) {
    it(`${spelling} prints the version of package.json and exits 0`, async () => {
      const result = await runMailroom([spelling], { cwd });
      assert.deepEqual(result, { code: 0, stdout: `mailroom ${packageVersion}\n`, stderr: '' });
    });
  }

  it('the bundle in dist/ finds package.json too', async () => {
    // npm run build made it (run-tests.sh builds before testing); bin/mailroom.mjs runs it when it is newer than src/.
    const bundle = join(repoRoot, 'dist', 'main.mjs');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(bundle)}); process.exitCode = await main(['--version']);`], { cwd, env: cleanEnv() });
    assert.equal(stdout, `mailroom ${packageVersion}\n`);
  });

  it("--version after a command is that command's: template:get --version is a template version", async () => {
    const result = await runMailroom(['outbox:list', '--version'], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown option '--version'/);
  });
});

describe('mailroom help and list', { concurrency: true }, () => {
  it('help COMMAND shows the options of that command', async () => {
    const { stdout } = await mailroomOk(['help', 'outbox:list'], { cwd });
    assert.match(stdout, /^Usage: mailroom outbox:list \[options\]/);
    assert.match(stdout, /--status <state>/);
    assert.match(stdout, /--limit <n>/);
  });

  it('help with an unknown command is a usage error (exit 2) with a suggestion', async () => {
    const result = await runMailroom(['help', 'outbox:lst'], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command 'outbox:lst'/);
    assert.match(result.stderr, /Did you mean outbox:list\?/);
  });

  it('list shows every command, the ungrouped first, then each group under its name', async () => {
    const [{ stdout }, names] = await Promise.all([mailroomOk(['list'], { cwd }), commandsInHelp()]);
    assert.match(stdout, new RegExp(`^Mailroom ${packageVersion.replaceAll('.', '\\.')}\n`));
    const listed = [...stdout.matchAll(/^ {2}([a-z][a-z:-]*) /gm)].map((m) => m[1]);
    assert.ok(names.length > 30, `--help lists ${names.length} commands`);
    for (const name of names) assert.ok(listed.includes(name), `list lacks ${name}`);
    // serve comes before the first group; outbox:list is under " outbox".
    assert.ok(stdout.indexOf('\n  serve ') < stdout.indexOf('\n config\n'));
    assert.match(stdout, /\n outbox\n( {2}outbox:\S+ +.+\n)+/);
    assert.match(stdout, /\n {2}outbox:list +the outbox: counts per state and the newest mails\n/);
  });

  it('list GROUP and mailroom GROUP show that group alone', async () => {
    const [listed, bare, help] = await Promise.all([mailroomOk(['list', 'outbox'], { cwd }), mailroomOk(['outbox'], { cwd }), mailroomOk(['help', 'outbox'], { cwd })]);
    const names = [...listed.stdout.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(names, ['outbox:cancel', 'outbox:list', 'outbox:owed', 'outbox:purge', 'outbox:retry', 'outbox:send-now', 'outbox:show']);
    assert.match(listed.stdout, /^Commands of the "outbox" group:\n/);
    assert.equal(bare.stdout, listed.stdout);
    assert.equal(help.stdout, listed.stdout);
  });

  it('list with an unknown group is a usage error naming the groups', async () => {
    const result = await runMailroom(['list', 'outbx'], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /'outbx' is invalid.*Allowed choices are .*config, .*outbox, .*user/);
  });
});

describe('mailroom completion bash', () => {
  let script: string;
  before(async () => {
    script = join(cwd, 'mailroom-completion.bash');
    await writeFile(script, (await mailroomOk(['completion', 'bash'], { cwd })).stdout);
  });

  /** Loads the script in bash, sets the words as bash splits them (':' apart), and returns COMPREPLY. */
  async function complete(words: readonly string[]): Promise<string[]> {
    const program = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _mailroom; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await run('bash', ['--norc', '-c', program, 'bash', script, ...words]);
    return stdout.split('\n').filter((l) => l !== '');
  }

  it('is registered for the mailroom command', async () => {
    const { stdout } = await run('bash', ['--norc', '-c', 'source "$1" && complete -p mailroom', 'bash', script]);
    assert.equal(stdout.trim(), 'complete -o default -F _mailroom mailroom');
  });

  it('completes every command --help lists, and a group to its commands', async () => {
    const [all, names] = await Promise.all([complete(['mailroom', '']), commandsInHelp()]);
    assert.deepEqual([...all].sort(), [...names].sort());
    assert.deepEqual(await complete(['mailroom', 'tok']), ['token:create', 'token:list', 'token:revoke']);
  });

  it('after a colon, completes the rest of the name (bash replaces only what follows the colon)', async () => {
    assert.deepEqual(await complete(['mailroom', 'outbox', ':', 'l']), ['list']);
    assert.deepEqual((await complete(['mailroom', 'outbox', ':'])).sort(), ['cancel', 'list', 'owed', 'purge', 'retry', 'send-now', 'show']);
  });

  it("completes a command's options, and the values an argument allows", async () => {
    assert.deepEqual(await complete(['mailroom', 'outbox', ':', 'list', '--']), ['--status', '--limit', '--search', '--json', '--help']);
    assert.deepEqual(await complete(['mailroom', 'serve', '--no']), ['--no-worker']);
    assert.deepEqual(await complete(['mailroom', 'completion', '']), ['bash']);
    assert.deepEqual(await complete(['mailroom', 'help', 'outbox', ':', 'sh']), ['show']);
    assert.deepEqual(await complete(['mailroom', '--v']), ['--version']);
  });

  it('only bash is offered', async () => {
    const result = await runMailroom(['completion', 'zsh'], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /'zsh' is invalid for argument 'shell'\. Allowed choices are bash\./);
  });
});

/**
 * Runs `mailroom serve --no-worker` until it has started, then stops it; resolves with what it
 * wrote to standard error (merged with stdout under a terminal). `tty`: under `script`
 * (util-linux, part of every Debian), which gives it a terminal.
 */
async function serveLog(env: Record<string, string>, tty: boolean): Promise<string> {
  const dir = await mkdtemp(join(cwd, 'serve-'));
  const fullEnv = cleanEnv({ MAILROOM_PORT: '0', MAILROOM_ADMIN_PASSWORD: 'a long enough admin password 1', SHELL: '/bin/sh', ...env });
  const quoted = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const child = tty
    ? spawn('script', ['-qec', `exec ${quoted(process.execPath)} ${quoted(mailroomBin)} serve --no-worker`, '/dev/null'], { cwd: dir, env: fullEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [mailroomBin, 'serve', '--no-worker'], { cwd: dir, env: fullEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // The last line serve writes at start (a warning, so at every level up to warn).
      if (/base_url is not set[^\n]*\n/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    (tty ? child.stdout : child.stderr)?.on('data', onData);
    child.once('exit', () => reject(new Error(`serve ended:\n${output}`)));
  });
  child.kill('SIGTERM');
  await exited;
  return output.replaceAll('\r\n', '\n');
}

describe('the log on a terminal and off it', { concurrency: true }, () => {
  const prettyLine = /^\d\d:\d\d:\d\d INFO {2}Mailroom is listening on (http:\/\/127\.0\.0\.1:\d+) event=serving url=\1$/m;

  it('on a terminal: time, level, message and the fields, for a person', async () => {
    const log = await serveLog({ MAILROOM_LOG_LEVEL: 'info' }, true);
    assert.match(log, prettyLine);
    assert.match(log, /^\d\d:\d\d:\d\d INFO {2}created the user admin with MAILROOM_ADMIN_PASSWORD event=admin_created$/m);
    assert.match(log, /^\d\d:\d\d:\d\d WARN {2}mail_smtpmode is capture: .* event=capture_mode$/m);
    assert.doesNotMatch(log, /"level":/);
  });

  it('elsewhere: one JSON object per line, as before', async () => {
    const log = await serveLog({ MAILROOM_LOG_LEVEL: 'info' }, false);
    const lines = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const serving = lines.find((l) => l.event === 'serving');
    assert.equal(serving?.level, 30);
    assert.match(String(serving?.msg), /^Mailroom is listening on http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(typeof serving?.time, 'number');
  });

  it('MAILROOM_LOG_FORMAT=json on a terminal, and =pretty off it, are obeyed', async () => {
    const [json, pretty] = await Promise.all([serveLog({ MAILROOM_LOG_LEVEL: 'info', MAILROOM_LOG_FORMAT: 'json' }, true), serveLog({ MAILROOM_LOG_LEVEL: 'info', MAILROOM_LOG_FORMAT: 'pretty' }, false)]);
    assert.ok(
      json
        .trim()
        .split('\n')
        .some((l) => (JSON.parse(l) as { event?: string }).event === 'serving'),
      json,
    );
    assert.match(pretty, prettyLine);
  });

  it('MAILROOM_LOG_LEVEL=warn leaves the info lines out on a terminal too', async () => {
    const log = await serveLog({ MAILROOM_LOG_LEVEL: 'warn' }, true);
    assert.doesNotMatch(log, / INFO /);
    assert.match(log, / WARN {2}mail_smtpmode is capture/);
  });

  it('a MAILROOM_LOG_FORMAT that is neither is refused by name', async () => {
    const result = await runMailroom(['outbox:list'], { cwd, env: { MAILROOM_LOG_FORMAT: 'text' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^mailroom: MAILROOM_LOG_FORMAT: .*"pretty"\|"json"/);
  });
});
