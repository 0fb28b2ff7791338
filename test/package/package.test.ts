/**
 * The package as npm publishes it: `npm pack` (whose prepare script builds dist/), then the
 * tarball installed into a scratch application the way a user installs it. The library's
 * examples in docs/library.md type-check there with a standard strict `nodenext` tsconfig that
 * checks every declaration file (skipLibCheck off), and run: their mails reach a private Postfix.
 * The installed `mailroom` command runs the bundle, never tsx or sources, and `serve` serves the
 * web interface.
 *
 * The install is offline from npm's cache (`npm install` in the project filled it) and skips
 * install scripts: the only one the package needs, better-sqlite3's, would compile SQLite for a
 * minute, so the application pins the driver to this checkout's version and gets its build.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fencedBlocks } from '../support/docs-markdown.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { cleanEnv, repoRoot } from '../support/run-mailroom.ts';
import { freePort, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';

const run = promisify(execFile);

/** SHA-256 of the GNU AGPL version 3 as the FSF publishes it (gnu.org's agpl-3.0.txt). */
const AGPL_3_SHA256 = '57c8ff33c9c0cfc3ef00e650a1cc910d7ee479a8bc509f6c9209a7c2a11399d6';

interface PackedFile {
  path: string;
  size: number;
}
interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

const project = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { name: string; license: string };
const installedVersion = async (root: string, name: string) => (JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** npm as a user runs it: none of the test runner's npm_* variables (npm test sets them). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(cleanEnv()).filter(([name]) => !name.startsWith('npm_')));
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: npmEnv(), maxBuffer: 1 << 26, timeout: 180_000 }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`npm ${args.join(' ')} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  return stdout;
}

/** What a command printed and how it ended; never rejects. */
async function runCommand(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(file, args, { cwd, env, timeout: 60_000, maxBuffer: 1 << 24 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number | string; signal?: string; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: `${error.stderr ?? ''}${typeof error.code === 'number' ? '' : `(${error.signal ?? error.code ?? 'not run'})`}`,
    }),
  );
}
const runNode = (args: string[], cwd: string, env: NodeJS.ProcessEnv) => runCommand(process.execPath, args, cwd, env);

describe('the package, packed and installed into an application', { timeout: 300_000 }, () => {
  let dir: string;
  let app: string;
  let installed: string;
  let packed: Packed;
  let postfix: PostfixServer | undefined;

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-package-')));
    app = join(dir, 'app');
    installed = join(app, 'node_modules', project.name);

    let started = Date.now();
    const stdout = await npm(['pack', '--json', '--pack-destination', dir], repoRoot);
    const json = /^\[$/m.exec(stdout);
    assert.ok(json, `npm pack --json printed no JSON:\n${stdout}`);
    [packed] = JSON.parse(stdout.slice(json.index)) as [Packed];
    const packMs = Date.now() - started;

    started = Date.now();
    await mkdir(app);
    const dependencies = {
      [project.name]: `file:${join(dir, packed.filename)}`,
      typescript: await installedVersion(repoRoot, 'typescript'),
      '@types/node': await installedVersion(repoRoot, '@types/node'),
    };
    // The SQLite driver at the version this checkout built, so that its build can be copied in.
    const driver = 'better-sqlite3';
    const overrides = { [driver]: await installedVersion(repoRoot, driver) };
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'library-user', private: true, type: 'module', dependencies, overrides }, null, 2));
    // --engine-strict: installed as a dependency too, every package Mailroom brings accepts the
    // Node.js lines package.json names (fastify's light-my-request 6.7 would bring cookie 2, Node 22+).
    await npm(['install', '--engine-strict', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
    assert.equal(await installedVersion(app, driver), overrides[driver]);
    const release = join('node_modules', driver, 'build', 'Release');
    await mkdir(join(app, release), { recursive: true });
    await copyFile(join(repoRoot, release, 'better_sqlite3.node'), join(app, release, 'better_sqlite3.node'));
    const installMs = Date.now() - started;
    process.stderr.write(`# ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.files.length} files; packed in ${packMs} ms, installed in ${installMs} ms\n`);
  });

  after(async () => {
    await postfix?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds the license, the bundle, the declarations and the web interface, and neither sources nor source maps', async () => {
    const paths = packed.files.map((f) => f.path);
    for (const path of ['LICENSE', 'package.json', 'bin/mailroom.mjs', 'dist/main.mjs', 'dist/index.mjs', 'dist/render-worker.mjs', 'dist/types/index.d.ts', 'dist/web/index.html']) {
      assert.ok(paths.includes(path), `${path} is in the tarball`);
    }
    assert.deepEqual(
      paths.filter((p) => p.endsWith('.map')),
      [],
      'no source maps',
    );
    assert.deepEqual(
      paths.filter((p) => /^(src|web|scripts|test|docs)\//.test(p)),
      [],
      'no sources',
    );
    // The declarations name the .js files they stand for, as compiled code's do, not the sources.
    const declarations = paths.filter((p) => p.endsWith('.d.ts'));
    const tsSpecifiers = (await Promise.all(declarations.map(async (p) => (await readFile(join(installed, p), 'utf8')).match(/(?:from|import\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/g) ?? []))).flat();
    assert.deepEqual(tsSpecifiers, []);
    assert.equal(project.license, 'AGPL-3.0-or-later');
    const license = await readFile(join(installed, 'LICENSE'));
    assert.match(license.toString('utf8'), /^\s*GNU AFFERO GENERAL PUBLIC LICENSE\n\s*Version 3, 19 November 2007\n/);
    assert.equal(createHash('sha256').update(license).digest('hex'), AGPL_3_SHA256, 'LICENSE is the AGPL text as the FSF publishes it, unchanged');
  });

  it('type-checks the examples of docs/library.md with strict nodenext settings and every declaration checked', async () => {
    const blocks = fencedBlocks(await readFile(join(repoRoot, 'docs', 'library.md'), 'utf8')).filter((b) => b.info === 'ts');
    assert.ok(blocks.length >= 3, 'docs/library.md shows the library in TypeScript');
    await mkdir(join(app, 'src'));
    for (const [index, block] of blocks.entries()) await writeFile(join(app, 'src', `example-${index + 1}.ts`), `${block.text}\n`);
    const compilerOptions = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, rootDir: 'src', outDir: 'out', noEmitOnError: true };
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }, null, 2));
    // The declarations may name only what the package installs: no @types of its drivers here.
    for (const types of ['better-sqlite3', 'pg', 'html-to-text']) assert.equal(existsSync(join(app, 'node_modules', '@types', types)), false, `@types/${types} is not installed`);

    const result = await runNode([join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app, cleanEnv());
    assert.equal(result.code, 0, `tsc found errors:\n${result.stdout}${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.equal(existsSync(join(app, 'out', `example-${blocks.length}.js`)), true, 'tsc wrote the compiled examples');
  });

  it('runs the examples of docs/library.md: their mails reach the mail server, an invalid one is refused with its code', async () => {
    postfix = await startPostfix();
    const env = cleanEnv({ MAILROOM_DATA_DIR: './data', MAILROOM_CONFIG: './none.json' });
    for (const [key, value] of Object.entries(postfixSettings(postfix))) env[`MAILROOM_${key.toUpperCase()}`] = String(value);

    const outputs: string[] = [];
    for (let n = 1; existsSync(join(app, 'out', `example-${n}.js`)); n++) {
      const result = await runNode([join(app, 'out', `example-${n}.js`)], app, env);
      assert.equal(result.code, 0, `example ${n} exited with ${result.code}:\n${result.stdout}${result.stderr}`);
      outputs.push(result.stdout);
    }
    // The first queues Alice's mail and stops its worker at once; the second waits until the
    // outbox is empty, so both have left; the third is refused.
    assert.match(outputs[1] ?? '', /^mail #\d+: sent\n$/);
    assert.match(outputs[2] ?? '', /^invalid_address /);

    const alice = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'alice@example.com');
    assert.equal(alice.headers.get('subject'), 'Hello');
    assert.match(alice.body, /Hi Alice/);
    const bob = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'bob@example.com');
    assert.equal(bob.headers.get('subject'), 'Nightly report');
    assert.match(bob.body, /Every backup finished\./);
  });

  it('node_modules/.bin/mailroom runs the bundle: neither tsx nor a source file is loaded', async () => {
    // Every module the process resolves, written down by a resolve hook in the hooks thread.
    const trace = join(dir, 'resolved.txt');
    await writeFile(join(dir, 'trace-hooks.mjs'), "import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(process.env.RESOLVED_TRACE, `${result.url}\\n`);\n  return result;\n}\n");
    await writeFile(join(dir, 'trace.mjs'), "import { register } from 'node:module';\nregister('./trace-hooks.mjs', import.meta.url);\n");
    const env = cleanEnv({ NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'trace.mjs')).href}`, RESOLVED_TRACE: trace });
    const result = await runCommand(join(app, 'node_modules', '.bin', 'mailroom'), ['--help'], app, env);
    assert.equal(result.code, 0, `mailroom --help exited with ${result.code}:\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /^Usage: mailroom /);

    const loaded = (await readFile(trace, 'utf8')).split('\n').filter((url) => url !== '');
    const packageUrl = pathToFileURL(installed).href;
    assert.ok(loaded.includes(`${packageUrl}/dist/main.mjs`), `dist/main.mjs was loaded; resolved:\n${loaded.join('\n')}`);
    assert.deepEqual(
      loaded.filter((url) => url.includes('/node_modules/tsx/') || url.startsWith(`${packageUrl}/src/`) || url.endsWith('.ts')),
      [],
    );
  });

  it('mailroom serve from the installed package serves the web interface', async () => {
    const port = await freePort();
    const env = cleanEnv({ MAILROOM_DATA_DIR: join(dir, 'serve-data'), MAILROOM_CONFIG: './none.json', MAILROOM_HOST: '127.0.0.1', MAILROOM_PORT: String(port), MAILROOM_ADMIN_PASSWORD: 'package-test-password' });
    const serve = spawn(join(app, 'node_modules', '.bin', 'mailroom'), ['serve', '--no-worker'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    serve.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    serve.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => serve.on('exit', (code) => resolve(code)));
    try {
      let page: Response | undefined;
      for (const deadline = Date.now() + 30_000; page === undefined && Date.now() < deadline; ) {
        assert.equal(serve.exitCode, null, `serve exited:\n${output}`);
        page = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        if (page === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(page, `serve did not answer on port ${port}:\n${output}`);
      assert.equal(page.status, 200, output);
      const html = await page.text();
      const script = /src="(\/assets\/app-[^"]+\.js)"/.exec(html);
      assert.ok(script, `the page loads the app:\n${html}`);
      const asset = await fetch(`http://127.0.0.1:${port}${script[1]}`);
      assert.equal(asset.status, 200);
      assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }
  });
});
