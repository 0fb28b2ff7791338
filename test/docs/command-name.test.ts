/**
 * Mailroom's npm package is `mailroom-server`; the npm name `mailroom` is another project's.
 * `npx mailroom` (or `npm exec mailroom`) run where no Mailroom is installed fetches that
 * package from the registry and, without a terminal to ask on, installs and runs it. So no
 * document and no message of Mailroom's may tell anyone to run the command that way: they say
 * `mailroom`, the installed command (README.md, "The command").
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_NAME } from '../../src/mailroom-version.ts';
import { documentationFiles } from '../support/docs-markdown.ts';
import { repoRoot } from '../support/run-mailroom.ts';

/** A package runner with `mailroom` as the package to run: npx, npm exec / npm x, and their kin. */
const runnerOfMailroom = /\b(?:npx|npm\s+(?:exec|x)|pnpm\s+dlx|yarn\s+dlx|bunx)\s+(?:-\S+\s+)*(?:--\s+)?mailroom(?![\w-])/;

/** The source files whose text reaches a user: messages, help, the web pages. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
      } else if (/\.(?:ts|tsx|mjs|js|json|html|md)$/.test(entry.name)) out.push(relative(repoRoot, path));
    }
  };
  walk(join(repoRoot, dir));
  return out;
}

function runsThroughRunner(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(join(repoRoot, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => (runnerOfMailroom.test(line) ? [`${file}:${i + 1}: ${line.trim().slice(0, 120)}`] : [])),
  );
}

describe('the name of the package and of the command', () => {
  it('tells the runner forms apart from prose about them', () => {
    for (const line of ['npx mailroom list', 'TOKEN=$(npx mailroom token:create x)', 'npm exec -- mailroom db:status', 'npx --yes mailroom', 'npm x mailroom', '`npx mailroom`']) {
      assert.match(line, runnerOfMailroom, line);
    }
    for (const line of ['mailroom list', './node_modules/.bin/mailroom db:status', 'Never run it through `npx` or `npm exec`: they look for a `mailroom`', 'npx tsx --test x', 'npx mailroom-server']) {
      assert.doesNotMatch(line, runnerOfMailroom, line);
    }
  });

  it('no document says npx mailroom or npm exec mailroom', () => {
    assert.deepEqual(runsThroughRunner([...documentationFiles(), 'SECURITY.md']), [], 'write `mailroom COMMAND`, the installed command (README.md, "The command")');
  });

  it('no message, help text or page says it either', () => {
    assert.deepEqual(runsThroughRunner([...sourceFiles('src'), ...sourceFiles('bin'), ...sourceFiles('web'), ...sourceFiles('scripts')]), []);
  });

  it(`the package is ${PACKAGE_NAME} everywhere, and its command is mailroom`, () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { name: string; packages: Record<string, { name?: string }> };
    assert.notEqual(PACKAGE_NAME, 'mailroom', 'the npm name mailroom is another project’s');
    assert.equal(pkg.name, PACKAGE_NAME);
    assert.equal(lock.name, PACKAGE_NAME);
    assert.equal(lock.packages['']?.name, PACKAGE_NAME);
    assert.deepEqual(Object.keys(pkg.bin), ['mailroom']);
  });
});
