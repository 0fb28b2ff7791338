/**
 * Mailroom on the Node.js LTS lines users run, 22 and 24, besides the one running the suite (each
 * from the npm registry: test/support/other-node.sh fetches it and builds better-sqlite3 for it).
 * package.json's engines must be true: `npm install --engine-strict` passes on every line, a part
 * of the suite passes on each (a copy of the project whose better-sqlite3 is the one built for
 * it), and better-sqlite3 built for another Node.js says what to run instead of five lines about
 * NODE_MODULE_VERSION.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

/**
 * Files of the suite run again on each other line: the outbox worker, every template rendered in
 * the render threads and delivered through Postfix with DKIM, serve with its worker process (the
 * bundle, a child process, owed mails rendered and sent), the settings API. The whole suite on
 * each line would take longer than the 15 minutes the suite may.
 */
const ON_OTHER_NODE = ['test/outbox/outbox-worker.test.ts', 'test/templates/delivered-templates.test.ts', 'test/cli/serve-worker.test.ts', 'test/http/settings-api.test.ts'];

/** The project's own files a copy needs to build nothing and run the tests above. */
const PROJECT_FILES = ['src', 'test', 'bin', 'dist', 'web', 'docs', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json'];
/** Copied from the build for the other Node.js; every other package is the project's own, linked. */
const NATIVE = new Set(['better-sqlite3', 'bindings', 'file-uri-to-path']);

interface OtherNode {
  version: string;
  node: string;
  modules: string;
}

async function prepare(): Promise<OtherNode[]> {
  const { stdout } = await run('bash', [join(root, 'test/support/other-node.sh')], { cwd: root, maxBuffer: 1 << 20 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [version, dir, modules] = line.split(' ');
      assert.ok(version && dir && modules, `other-node.sh printed: ${stdout}`);
      return { version, node: join(dir, 'bin/node'), modules };
    });
}

/** npm as the given node runs it: npm's engine check reads the running Node.js version. */
function npmCli(): string {
  const cli = process.env['npm_execpath'];
  return cli?.endsWith('.js') ? cli : '/usr/lib/node_modules/npm/bin/npm-cli.js';
}

// Two at a time: the runs on Node 22 and 24 wait on their servers more than they compute.
describe('Node.js versions', { timeout: 20 * 60_000, concurrency: 2 }, () => {
  let others: OtherNode[] = [];
  const dirs: string[] = [];
  before(async () => {
    others = await prepare();
    assert.deepEqual(
      others.map((o) => o.version.split('.')[0]),
      ['22', '24'],
    );
  });
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('npm install --engine-strict accepts the project on this Node.js, on Node 22 and on Node 24', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-engines-'));
    dirs.push(dir);
    await cp(join(root, 'package.json'), join(dir, 'package.json'));
    await cp(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
    for (const node of [process.execPath, ...others.map((o) => o.node)]) {
      const result = await run(node, [npmCli(), 'install', '--engine-strict', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 1 << 24 }).catch((error: { code?: number; stderr?: string }) => error);
      assert.ok(!('code' in result) || result.code === undefined || result.code === 0, `npm install --engine-strict on ${node}: ${'stderr' in result ? result.stderr : ''}`);
    }
  });

  it('better-sqlite3 built for another Node.js says to run npm rebuild, in one line, with exit code 1', async () => {
    const other = others.at(-1) as OtherNode;
    const dataDir = await mkdtemp(join(tmpdir(), 'mailroom-native-'));
    dirs.push(dataDir);
    // The project's own better-sqlite3 is built for the Node.js running the suite, not for Node 24.
    const failed = await run(other.node, [join(root, 'bin/mailroom.mjs'), 'config:list'], {
      cwd: dataDir,
      env: { PATH: process.env['PATH'] ?? '', HOME: dataDir, MAILROOM_DATA_DIR: dataDir, MAILROOM_CONFIG: join(dataDir, 'none.json') },
    }).then(
      () => assert.fail('config:list ran with a better-sqlite3 built for another Node.js'),
      (error: { code?: number; stderr?: string }) => error,
    );
    assert.equal(failed.code, 1);
    const stderr = failed.stderr ?? '';
    assert.match(stderr, /better-sqlite3 was built for another Node\.js version \(module version \d+; Node\.js v24\.\d+\.\d+ needs \d+\): run `npm rebuild better-sqlite3` in /);
    assert.ok(stderr.includes(`in ${root.replace(/\/$/, '')},`), stderr);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  });

  for (const line of ['22', '24']) {
    it(`passes a part of the suite on Node ${line}: ${ON_OTHER_NODE.length} files`, async () => {
      const other = others.find((o) => o.version.startsWith(`${line}.`)) as OtherNode;
      const copy = await mkdtemp(join(tmpdir(), `mailroom-node${line}-`));
      dirs.push(copy);
      // A copy keeps the file times (bin/mailroom.mjs runs dist/ when it is the newer).
      for (const name of PROJECT_FILES) await cp(join(root, name), join(copy, name), { recursive: true, preserveTimestamps: true });
      await mkdir(join(copy, 'node_modules'));
      for (const name of await readdir(join(root, 'node_modules'))) {
        const from = NATIVE.has(name) ? join(other.modules, name) : join(root, 'node_modules', name);
        if (NATIVE.has(name)) await cp(from, join(copy, 'node_modules', name), { recursive: true });
        else await symlink(from, join(copy, 'node_modules', name));
      }
      const result = await run(other.node, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...ON_OTHER_NODE], {
        cwd: copy,
        // Without the parent runner's NODE_TEST_CONTEXT, which makes a nested `node --test` run nothing.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), PATH: `${join(other.node, '..')}:${process.env['PATH'] ?? ''}` },
        maxBuffer: 1 << 26,
      }).catch((error: { code?: number; stdout?: string; stderr?: string }) => error);
      const output = `${'stdout' in result ? result.stdout : ''}\n${'stderr' in result ? result.stderr : ''}`;
      assert.ok(!('code' in result) || result.code === undefined || result.code === 0, `the suite's part failed on Node ${other.version}:\n${output.slice(-6000)}`);
      assert.match(output, /ℹ fail 0/);
      assert.doesNotMatch(output, /ℹ pass 0\b/);
    });
  }
});
