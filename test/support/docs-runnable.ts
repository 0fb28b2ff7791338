/**
 * Runs the shell blocks of the admin manual that are marked to run as written (info string
 * `sh runnable`) against a real Mailroom, as test/docs/runnable-blocks.test.ts does for every
 * docs/admin/*.md. docs/admin/writing-docs.md tells writers what a block gets:
 *
 * - `bash -euo pipefail -c BLOCK` in the repository root, with `mailroom` on PATH as the manual
 *   has it (README.md, "The command"): a small wrapper first on PATH that runs this checkout's
 *   bin/mailroom.mjs with node, as an installed `mailroom` would; the text of the block is not
 *   changed.
 * - The environment of a user's shell (none of the developer's MAILROOM_* variables), plus
 *   MAILROOM_DATA_DIR and MAILROOM_CONFIG of the test instance (so the commands act on the
 *   database the server uses), MAILROOM_ADMIN_PASSWORD (the password of `admin`) and TOKEN (an
 *   admin API token).
 * - Every `http://127.0.0.1:8080` in the block (the address the manual shows, Mailroom's default)
 *   is replaced by the test instance's address before the block runs. Only that exact string.
 * - 30 s per block; background processes a block leaves behind are ended with it. Standard
 *   input is empty.
 *
 * The blocks of one file run in order against one instance, so state carries over; the first
 * block that fails stops the file, since the blocks after it would fail for its reason.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ADMIN_PASSWORD, startMailroom, type MailroomInstance } from './browser.ts';
import { fencedBlocks } from './docs-markdown.ts';
import { cleanEnv, mailroomBin, repoRoot } from './run-mailroom.ts';

/** The address the manual writes; replaced by the test instance's before a block runs. */
export const DOC_ADDRESS = 'http://127.0.0.1:8080';
/** The info string that marks a block to run. */
export const RUNNABLE_INFO = 'sh runnable';
export const BLOCK_TIMEOUT_MS = 30_000;
/** Output kept per stream for the failure report. */
const OUTPUT_LIMIT = 64 * 1024;

export interface RunnableBlock {
  /** Repository-relative path of the Markdown file. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly text: string;
}

/** The `sh runnable` blocks of a file, in file order. */
export function runnableBlocks(file: string, markdown: string): RunnableBlock[] {
  return fencedBlocks(markdown)
    .filter((b) => b.info.split(/\s+/).join(' ') === RUNNABLE_INFO)
    .map((b) => ({ file, line: b.line, text: b.text }));
}

/**
 * Blocks that look meant to run but are not marked exactly `sh runnable` (`bash runnable`,
 * `shell runnable`, `sh  runnable x`): they would be skipped in silence.
 */
export function misMarkedBlocks(file: string, markdown: string): string[] {
  return fencedBlocks(markdown)
    .filter((b) => /\brunnable\b/.test(b.info) && b.info.split(/\s+/).join(' ') !== RUNNABLE_INFO)
    .map((b) => `${file}:${b.line}: \`\`\`${b.info} (write \`\`\`${RUNNABLE_INFO})`);
}

/** Tags whose `<name>` in a block is HTML (a JSON body), not a placeholder, even without `</name>`. */
const voidTags = new Set(['br', 'hr', 'img', 'wbr', 'meta', 'link', 'input']);

/**
 * Placeholders a reader must replace, which cannot run as written: `<...>`, `<token>`,
 * `<your address>`, `YOUR_TOKEN`, `…`, and `Bearer TOKEN` (instead of `Bearer $TOKEN`).
 * `<p>` of a JSON body with its `</p>` is HTML, not a placeholder.
 */
export function placeholders(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/<(?:\.\.\.|…)>/g)) found.push(m[0]);
  for (const m of text.matchAll(/<([A-Za-z][\w.:-]*(?: [\w.:-]+)*)>/g)) {
    const name = (m[1] as string).toLowerCase();
    if (voidTags.has(name) || new RegExp(`</${name}\\s*>`, 'i').test(text)) continue;
    found.push(m[0]);
  }
  for (const m of text.matchAll(/\byour[_-][\w-]*/gi)) found.push(m[0]);
  for (const m of text.matchAll(/…+/g)) found.push(m[0]);
  for (const m of text.matchAll(/\bBearer (?!\$|YOUR[_-])[A-Z][A-Z_]*\b/g)) found.push(m[0]);
  return found;
}

export interface BlockEnvironment {
  /** The test instance's address, http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  /** The complete environment of the block. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly timeoutMs?: number;
}

export interface BlockResult {
  readonly block: RunnableBlock;
  /** The script that ran: the block with the address replaced. */
  readonly script: string;
  readonly ok: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The block as it runs: every `http://127.0.0.1:8080` replaced by `url`. */
export function substituteAddress(text: string, url: string): string {
  return text.split(DOC_ADDRESS).join(url);
}

/** Runs one block with `bash -euo pipefail`; resolves with the outcome, also when it failed. */
export function runBlock(block: RunnableBlock, environment: BlockEnvironment): Promise<BlockResult> {
  const script = substituteAddress(block.text, environment.url);
  const timeoutMs = environment.timeoutMs ?? BLOCK_TIMEOUT_MS;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // A process group of its own, so that a time-out ends what the block started too.
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: environment.cwd, env: environment.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    const keep = (kept: string, chunk: string) => (kept.length >= OUTPUT_LIMIT ? kept : (kept + chunk).slice(0, OUTPUT_LIMIT));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = keep(stdout, chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = keep(stderr, chunk)));
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, timeoutMs);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // What the block left running in the background would hold the pipes open.
      killGroup('SIGKILL');
    });
    child.once('close', () => {
      clearTimeout(timer);
      const { code, signal } = exit ?? { code: child.exitCode, signal: child.signalCode };
      resolve({ block, script, ok: !timedOut && code === 0, code, signal, timedOut, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The report of a failed block: where it is, what ran, and what it printed. */
export function describeFailure(result: BlockResult): string {
  const { block } = result;
  const how = result.timedOut ? `did not finish within ${BLOCK_TIMEOUT_MS / 1000} s (killed)` : result.signal !== null ? `was killed by ${result.signal}` : `exited with ${result.code}`;
  const indent = (text: string) => (text.trim() === '' ? '    (nothing)' : text.replace(/\n$/, '').replace(/^/gm, '    '));
  return [`${block.file}:${block.line}: the \`\`\`${RUNNABLE_INFO} block ${how}`, '  block:', indent(block.text), '  stdout:', indent(result.stdout), '  stderr:', indent(result.stderr)].join('\n');
}

/**
 * Runs blocks in order and stops at the first failure; returns the results so far. `onResult`
 * sees each result as it comes (for a progress line).
 */
export async function runBlocksInOrder(blocks: readonly RunnableBlock[], environment: BlockEnvironment, onResult?: (r: BlockResult) => void): Promise<BlockResult[]> {
  const results: BlockResult[] = [];
  for (const block of blocks) {
    const result = await runBlock(block, environment);
    results.push(result);
    onResult?.(result);
    if (!result.ok) break;
  }
  return results;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A folder holding the `mailroom` command: this checkout's bin/mailroom.mjs, run with node directly. */
export async function makeMailroomCommand(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-docs-bin-'));
  const script = ['#!/bin/sh', '# Written by test/support/docs-runnable.ts: the `mailroom` command of the manual, from this checkout.', `exec ${sh(process.execPath)} --max-semi-space-size=4 ${sh(mailroomBin)} "$@"`, ''].join('\n');
  await writeFile(join(dir, 'mailroom'), script);
  await chmod(join(dir, 'mailroom'), 0o755);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface DocsInstance {
  readonly mailroom: MailroomInstance;
  /** The environment every block of this instance gets. */
  readonly environment: BlockEnvironment;
  close(): Promise<void>;
}

/**
 * A fresh Mailroom for one manual: startMailroom (test/support/browser.ts: the server as
 * `mailroom serve` runs it, with its worker, mode `capture`, a temporary data folder, a free
 * port), the `mailroom` command, and the blocks' environment.
 */
export async function startDocsInstance(): Promise<DocsInstance> {
  const shim = await makeMailroomCommand();
  let mailroom: MailroomInstance;
  try {
    mailroom = await startMailroom({ worker: true });
  } catch (error) {
    await shim.remove();
    throw error;
  }
  const base = cleanEnv();
  const env: NodeJS.ProcessEnv = {
    ...base,
    PATH: `${shim.dir}${delimiter}${base['PATH'] ?? ''}`,
    MAILROOM_DATA_DIR: mailroom.dataDir,
    // The server's config file (startMailroom points it at a file that does not exist), so that
    // a developer's ./config/config.json cannot lock keys for the commands only.
    MAILROOM_CONFIG: join(mailroom.dataDir, 'no-config.json'),
    MAILROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TOKEN: mailroom.adminToken,
  };
  return {
    mailroom,
    environment: { url: mailroom.url, env, cwd: repoRoot },
    async close() {
      await mailroom.close();
      await shim.remove();
    },
  };
}
