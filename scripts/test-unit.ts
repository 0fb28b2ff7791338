/**
 * npm run test:unit — the fast tier: every test file that needs no root, no server (Postfix,
 * exim, Dovecot, PostgreSQL, Chromium, nginx, smtp-sink), no child process and no build, run in
 * this process's Node.js, two files at a time. `npm test` still runs them all.
 *
 * The membership is worked out from the files each time, so it cannot drift: a test file is in
 * the tier unless it, or a file of test/ it imports (transitively), imports node:child_process
 * or playwright-core, reads the build (dist/), or takes from a support module that starts servers
 * or processes (SLOW_SUPPORT) what does it. A test that starts Postfix is out the day it is
 * written, and so is one that uses a new support module spawning a server of its own.
 *
 * usage: tsx scripts/test-unit.ts [--list | --why]   (--list prints the files, --why every test
 * file with the reason it is out of the tier; neither runs anything)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The support modules that start servers or processes, or need the build; with the names that
 * do it where the module also holds harmless ones (run-mailroom.ts's repoRoot is only a path).
 */
const SLOW_SUPPORT: ReadonlyMap<string, readonly string[] | 'any'> = new Map<string, readonly string[] | 'any'>([
  ['test/support/servers.ts', 'any'], // Postfix, exim, Dovecot, PostgreSQL (as root)
  ['test/support/smtp-sink.ts', 'any'], // Postfix's smtp-sink
  ['test/support/shared-database.ts', 'any'], // PostgreSQL
  ['test/support/dialects.ts', 'any'], // PostgreSQL
  ['test/support/browser.ts', 'any'], // Chromium, and the web interface from dist/
  ['test/support/run-mailroom.ts', ['runMailroom', 'mailroomOk', 'mailroomBin']], // the mailroom command as a child process
  ['test/support/worker-process.ts', 'any'], // mailroom worker / serve as child processes
  ['test/support/docs-runnable.ts', 'any'], // the manual's shell blocks
]);

/** What makes a file slow by itself, whatever it imports. */
const SLOW_CODE: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /from\s+['"]node:child_process['"]|import\(\s*['"]node:child_process['"]\s*\)/, why: 'starts a process' },
  { pattern: /['"`(/]dist\//, why: 'reads the build' },
  { pattern: /from\s+['"]playwright-core['"]/, why: 'drives Chromium' },
];

/**
 * `import … from './x.ts'`, `import './x.ts'` and `import('./x.ts')`: group 1 `type` of a
 * type-only import, group 2 what is imported, group 3 the path.
 */
const IMPORT = /\bimport\s*(type\s+)?(?:([^'"();]*?)\s*from\s*)?\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

interface Import {
  /** Relative to the repository. */
  readonly file: string;
  /** The names imported, or 'any' (a default, a namespace, a side effect or a dynamic import). */
  readonly names: readonly string[] | 'any';
}

/** The files of test/ a file imports, and what it takes from each. */
function importsOf(root: string, file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    // Types are gone when the test runs.
    if (match[1] !== undefined) continue;
    const target = relative(root, resolve(dirname(join(root, file)), match[3] as string));
    if (!target.startsWith('test/') || !existsSync(join(root, target))) continue;
    const named = /^\{([^}]*)\}$/.exec((match[2] ?? '').trim());
    const values = named?.[1]
      ?.split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '' && !name.startsWith('type '))
      .map((name) => name.split(/\s+as\s+/)[0] as string);
    if (values?.length === 0) continue;
    found.push({ file: target, names: values ?? 'any' });
  }
  return found;
}

/** Why this one file's own code is slow, or undefined. */
function ownReason(root: string, file: string): string | undefined {
  const text = readFileSync(join(root, file), 'utf8');
  const slow = SLOW_CODE.find(({ pattern }) => pattern.test(text));
  return slow && `${file} ${slow.why}`;
}

/** Why importing these names of this file is slow, or undefined. */
function importReason({ file, names }: Import): string | undefined {
  const slow = SLOW_SUPPORT.get(file);
  if (slow === undefined) return undefined;
  if (slow === 'any' || names === 'any') return `imports ${file}`;
  const used = names.filter((name) => slow.includes(name));
  return used.length > 0 ? `imports ${used.join(', ')} of ${file}` : undefined;
}

/** Why a test file is out of the fast tier (the first reason found in it or what it imports), or undefined. */
function slowReason(root: string, testFile: string, reasons: Map<string, string | undefined>): string | undefined {
  const seen = new Set<string>([testFile]);
  const queue = [testFile];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (!reasons.has(file)) reasons.set(file, ownReason(root, file));
    const own = reasons.get(file);
    if (own !== undefined) return `${testFile === file ? '' : `via ${file}: `}${own}`;
    for (const imported of importsOf(root, file)) {
      const reason = importReason(imported);
      if (reason !== undefined) return `${testFile === file ? '' : `via ${file}: `}${reason}`;
      // A slow module is judged by the names taken from it, not by its own code.
      if (SLOW_SUPPORT.has(imported.file) || seen.has(imported.file)) continue;
      seen.add(imported.file);
      queue.push(imported.file);
    }
  }
  return undefined;
}

function testFiles(root: string, dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...testFiles(root, path));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

/** Every test file under `root`/test, with why it is out of the fast tier (undefined: it is in). */
export function judgeTestFiles(root: string): Array<{ file: string; slow: string | undefined }> {
  const reasons = new Map<string, string | undefined>();
  return testFiles(root, 'test')
    .sort()
    .map((file) => ({ file, slow: slowReason(root, file, reasons) }));
}

function main(): number {
  const judged = judgeTestFiles(repoRoot);
  const files = judged.filter((j) => j.slow === undefined).map((j) => j.file);
  if (process.argv.includes('--list')) {
    for (const file of files) console.log(file);
    return 0;
  }
  if (process.argv.includes('--why')) {
    for (const { file, slow } of judged) console.log(`${file}: ${slow ?? 'fast'}`);
    return 0;
  }
  if (files.length === 0) {
    console.error('test:unit: no test file qualifies (see scripts/test-unit.ts)');
    return 1;
  }
  console.error(`test:unit: ${files.length} files (npx tsx scripts/test-unit.ts --list names them)`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { cwd: repoRoot, stdio: 'inherit' });
  return run.status ?? 1;
}

// Run, unless a test imported the rule.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main());
