/**
 * The admin manual's `sh runnable` blocks run as written against a real Mailroom, one fresh
 * instance per file, in file order (test/support/docs-runnable.ts says what a block gets; the
 * harness replaces http://127.0.0.1:8080 in a block with the test instance's address).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK_TIMEOUT_MS, describeFailure, misMarkedBlocks, placeholders, runBlock, runBlocksInOrder, runnableBlocks, startDocsInstance, substituteAddress, type BlockEnvironment, type RunnableBlock } from '../support/docs-runnable.ts';
import { cleanEnv, repoRoot } from '../support/run-mailroom.ts';

/** The manuals that must show at least one runnable block once they exist. */
const manuals = ['docs/admin/email.md', 'docs/admin/email.zh-CN.md'];
const fixture = 'test/fixtures/docs/runnable.md';
/** Editions of a manual in another language, and the manual they translate. */
const translations: Record<string, string> = { 'docs/admin/email.zh-CN.md': 'docs/admin/email.md', 'docs/admin/operations.zh-CN.md': 'docs/admin/operations.md' };

const adminDir = join(repoRoot, 'docs', 'admin');
const adminFiles = existsSync(adminDir)
  ? readdirSync(adminDir)
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => `docs/admin/${name}`)
  : [];

function blocksOf(file: string): RunnableBlock[] {
  return runnableBlocks(file, readFileSync(join(repoRoot, file), 'utf8'));
}

/** Starts an instance, runs the blocks of `file` in order, and fails with the first failure's report. */
async function runFile(file: string): Promise<void> {
  const blocks = blocksOf(file);
  const instance = await startDocsInstance();
  try {
    const results = await runBlocksInOrder(blocks, instance.environment);
    const failed = results.find((r) => !r.ok);
    if (failed) {
      const notRun = blocks.length - results.length;
      assert.fail(`${describeFailure(failed)}${notRun > 0 ? `\n(${notRun} later block(s) of ${file} not run)` : ''}`);
    }
    assert.equal(results.length, blocks.length);
  } finally {
    await instance.close();
  }
}

const fileTimeout = (file: string) => blocksOf(file).length * BLOCK_TIMEOUT_MS + 60_000;

describe('the runnable shell blocks of docs/admin/', () => {
  for (const manual of manuals) {
    const exists = existsSync(join(repoRoot, manual));
    it(`${manual} has at least one \`\`\`sh runnable block`, { skip: exists ? false : 'not written yet' }, () => {
      assert.ok(blocksOf(manual).length > 0, `${manual} has no \`\`\`sh runnable block: mark the commands a reader can run as written`);
    });
  }

  it('holds no placeholder (<...>, <token>, YOUR_…, …, Bearer TOKEN) in a runnable block', () => {
    const found: string[] = [];
    for (const file of [...adminFiles, fixture]) {
      for (const block of blocksOf(file)) {
        const names = placeholders(block.text);
        if (names.length > 0) found.push(`${file}:${block.line}: ${names.join(', ')}`);
      }
    }
    assert.deepEqual(found, [], `runnable blocks must run as written; replace these placeholders with example values:\n${found.join('\n')}`);
  });

  it('marks every block meant to run exactly ```sh runnable', () => {
    const wrong = [...adminFiles, fixture].flatMap((file) => misMarkedBlocks(file, readFileSync(join(repoRoot, file), 'utf8')));
    assert.deepEqual(wrong, []);
  });

  for (const file of adminFiles) {
    const count = blocksOf(file).length;
    const original = translations[file];
    // A translation shows the original's commands, byte for byte and in the same order, so that
    // both editions stay true; they run once, with the original (each run starts the CLI dozens of times).
    if (original !== undefined) {
      it(`${file} holds exactly the runnable blocks of ${original}, in the same order (they run there)`, () => {
        assert.deepEqual(
          blocksOf(file).map((b) => b.text),
          blocksOf(original).map((b) => b.text),
          `change the runnable blocks of ${file} and ${original} together`,
        );
      });
      continue;
    }
    it(`runs the ${count} runnable block(s) of ${file} in order against a fresh Mailroom`, { skip: count === 0 ? 'no runnable blocks' : false, timeout: fileTimeout(file) }, () => runFile(file));
  }
});

describe('the runnable-block harness', () => {
  /** An environment for blocks that need no server. */
  const offline: BlockEnvironment = { url: 'http://127.0.0.1:1', env: cleanEnv(), cwd: repoRoot };

  it(`runs the blocks of ${fixture} against a fresh Mailroom (CLI and API on one database, TOKEN, the address)`, { timeout: fileTimeout(fixture) }, async () => {
    assert.equal(blocksOf(fixture).length, 4, 'the unmarked block of the fixture must not be picked up');
    await runFile(fixture);
  });

  it('reports a failing block with its file, line, text and output', async () => {
    const markdown = ['# A page', '', 'Text.', '', '```sh runnable', 'echo "to stdout"', 'echo "to stderr" >&2', 'exit 3', '```', ''].join('\n');
    const blocks = runnableBlocks('docs/admin/failing.md', markdown);
    assert.equal(blocks.length, 1);
    const [result] = await runBlocksInOrder([...blocks, ...blocks], offline);
    assert.ok(result);
    assert.equal(result.ok, false);
    assert.equal(result.code, 3);
    const report = describeFailure(result);
    assert.match(report, /^docs\/admin\/failing\.md:5: /);
    assert.match(report, /exited with 3/);
    assert.match(report, /exit 3/);
    assert.match(report, /to stdout/);
    assert.match(report, /to stderr/);
  });

  it('stops a file at its first failing block', async () => {
    const blocks = runnableBlocks('x.md', '```sh runnable\nfalse\n```\n\n```sh runnable\ntrue\n```\n');
    const results = await runBlocksInOrder(blocks, offline);
    assert.deepEqual(
      results.map((r) => r.ok),
      [false],
    );
  });

  it('runs with -e, -u and pipefail: a failing command mid-block, an unset variable or a failing pipe stage fail it', async () => {
    for (const text of ['false\necho after', 'echo "$NOT_SET_ANYWHERE"', 'false | cat']) {
      const result = await runBlock({ file: 'x.md', line: 1, text }, offline);
      assert.equal(result.ok, false, `${JSON.stringify(text)} should fail`);
    }
  });

  it('kills a block that runs longer than its time-out, and what it started', async () => {
    const started = Date.now();
    const result = await runBlock({ file: 'x.md', line: 1, text: 'sleep 60 & sleep 60' }, { ...offline, timeoutMs: 300 });
    assert.equal(result.ok, false);
    assert.equal(result.timedOut, true);
    assert.ok(Date.now() - started < 10_000);
    assert.match(describeFailure(result), /did not finish within/);
  });

  it('replaces exactly http://127.0.0.1:8080 with the instance address', async () => {
    assert.equal(substituteAddress('curl http://127.0.0.1:8080/api/v1/x http://127.0.0.1:8081 http://localhost:8080', 'http://127.0.0.1:4321'), 'curl http://127.0.0.1:4321/api/v1/x http://127.0.0.1:8081 http://localhost:8080');
    const result = await runBlock({ file: 'x.md', line: 1, text: 'echo http://127.0.0.1:8080/healthz' }, offline);
    assert.equal(result.stdout.trim(), 'http://127.0.0.1:1/healthz');
  });

  it('finds placeholders, and takes HTML in a JSON body for what it is', () => {
    assert.deepEqual(placeholders('mailroom mail:test --to <your address>'), ['<your address>']);
    assert.deepEqual(placeholders('mailroom config:set mail_smtphost <...>'), ['<...>']);
    assert.deepEqual(placeholders('curl -H "Authorization: Bearer YOUR_TOKEN" x'), ['YOUR_TOKEN']);
    assert.deepEqual(placeholders('curl -H "Authorization: Bearer TOKEN" x'), ['Bearer TOKEN']);
    assert.deepEqual(placeholders('mailroom config:set mail_smtphost …'), ['…']);
    assert.deepEqual(placeholders('mailroom user:modify <uid> --disable'), ['<uid>']);
    assert.deepEqual(placeholders(`curl -H "Authorization: Bearer $TOKEN" -d '{"html": "<p>Hi<br>there</p>"}' x`), []);
    assert.deepEqual(placeholders('mailroom config:set mail_dkim_private_key - < dkim.pem 2>&1 | cat'), []);
  });

  it('tells a block meant to run but marked otherwise', () => {
    assert.deepEqual(misMarkedBlocks('x.md', '```bash runnable\ntrue\n```\n\n```sh runnable\ntrue\n```\n'), ['x.md:1: ```bash runnable (write ```sh runnable)']);
  });
});
