/**
 * npm run test:unit — the fast tier: every test file that needs no root, no server (Postfix,
 * exim, Dovecot, PostgreSQL, Chromium, nginx, smtp-sink), no child process and no build, run in
 * this process's Node.js, two files at a time. `npm test` still runs them all.
 *
 * The membership is worked out from the files each time, so it cannot drift: a test file is in
 * the tier unless it, or a file of test/ it imports (transitively), imports one of the support
 * modules that start servers or processes (SLOW_SUPPORT), imports node:child_process, or reads
 * the build (dist/). A test that starts Postfix is thereby out the day it is written.
 *
 * usage: tsx scripts/test-unit.ts [--list | --why]   (--list prints the files, --why every test
 * file with the reason it is out of the tier; neither runs anything)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The support modules that start servers or processes, or need the build. */
const SLOW_SUPPORT: readonly string[] = [
  'test/support/servers.ts', // Postfix, exim, Dovecot, PostgreSQL (as root)
  'test/support/smtp-sink.ts', // Postfix's smtp-sink
  'test/support/shared-database.ts', // PostgreSQL
  'test/support/dialects.ts', // PostgreSQL
  'test/support/browser.ts', // Chromium, and the web interface from dist/
  'test/support/run-mailroom.ts', // the mailroom command as a child process
  'test/support/worker-process.ts', // mailroom worker / serve as child processes
  'test/support/docs-runnable.ts', // the manual's shell blocks
];

/** What makes a file slow by itself, whatever it imports. */
const SLOW_CODE: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /from\s+['"]node:child_process['"]|import\(\s*['"]node:child_process['"]\s*\)/, why: 'starts a process' },
  { pattern: /['"`(/]dist\//, why: 'reads the build' },
];

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The test/ files a file imports, as paths relative to the repository. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = relative(root, resolve(dirname(join(root, file)), match[1] as string));
    if (target.startsWith('test/') && existsSync(join(root, target))) found.push(target);
  }
  return found;
}

/** Why this one file, read alone, is slow, or undefined. */
function ownReason(file: string): string | undefined {
  if (SLOW_SUPPORT.includes(file)) return `imports ${file}`;
  const text = readFileSync(join(root, file), 'utf8');
  const slow = SLOW_CODE.find(({ pattern }) => pattern.test(text));
  return slow && `${file} ${slow.why}`;
}

/** Why a test file is out of the fast tier (the first reason found in it or what it imports), or undefined. */
function slowReason(testFile: string, reasons: Map<string, string | undefined>): string | undefined {
  const seen = new Set<string>([testFile]);
  const queue = [testFile];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (!reasons.has(file)) reasons.set(file, ownReason(file));
    const reason = reasons.get(file);
    if (reason !== undefined) return reason;
    for (const target of importsOf(file)) {
      if (seen.has(target)) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  return undefined;
}

function testFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...testFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

const reasons = new Map<string, string | undefined>();
const all = testFiles('test').sort();
const files = all.filter((file) => slowReason(file, reasons) === undefined);
if (process.argv.includes('--list')) {
  for (const file of files) console.log(file);
  process.exit(0);
}
if (process.argv.includes('--why')) {
  for (const file of all) console.log(`${file}: ${slowReason(file, reasons) ?? 'fast'}`);
  process.exit(0);
}
if (files.length === 0) {
  console.error('test:unit: no test file qualifies (see scripts/test-unit.ts)');
  process.exit(1);
}
console.error(`test:unit: ${files.length} files (tsx scripts/test-unit.ts --list names them)`);
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
